/// `--shard K/N`: a stable partition of workloads by name, so that N CI jobs cover the file once.
/// FNV-1a over the UTF-8 bytes: stable across runs, machines and Swift versions (Swift's own
/// `Hasher` is seeded per process and would scatter workloads differently on every job).
public struct Shard: Equatable, Sendable, CustomStringConvertible {
    public var index: Int   // 1-based K
    public var count: Int   // N

    public init(index: Int, count: Int) {
        self.index = index; self.count = count
    }

    /// Parses `K/N` with 1 ≤ K ≤ N.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k >= 1, k <= n else { return nil }
        self.init(index: k, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    public static func stableHash(_ name: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in name.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        return h
    }

    public func contains(_ workloadName: String) -> Bool {
        Int(Shard.stableHash(workloadName) % UInt64(count)) == index - 1
    }
}
