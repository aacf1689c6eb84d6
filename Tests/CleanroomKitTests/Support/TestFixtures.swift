import Foundation

/// Ground-truth fixture programs (Fixtures/src/NAME.c), compiled on first use with the system C
/// compiler into Fixtures/bin/ (git-ignored). C rather than Swift or Python so that a fixture's
/// figures are its own: no runtime that allocates or spins on the side.
enum TestFixtures {
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    private static let lock = NSLock()

    /// Absolute path of the compiled fixture `name` (Fixtures/src/`name`.c).
    static func binary(_ name: String) throws -> String {
        lock.lock(); defer { lock.unlock() }
        let src = repoRoot.appendingPathComponent("Fixtures/src/\(name).c").path
        let binDir = repoRoot.appendingPathComponent("Fixtures/bin").path
        let out = binDir + "/" + name
        let fm = FileManager.default
        try fm.createDirectory(atPath: binDir, withIntermediateDirectories: true)
        if let b = try? fm.attributesOfItem(atPath: out)[.modificationDate] as? Date,
           let s = try? fm.attributesOfItem(atPath: src)[.modificationDate] as? Date, b >= s {
            return out
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["cc", "-O1", "-pthread", "-o", out, src]
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw NSError(domain: "TestFixtures", code: Int(p.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: "cc failed for \(src)"])
        }
        return out
    }
}
