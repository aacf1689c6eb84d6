import Foundation
@testable import CleanroomKit

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
    /// read-only inside it): .build/ of the checkout, or, when the checkout is under /tmp, this
    /// test process's own directory in /var/tmp/cleanroom-tests, named like run cgroups (owner PID
    /// and start time): removed when the test process exits, and swept by the next test process
    /// when a crash left it behind.
    static let workRoot: String = {
        if outsideTmp { return repoRoot.path + "/.build" }
        let parent = "/var/tmp/cleanroom-tests"
        if mkdir(parent, 0o1777) == 0 { chmod(parent, 0o1777) }   // sticky like /var/tmp: any user's tests
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
        where RunID.isOurs(entry) && !RunID.ownerAlive(entry) {
            try? FileManager.default.removeItem(atPath: parent + "/" + entry)
        }
        let dir = parent + "/cr-\(RunID.ownerPID)-\(RunID.ownerStart)-tests"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        atexit { TestFixtures.removeOwnWorkRoot() }   // XCTest's main ends with exit()
        return dir
    }()

    private static func removeOwnWorkRoot() {
        try? FileManager.default.removeItem(atPath: workRoot)
        rmdir((workRoot as NSString).deletingLastPathComponent)   // the shared parent, once empty
    }

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

