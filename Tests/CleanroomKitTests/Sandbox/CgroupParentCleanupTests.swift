import XCTest
@testable import CleanroomKit

/// The `cleanroom` parent directories go when empty (at exit), and a concurrent creator whose
/// parent vanished under it makes it again (fake tree: plain directories behave like cgroupfs
/// here — rmdir of a non-empty directory fails).
final class CgroupParentCleanupTests: XCTestCase {
    var base = ""

    override func setUpWithError() throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("cr-parents-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: base) }

    func testEmptyParentIsRemovedAndBusyOneIsKept() throws {
        // Through the process's at-exit list, as SandboxHost registers a probed backend.
        let backend = CgroupV2Backend(base: base, fake: true)
        Sandbox.removeParentsAtExit(backend)
        try SysFS.mkdir(backend.parent)
        Sandbox.removeParentsNow()
        XCTAssertFalse(FileManager.default.fileExists(atPath: backend.parent), "an empty parent is removed")

        try SysFS.mkdir(backend.parent)
        try SysFS.mkdir(backend.parent + "/cr-1-2-3")
        Sandbox.removeParentsNow()
        XCTAssertTrue(FileManager.default.fileExists(atPath: backend.parent + "/cr-1-2-3"), "another run's group is never touched")
    }

    func testMkdirRemakesAVanishedParent() throws {
        let child = base + "/cleanroom/cr-9-9-9"
        XCTAssertFalse(FileManager.default.fileExists(atPath: base + "/cleanroom"))
        try SysFS.mkdir(child)
        XCTAssertTrue(FileManager.default.fileExists(atPath: child))
        XCTAssertThrowsError(try SysFS.mkdir(base + "/no/such/deep/dir"), "only one missing level is made again")
    }
}

/// On the real kernel: the parents stay while the process runs (runs after the first do not make
/// them again), and go with the process.
final class CgroupParentLifetimeTests: XCTestCase {
    /// The first run's leftover scan is skipped only where it cannot find anything: when the
    /// probe made every parent itself. Parents that were there already (another cleanroom's, or
    /// a crashed one's with its groups: ExecScratchTests.testTheNextExecRemovesADeadOwnersCgroups)
    /// are scanned.
    func testTheProbeSaysWhetherItsParentsCanHoldLeftovers() throws {
        guard SandboxTest.isRoot, SandboxHost.current.backend is CgroupV1Backend else { throw XCTSkip("needs root and v1 cgroups") }
        for p in SandboxHost.current.backend.parents { try SysFS.mkdir(p) }
        XCTAssertTrue(SandboxHost().parentsMayHoldLeftovers, "the parents were there before this probe")
        Sandbox.removeParentsNow()   // nothing of ours is live: the parents are empty and go
        for p in SandboxHost.current.backend.parents { XCTAssertFalse(FileManager.default.fileExists(atPath: p), p) }
        XCTAssertFalse(SandboxHost().parentsMayHoldLeftovers, "every parent made by this probe")
        SandboxTest.assertNothingLeft()
    }

    func testParentsStayBetweenRunsAndGoWhenTheProcessExits() throws {
        guard SandboxTest.isRoot else { throw XCTSkip("needs root for real cgroups") }
        let host = SandboxHost.current
        guard host.mode != .none else { throw XCTSkip("no cgroups on this host") }
        let parents = host.backend.parents
        let req = SandboxTest.request(["/bin/true"])
        _ = try Sandbox.run(req)
        for p in parents { XCTAssertTrue(FileManager.default.fileExists(atPath: p), "\(p) kept after the run") }
        SandboxTest.assertNothingLeft()

        // A cleanroom process of its own: when it exits, the (empty) parents go with it — ours
        // included, since nothing of this test process is under them now.
        let dir = SandboxTest.scratch()
        let r = try E2E.cleanroom(["exec", "--", "/bin/true"], in: dir)
        XCTAssertEqual(r.code, 0, "\(r)")
        for p in parents { XCTAssertFalse(FileManager.default.fileExists(atPath: p), "\(p) removed at exit") }

        // And this process makes them again for its next run.
        _ = try Sandbox.run(SandboxTest.request(["/bin/true"]))
        for p in parents { XCTAssertTrue(FileManager.default.fileExists(atPath: p), "\(p) made again") }
        Sandbox.removeParentsNow()
        for p in parents { XCTAssertFalse(FileManager.default.fileExists(atPath: p), "\(p) removed by removeParentsNow") }

        // An exec that runs nothing (its command refused, exit 2) probes the host on a second
        // thread meanwhile, and the probe makes the parents: they still go with the process.
        let refused = try E2E.cleanroom(["exec", "--", ""], in: dir)
        XCTAssertEqual(refused.code, ExitStatus.usage, "\(refused)")
        for p in parents { XCTAssertFalse(FileManager.default.fileExists(atPath: p), "\(p) left by a refused exec") }
    }
}
