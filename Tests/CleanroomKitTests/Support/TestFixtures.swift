import Foundation

/// Ground-truth fixture programs (Fixtures/src/NAME.c), compiled on first use with the system C
/// compiler into Fixtures/bin/ (git-ignored). C rather than Swift or Python so that a fixture's
/// figures are its own: no runtime that allocates or spins on the side.
enum TestFixtures {
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    private static let lock = NSLock()

    /// Where compiled fixtures go: Fixtures/bin/, unless the checkout itself lies under /tmp —
    /// then a directory under /var/tmp, because a sandbox in `private-tmp` mode (the default)
    /// mounts a fresh /tmp and would not see a binary there.
    static let binDir: String = outsideTmp ? repoRoot.path + "/Fixtures/bin" : workRoot + "/fixtures"

    /// Scratch space for tests that must lie outside /tmp (a sandbox's cwd, a path that must be
    /// read-only inside it): .build/ of the checkout, or /var/tmp when the checkout is under /tmp.
    static let workRoot: String = {
        let root = repoRoot.path
        if outsideTmp { return root + "/.build" }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in root.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return "/var/tmp/cleanroom-tests-" + String(h, radix: 16)
    }()

    static var outsideTmp: Bool { let r = repoRoot.path; return !(r == "/tmp" || r.hasPrefix("/tmp/")) }

    /// Absolute path of the compiled fixture `name` (Fixtures/src/`name`.c).
    static func binary(_ name: String) throws -> String {
        lock.lock(); defer { lock.unlock() }
        let src = repoRoot.appendingPathComponent("Fixtures/src/\(name).c").path
        let out = binDir + "/" + name
        let fm = FileManager.default
        try fm.createDirectory(atPath: binDir, withIntermediateDirectories: true)
        if let b = try? fm.attributesOfItem(atPath: out)[.modificationDate] as? Date,
           let s = try? fm.attributesOfItem(atPath: src)[.modificationDate] as? Date, b >= s {
            return out
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // Compiled beside and renamed into place, so a concurrent test process never runs half a file.
        let tmp = out + ".tmp-\(getpid())"
        p.arguments = ["cc", "-O1", "-pthread", "-o", tmp, src]
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0, rename(tmp, out) == 0 else {
            throw NSError(domain: "TestFixtures", code: Int(p.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: "cc failed for \(src)"])
        }
        return out
    }
}
