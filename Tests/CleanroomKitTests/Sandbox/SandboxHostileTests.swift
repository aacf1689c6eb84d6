import Foundation
import XCTest
@testable import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

/// Hostile workloads on the real kernel: each must end as the contract says and leave nothing behind.
final class SandboxHostileTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(SandboxTest.isRoot, "the hostile sandbox tests need root (cgroups)")
    }
    override func tearDown() { SandboxTest.assertNothingLeft() }

    func testForkBombUnderPidsLimitIsContainedAndKilled() throws {
        let bomb = try TestFixtures.binary("forkbomb")
        let obs = CounterObserver()
        let req = SandboxTest.request([bomb], limits: Limits(pids: 32), timeout: 1, killGrace: 0.5)
        let t = Monotonic.now
        let r = try Sandbox.run(req, observer: obs)
        let elapsed = Monotonic.now - t
        XCTAssertEqual(r.outcome, .timeout, r.detail ?? "")
        XCTAssertEqual(obs.pidsMax, "32")
        let peak = try XCTUnwrap(obs.pidsPeak, "pids.peak readable on this kernel")
        XCTAssertLessThanOrEqual(peak, 32, "the pids limit held")
        XCTAssertGreaterThan(peak, 5, "the bomb really forked")
        XCTAssertLessThan(elapsed, 1 + 0.5 + 1.5)
        SandboxTest.assertNothingLeft(marker: bomb)
    }

    func testDoubleForkedSetsidDaemonDoesNotOutliveTheRun() throws {
        let bin = try TestFixtures.binary("doublefork")
        let marker = "cleanroom-daemon-\(UUID().uuidString.prefix(8))"
        let req = SandboxTest.request([bin, marker])
        let t = Monotonic.now
        let r = try Sandbox.run(req)
        XCTAssertEqual(r.outcome, .ok, r.detail ?? "")
        XCTAssertEqual(r.exitCode, 0)
        XCTAssertLessThan(Monotonic.now - t, 3, "the run ends when the main process exits")
        XCTAssertEqual(SandboxTest.stdout(req), "daemon started\n")
        SandboxTest.assertNothingLeft(marker: marker)
    }

    func testSigtermIgnoringLoopIsKilledAfterGrace() throws {
        let bin = try TestFixtures.binary("ignore_sigterm")
        let req = SandboxTest.request([bin], timeout: 1, killGrace: 0.5)
        let t = Monotonic.now
        let r = try Sandbox.run(req)
        let elapsed = Monotonic.now - t
        XCTAssertEqual(r.outcome, .timeout)
        XCTAssertEqual(r.signal, "SIGKILL", "SIGTERM was ignored, SIGKILL ended it")
        XCTAssertNil(r.exitCode)
        XCTAssertGreaterThanOrEqual(elapsed, 1.5, "the grace period was given")
        XCTAssertLessThan(elapsed, 1 + 0.5 + 0.5 + 0.5)
        XCTAssertEqual(SandboxTest.stdout(req), "ignoring SIGTERM\n")
        SandboxTest.assertNothingLeft(marker: bin)
    }

    func testGrandchildHoldingStdoutDoesNotHangTheRun() throws {
        let bin = try TestFixtures.binary("grandchild_stdout")
        let req = SandboxTest.request([bin], timeout: 30)
        let t = Monotonic.now
        let r = try Sandbox.run(req)
        XCTAssertEqual(r.outcome, .ok, r.detail ?? "")
        XCTAssertLessThan(Monotonic.now - t, 2, "did not wait for the grandchild's EOF")
        XCTAssertEqual(SandboxTest.stdout(req), "parent\n")
        SandboxTest.assertNothingLeft(marker: bin)
    }

    func testTouching200MiBUnder64MiBIsOOM() throws {
        let bin = try TestFixtures.binary("touch_mem")
        let obs = CounterObserver()
        let req = SandboxTest.request([bin, "200"], limits: Limits(memory: 64 << 20))
        let r = try Sandbox.run(req, observer: obs)
        XCTAssertEqual(r.outcome, .oom, r.detail ?? "")
        XCTAssertEqual(r.signal, "SIGKILL")
        XCTAssertEqual(obs.memoryLimit, 64 << 20)
        XCTAssertLessThanOrEqual(obs.memoryMax ?? .max, 64 << 20)
        XCTAssertFalse(SandboxTest.stdout(req).contains("touched"))
        SandboxTest.assertNothingLeft(marker: bin)
    }

    func testTouchingLessThanTheLimitIsOK() throws {
        let bin = try TestFixtures.binary("touch_mem")
        let req = SandboxTest.request([bin, "16"], limits: Limits(memory: 64 << 20))
        let r = try Sandbox.run(req)
        XCTAssertEqual(r.outcome, .ok, r.detail ?? "")
        XCTAssertEqual(SandboxTest.stdout(req), "touched 16 MiB\n")
    }

    func testSleepPastTimeoutEndsWithinTimeoutPlusGrace() throws {
        let req = SandboxTest.request(["sleep", "30"], timeout: 1, killGrace: 2)
        let t = Monotonic.now
        let r = try Sandbox.run(req)
        let elapsed = Monotonic.now - t
        XCTAssertEqual(r.outcome, .timeout)
        XCTAssertLessThan(elapsed, 1 + 2 + 0.5)
        XCTAssertGreaterThanOrEqual(elapsed, 1)
        XCTAssertEqual(r.signal, "SIGTERM", "sleep dies of the SIGTERM, no SIGKILL needed")
        let wall = try XCTUnwrap(r.metrics["wall_time"])
        XCTAssertEqual(wall, 1, accuracy: 0.3)
    }

    func testTearDownAllKillsALiveRun() throws {
        let marker = "cleanroom-teardown-\(UUID().uuidString.prefix(8))"
        let req = SandboxTest.request(["sh", "-c", "sleep 30; echo \(marker)"], timeout: 60)
        final class Box: @unchecked Sendable { var record: RunRecord? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            box.record = try? Sandbox.run(req)
            done.signal()
        }
        var waited = 0
        while Sandbox.liveCount == 0 && waited < 200 { usleep(10_000); waited += 1 }
        usleep(200_000)
        let t = Monotonic.now
        Sandbox.tearDownAll()
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
        XCTAssertLessThan(Monotonic.now - t, 2)
        XCTAssertEqual(box.record?.outcome, .killed)
        SandboxTest.assertNothingLeft(marker: marker)
    }

    func testParallelRunsAreIndependent() throws {
        final class Results: @unchecked Sendable { var r = [RunRecord?](repeating: nil, count: 4); let lock = NSLock() }
        let res = Results()
        let bin = try TestFixtures.binary("touch_mem")
        DispatchQueue.concurrentPerform(iterations: 4) { i in
            // Run 2 is OOM-killed; the others must not notice.
            let req = SandboxTest.request(i == 2 ? [bin, "100"] : ["sh", "-c", "echo run\(i); exit \(i)"],
                                          limits: Limits(memory: 32 << 20), expectExit: i)
            let r = try? Sandbox.run(req, index: i)
            res.lock.lock(); res.r[i] = r; res.lock.unlock()
        }
        for i in 0..<4 {
            let r = try XCTUnwrap(res.r[i])
            XCTAssertEqual(r.index, i)
            XCTAssertEqual(r.outcome, i == 2 ? .oom : .ok, "run \(i): \(r.detail ?? "")")
            if i != 2 { XCTAssertEqual(r.exitCode, i) }
        }
        SandboxTest.assertNothingLeft(marker: bin)
    }

    func testSweepRemovesGroupsOfDeadOwnersOnly() throws {
        // A leftover of a "dead" cleanroom (pid 4194303 cannot exist with this start time) and
        // a group of ours (alive): only the first goes.
        let host = SandboxHost.current
        guard let v1 = host.backend as? CgroupV1Backend else { throw XCTSkip("v1/hybrid host needed") }
        let dead = "cr-4194303-1-1"
        let dir = v1.hierarchy("pids")! + "/cleanroom/" + dead
        try SysFS.mkdir(v1.hierarchy("pids")! + "/cleanroom")
        try SysFS.mkdir(dir)
        let mine = try v1.create(name: RunID.next(), limits: Limits(), device: nil)
        defer { _ = v1.remove(mine) }
        let removed = Sandbox.sweepLeftovers()
        XCTAssertTrue(removed.contains(dead))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir))
        XCTAssertTrue(FileManager.default.fileExists(atPath: mine.directories[0]), "a live owner's group stays")
    }
}
