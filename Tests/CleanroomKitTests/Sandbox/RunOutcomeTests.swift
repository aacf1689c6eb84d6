import XCTest
import CSpawn
#if canImport(Glibc)
import Glibc
#endif
@testable import CleanroomKit

/// Every row of the outcome rules (`RunOutcome.decide`), from facts alone: no root, no kernel.
final class RunOutcomeTests: XCTestCase {
    /// A wait status: exited with `code`.
    static func exited(_ code: Int32) -> Int32 { (code & 0xff) << 8 }
    /// A wait status: killed by `signal`.
    static func killed(_ signal: Int32) -> Int32 { signal }

    func testOkAndFailedByExpectedExitCode() {
        var f = RunFacts(workloadStatus: Self.exited(0))
        XCTAssertEqual(RunOutcome.decide(f), RunOutcome(outcome: .ok, exitCode: 0, signal: nil, detail: nil))
        f.workloadStatus = Self.exited(3)
        XCTAssertEqual(RunOutcome.decide(f), RunOutcome(outcome: .failed, exitCode: 3, signal: nil,
                                                        detail: "exit code 3, expected 0"))
        f.expectExit = 3
        XCTAssertEqual(RunOutcome.decide(f).outcome, .ok)
    }

    func testWithoutAnInitTheRootIsTheWorkload() {
        let f = RunFacts(rootStatus: Self.exited(2), rootIsWorkload: true)
        XCTAssertEqual(RunOutcome.decide(f).outcome, .failed)
        XCTAssertEqual(RunOutcome.decide(f).exitCode, 2)
    }

    func testTimeoutWithAndWithoutSIGKILL() {
        var f = RunFacts(timedOut: true, timeout: 5, killGrace: 2, workloadStatus: Self.killed(SIGTERM))
        var r = RunOutcome.decide(f)
        XCTAssertEqual(r.outcome, .timeout)
        XCTAssertEqual(r.signal, "SIGTERM")
        XCTAssertEqual(r.detail, "timed out after 5s: SIGTERM to every process")
        f.hardKilled = true
        f.workloadStatus = Self.killed(SIGKILL)
        r = RunOutcome.decide(f)
        XCTAssertEqual(r.outcome, .timeout)
        XCTAssertEqual(r.detail, "timed out after 5s: SIGTERM to every process, SIGKILL after 2s")
    }

    func testOOMFromTheCounterEvenWhenTheTopProcessExitsZero() {
        // A forking tree: a child was OOM-killed, the top process exited 0.
        let f = RunFacts(oomKills: 1, memoryLimit: 64 << 20, workloadStatus: Self.exited(0))
        let r = RunOutcome.decide(f)
        XCTAssertEqual(r.outcome, .oom)
        XCTAssertEqual(r.exitCode, 0, "the exit code is still reported")
        XCTAssertEqual(r.detail, "the kernel's OOM killer killed 1 process of the run (memory limit 64MiB)")
        // SIGKILL alone is not an OOM: without the counter it is `killed`.
        XCTAssertEqual(RunOutcome.decide(RunFacts(workloadStatus: Self.killed(SIGKILL))).outcome, .killed)
        // The counter outranks a timeout that fired too.
        XCTAssertEqual(RunOutcome.decide(RunFacts(oomKills: 2, timedOut: true, workloadStatus: Self.killed(SIGKILL))).outcome, .oom)
    }

    func testSeccompIsSIGSYS() {
        let r = RunOutcome.decide(RunFacts(workloadStatus: Self.killed(SIGSYS), seccompPolicy: "strict"))
        XCTAssertEqual(r.outcome, .seccomp)
        XCTAssertEqual(r.signal, "SIGSYS")
        XCTAssertNil(r.exitCode)
        XCTAssertEqual(r.detail, "killed by SIGSYS: a system call forbidden by the seccomp policy (strict)")
    }

    func testKilledByASignalNobodyInCleanroomSent() {
        let r = RunOutcome.decide(RunFacts(workloadStatus: Self.killed(SIGSEGV)))
        XCTAssertEqual(r, RunOutcome(outcome: .killed, exitCode: nil, signal: "SIGSEGV", detail: "killed by SIGSEGV"))
    }

    func testInterruptedIsKilledAndOutranksTheSignal() {
        // tearDownAll SIGKILLs the init: no workload status, the root died of SIGKILL.
        let r = RunOutcome.decide(RunFacts(interrupted: true, rootStatus: Self.killed(SIGKILL)))
        XCTAssertEqual(r.outcome, .killed)
        XCTAssertEqual(r.detail, "interrupted: cleanroom was stopped and killed the run")
        XCTAssertEqual(r.signal, "SIGKILL")
    }

    func testErrorRows() {
        // execve failed: an outcome, with the errno named; no exit code or signal.
        let exec = SpawnFailure(step: "execve", detail: "/nope", errno: ENOENT)
        var r = RunOutcome.decide(RunFacts(failure: exec, rootStatus: Self.exited(127)))
        XCTAssertEqual(r, RunOutcome(outcome: .error, exitCode: nil, signal: nil,
                                     detail: "execve /nope: No such file or directory (ENOENT)"))
        XCTAssertTrue(exec.isWorkloadStep)
        XCTAssertFalse(SpawnFailure(step: "mount tmpfs", detail: "/tmp", errno: EPERM).isWorkloadStep,
                       "any other step is a set-up failure (thrown, exit 3), not an outcome")
        // A service failed: error, and it outranks the workload's own OOM or exit code.
        r = RunOutcome.decide(RunFacts(serviceFailure: "service \"api\" exited with code 1 while the workload was running",
                                       stoppedForService: true, oomKills: 1, workloadStatus: Self.exited(1)))
        XCTAssertEqual(r.outcome, .error)
        XCTAssertEqual(r.detail, "service \"api\" exited with code 1 while the workload was running; the workload was stopped")
        // The init died without reporting: error, saying so.
        r = RunOutcome.decide(RunFacts(rootStatus: Self.exited(0)))
        XCTAssertEqual(r.outcome, .error)
        XCTAssertEqual(r.detail, "the run's init ended without reporting the workload's status (wait status 0)")
    }

    func testCleanupProblemsAreAppendedToTheDetail() {
        let r = RunOutcome.decide(RunFacts(workloadStatus: Self.exited(0), emptied: false, leftovers: ["/x: Device or resource busy"]))
        XCTAssertEqual(r.outcome, .ok)
        XCTAssertEqual(r.detail, "some processes of the run could not be killed; cgroup not removed: /x: Device or resource busy")
    }

    func testSpawnMessagesDecode() {
        var m = cspawn_msg()
        m.kind = CSPAWN_MSG_ERROR; m.err = EACCES
        withUnsafeMutableBytes(of: &m.step) { b in for (i, c) in "chdir".utf8.enumerated() { b[i] = c } }
        withUnsafeMutableBytes(of: &m.detail) { b in for (i, c) in "/w".utf8.enumerated() { b[i] = c } }
        XCTAssertEqual(SpawnMessage(m), .failure(SpawnFailure(step: "chdir", detail: "/w", errno: EACCES)))
        m.kind = CSPAWN_MSG_STATUS; m.err = 256; m.ns = 7; m.cpu_user_ns = 1_500_000; m.cpu_sys_ns = 2_000_000
        m.child_cpu_ns = 9_000_000; m.joined_cpu_ns = 500_000
        XCTAssertEqual(SpawnMessage(m), .status(256, ns: 7, initCPU: SetupCPU(user: 0.0015, system: 0.002),
                                                initChildrenCPU: 0.009, initJoinedCPU: 0.0005))
        // The init's exit comes after its record: its whole share from wait4, split as the rest was.
        let share = SetupCPU.initShare(status: SetupCPU(user: 0.001, system: 0.003), rootTotal: 0.0185, children: 0.009, joined: 0.0005)
        XCTAssertEqual(share?.user ?? 0, 0.00225, accuracy: 1e-9)
        XCTAssertEqual(share?.system ?? 0, 0.00675, accuracy: 1e-9)
        XCTAssertEqual(SetupCPU.initShare(status: SetupCPU(user: 0.001, system: 0.003), rootTotal: nil, children: 0.009, joined: 0),
                       SetupCPU(user: 0.001, system: 0.003), "no wait4 figure: the record's own")
        m.cpu_user_ns = -1; m.cpu_sys_ns = -1
        XCTAssertEqual(SpawnMessage(m), .status(256, ns: 7, initCPU: nil), "getrusage failed in the init: unknown, not 0")
        m.kind = 99
        XCTAssertNil(SpawnMessage(m))
    }
}
