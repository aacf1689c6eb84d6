/// Where one run's (or one service's) cgroup lives, in whatever layout the host has. Produced by
/// the Sandbox's cgroup backends, read by the Sampler's readers: the seam between the two stages.
public struct CgroupPaths: Equatable, Sendable {
    public enum Mode: String, Sendable, Codable, CaseIterable {
        case v2, v1, hybrid, none
    }

    public var mode: Mode
    /// cgroup v1: controller name ("memory", "cpu", "cpuacct", "pids", "blkio", "freezer") → the run's directory.
    public var v1: [String: String]
    /// The run's directory in the cgroup2 tree: the whole cgroup on v2, the PSI/cpu.stat-only group on hybrid.
    public var unified: String?

    /// Same mode and controllers, each directory in the same parent directory as this one's
    /// (two runs' groups under cleanroom's parents): `CgroupCounters.resolved` reuses a layout.
    func isSibling(of other: CgroupPaths) -> Bool {
        // By bytes: String's lastIndex(of:) walks Characters (each run of `run --repeat` asks).
        func parent(_ dir: String) -> Substring? { dir.utf8.lastIndex(of: UInt8(ascii: "/")).map { dir[..<$0] } }
        guard mode != .none, mode == other.mode, v1.count == other.v1.count, v1.keys.allSatisfy({ other.v1[$0] != nil }),
              (unified == nil) == (other.unified == nil) else { return false }
        for (controller, dir) in v1 where parent(dir) == nil || parent(dir) != other.v1[controller].flatMap(parent) { return false }
        if let u = unified, let o = other.unified, parent(u) == nil || parent(u) != parent(o) { return false }
        return true
    }

    public init(mode: Mode, v1: [String: String] = [:], unified: String? = nil) {
        self.mode = mode; self.v1 = v1; self.unified = unified
    }
}
