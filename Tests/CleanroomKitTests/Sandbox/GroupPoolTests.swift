import Foundation
import XCTest
@testable import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

/// A run's cgroups made ahead while the run before it ended (`GroupPool`) are the ones the run
/// would have made: its own, fresh, with its own limits; a set made for another request is
/// removed, never used; nothing made ahead outlives the runs.
final class GroupPoolTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(SandboxTest.isRoot && SandboxHost.current.backend.mode != .none, "needs root and cgroups")
        GroupPool.drain()
    }
    override func tearDown() { SandboxTest.assertNothingLeft() }

    /// One run of a sequence: the run id and pids.max its group had, read before it was removed.
    private func run(pids: Int, cwd: String) throws -> (runID: String, pidsMax: String?) {
        var req = SandboxTest.request(["/bin/sh", "-c", "echo ran"], cwd: cwd, limits: Limits(pids: pids))
        req.runsFollow = true
        let observer = CounterObserver()
        let r = try Sandbox.run(req, observer: observer)
        XCTAssertEqual(r.outcome, .ok, r.detail ?? SandboxTest.stderr(req))
        XCTAssertEqual(SandboxTest.stdout(req), "ran\n")
        return (observer.start?.runID ?? "?", observer.pidsMax)
    }

    func testARunTakesTheGroupsMadeForItAndAnotherRequestGetsItsOwn() throws {
        let cwd = SandboxTest.scratch()
        let takenBefore = GroupPool.taken
        let first = try run(pids: 50, cwd: cwd)
        // Made ahead once the first run was over: a set of ours exists with no run live.
        GroupPool.settle()
        let ahead = SandboxTest.leftoverCgroups()
        let second = try run(pids: 50, cwd: cwd)
        XCTAssertEqual(GroupPool.taken - takenBefore, 1, "the second run took the set made ahead")
        XCTAssertFalse(ahead.isEmpty, "a set was made after the first run")
        XCTAssertTrue(ahead.allSatisfy { $0.hasSuffix("/" + second.runID) }, "\(ahead) is the second run's (\(second.runID))")
        XCTAssertNotEqual(first.runID, second.runID)
        XCTAssertEqual(first.pidsMax, "50")
        XCTAssertEqual(second.pidsMax, "50")

        // Other limits: the set made after the second run is for pids 50, so it is removed and
        // the third run makes its own.
        let third = try run(pids: 60, cwd: cwd)
        XCTAssertEqual(GroupPool.taken - takenBefore, 1, "a set made for other limits is not taken")
        XCTAssertEqual(third.pidsMax, "60")
        XCTAssertNotEqual(third.runID, second.runID)

        // What the last run made goes with `finished`, as after a `run` command's last job.
        GroupPool.settle()
        XCTAssertFalse(SandboxTest.leftoverCgroups().isEmpty, "the third run made one ahead too")
        SandboxExecutor().finished()
        XCTAssertEqual(SandboxTest.leftoverCgroups(), [])
    }

    func testATeardownRemovesTheGroupsMadeAhead() throws {
        _ = try run(pids: 50, cwd: SandboxTest.scratch())
        GroupPool.settle()
        XCTAssertFalse(SandboxTest.leftoverCgroups().isEmpty, "a set was made after the run")
        Sandbox.tearDownAll()
        XCTAssertEqual(SandboxTest.leftoverCgroups(), [], "SIGINT's teardown leaves none made ahead")
    }

    /// `exec`: the prewarm's thread makes the run's groups once its filter is compiled (the
    /// request published first, as exec does once its flags are read), and the run takes them.
    func testTheGroupsTheExecPrewarmMadeAreTheRunsOwn() throws {
        let cwd = SandboxTest.scratch()
        let req = SandboxTest.request(["/bin/sh", "-c", "echo ran"], cwd: cwd, limits: Limits(pids: 40))
        let takenBefore = GroupPool.taken
        SandboxPrewarm.makeGroupsAhead(for: req)
        SandboxPrewarm.begin(seccomp: nil, cwd: cwd, network: .host)
        SandboxPrewarm.wait()
        let ahead = SandboxTest.leftoverCgroups()
        XCTAssertFalse(ahead.isEmpty, "made on the prewarm's thread")
        let observer = CounterObserver()
        let r = try Sandbox.run(req, observer: observer)
        XCTAssertEqual(r.outcome, .ok, r.detail ?? SandboxTest.stderr(req))
        XCTAssertEqual(SandboxTest.stdout(req), "ran\n")
        XCTAssertEqual(GroupPool.taken - takenBefore, 1, "the run took the set made ahead")
        XCTAssertTrue(ahead.allSatisfy { $0.hasSuffix("/" + (observer.start?.runID ?? "?")) }, "\(ahead) is the run's")
        XCTAssertEqual(observer.pidsMax, "40", "with the run's own limits")
    }

    /// A run that asks for its groups before the prewarm's thread began making them makes its own,
    /// and the thread then makes none.
    func testARunThatAsksFirstMakesItsOwnAndThePrewarmNone() throws {
        let cwd = SandboxTest.scratch()
        let req = SandboxTest.request(["/bin/true"], cwd: cwd)
        let takenBefore = GroupPool.taken
        SandboxPrewarm.makeGroupsAhead(for: req)
        SandboxPrewarm.stopGroupsAhead()   // what the run does before making its groups
        SandboxPrewarm.begin(seccomp: nil, cwd: cwd, network: .host)
        SandboxPrewarm.wait()
        XCTAssertEqual(SandboxTest.leftoverCgroups(), [], "nothing made ahead")
        XCTAssertEqual(try Sandbox.run(req).outcome, .ok)
        XCTAssertEqual(GroupPool.taken - takenBefore, 0)
    }

    func testASingleRunMakesNothingAhead() throws {
        let req = SandboxTest.request(["/bin/true"])
        XCTAssertFalse(req.runsFollow, "only a `run` command's executor asks for it")
        let r = try Sandbox.run(req)
        XCTAssertEqual(r.outcome, .ok)
        GroupPool.settle()
        XCTAssertEqual(SandboxTest.leftoverCgroups(), [], "an `exec` (one run) leaves nothing made ahead")
    }
}
