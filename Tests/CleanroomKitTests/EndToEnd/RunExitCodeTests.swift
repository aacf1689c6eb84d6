import Foundation
import XCTest
@testable import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

/// `cleanroom run` end to end, one test per exit-code path of the contract (SPEC "Exit codes"),
/// each with real workloads in real sandboxes.
final class RunExitCodeTests: EndToEndTestCase {

    // MARK: 0

    func testPassExitsZeroAndWritesEveryReport() throws {
        let dir = E2E.scratch()
        try E2E.writeConfig(E2E.config(
            workloads: [["name": "say hello", "command": E2E.sh("echo hello-$$-out; echo oops >&2; sleep 0.05")]],
            slos: [["name": "Quick", "workload": "say hello", "objective": "median(wall_time) <= 5s"],
                   ["name": "Small", "workload": "say hello", "objective": "max(memory_peak) <= 500MB"]]), in: dir)
        let r = try E2E.cleanroom(["run", "-o", "out"], in: dir)
        XCTAssertEqual(r.code, 0, "\(r)")
        XCTAssertTrue(r.out.contains("verdict: PASS"), r.out)

        let out = dir + "/out"
        let report = try E2E.report(out + "/report.json")
        XCTAssertEqual(report["schema"] as? String, "cleanroom/report@1")
        XCTAssertEqual(report["verdict"] as? String, "pass")
        XCTAssertEqual(E2E.status(report, "Quick"), "pass")
        XCTAssertEqual(E2E.status(report, "Small"), "pass")
        for f in ["report.csv", "slos.csv", "report.html"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + f), "missing \(f)")
        }
        let csvRows = try String(contentsOfFile: out + "/report.csv", encoding: .utf8).split(whereSeparator: \.isNewline)
        XCTAssertEqual(csvRows.count, 1 + 3, "a header and one row per run")
        let sloRows = try String(contentsOfFile: out + "/slos.csv", encoding: .utf8).split(whereSeparator: \.isNewline)
        XCTAssertEqual(sloRows.count, 1 + 2, "a header and one row per objective")

        // Captured output per run, at the path the report names.
        let runs = E2E.measuredRuns(report, "say hello")
        XCTAssertEqual(runs.count, 3)
        var pids = Set<String>()
        for run in runs {
            let rel = try XCTUnwrap((run["output"] as? [String: Any])?["stdout"] as? String)
            let index = try XCTUnwrap(run["index"] as? Int)
            XCTAssertTrue(rel.hasPrefix("runs/") && rel.hasSuffix("/\(index)/stdout.txt"), rel)
            let text = try String(contentsOfFile: out + "/" + rel, encoding: .utf8)
            XCTAssertTrue(text.hasPrefix("hello-") && text.hasSuffix("-out\n"), text)
            pids.insert(text)
            let errRel = try XCTUnwrap((run["output"] as? [String: Any])?["stderr"] as? String)
            XCTAssertEqual(try String(contentsOfFile: out + "/" + errRel, encoding: .utf8), "oops\n")
            let wall = try XCTUnwrap((run["metrics"] as? [String: Any])?["wall_time"] as? Double)
            XCTAssertGreaterThanOrEqual(wall, 0.05, "the workload slept 50 ms")
            XCTAssertLessThan(wall, 2)
        }
        XCTAssertEqual(pids.count, 1, "own PID namespace: the workload's shell is PID 1 each time (\(pids))")
        E2E.assertNothingLeft(cleanroomPID: r.pid)
    }

    // MARK: 1

    func testFailingObjectiveExitsOne() throws {
        let dir = E2E.scratch()
        try E2E.writeConfig(E2E.config(
            workloads: [["name": "quick", "command": E2E.sh("sleep 0.05")]],
            slos: [["name": "TooSlowToBeTrue", "workload": "quick", "objective": "median(wall_time) >= 3s"],
                   ["name": "Fine", "workload": "quick", "objective": "median(wall_time) <= 3s"]]), in: dir)
        let r = try E2E.cleanroom(["run", "-o", "out"], in: dir)
        XCTAssertEqual(r.code, 1, "\(r)")
        let report = try E2E.report(dir + "/out/report.json")
        XCTAssertEqual(report["verdict"] as? String, "fail")
        XCTAssertEqual(E2E.status(report, "TooSlowToBeTrue"), "fail")
        XCTAssertEqual(E2E.status(report, "Fine"), "pass")
        XCTAssertTrue(r.out.contains("FAIL"), r.out)
        XCTAssertTrue(E2E.measuredRuns(report, "quick").allSatisfy { $0["outcome"] as? String == "ok" })
    }

    /// Runs one workload (repeat 1, an objective that passes) and returns the exit, the report
    /// and the only run: the verdict then depends on the workload's outcome alone.
    private func runFailing(_ workload: [String: Any], args: [String] = []) throws -> (E2E.Result, [String: Any], [String: Any]) {
        let dir = E2E.scratch()
        var w = workload
        w["repeat"] = 1
        let name = w["name"] as! String
        try E2E.writeConfig(E2E.config(workloads: [w],
                                       slos: [["name": "Generous", "workload": name, "objective": "max(wall_time) <= 60s"]]), in: dir)
        let r = try E2E.cleanroom(["run", "-o", "out"] + args, in: dir)
        let report = try E2E.report(dir + "/out/report.json")
        let runs = E2E.runs(report, name)
        XCTAssertEqual(runs.count, 1, "\(r)")
        E2E.assertNothingLeft(cleanroomPID: r.pid)
        return (r, report, runs.first ?? [:])
    }

    func testUnexpectedExitCodeExitsOne() throws {
        let (r, report, run) = try runFailing(["name": "exits-7", "command": E2E.sh("exit 7")])
        XCTAssertEqual(r.code, 1, "\(r)")
        XCTAssertEqual(report["verdict"] as? String, "fail")
        XCTAssertEqual(run["outcome"] as? String, "failed")
        XCTAssertEqual(run["exit_code"] as? Int, 7)
        XCTAssertEqual(E2E.status(report, "Generous"), "pass", "the objective passed: the workload alone fails the gate")
    }

    func testCommandThatCannotStartExitsOne() throws {
        let (r, report, run) = try runFailing(["name": "typo", "command": ["no-such-command-e2e", "--x"]])
        XCTAssertEqual(r.code, 1, "\(r)")
        XCTAssertEqual(report["verdict"] as? String, "fail")
        XCTAssertEqual(run["outcome"] as? String, "error")
        XCTAssertTrue((run["detail"] as? String ?? "").contains("command not found: no-such-command-e2e"), "\(run)")
        XCTAssertEqual(E2E.status(report, "Generous"), "no_data", "a run that never started has no wall_time")
    }

    func testExpectExit() throws {
        // A workload expected to exit 3 that does: ok, exit 0.
        let (ok, okReport, okRun) = try runFailing(["name": "exits-3", "command": E2E.sh("exit 3"), "expect_exit": 3])
        XCTAssertEqual(ok.code, 0, "\(ok)")
        XCTAssertEqual(okRun["outcome"] as? String, "ok")
        XCTAssertEqual(okRun["exit_code"] as? Int, 3)
        XCTAssertEqual(okReport["verdict"] as? String, "pass")
        // Expected to exit 3, exits 0: failed.
        let (bad, _, badRun) = try runFailing(["name": "exits-0", "command": E2E.sh("exit 0"), "expect_exit": 3])
        XCTAssertEqual(bad.code, 1, "\(bad)")
        XCTAssertEqual(badRun["outcome"] as? String, "failed")
        XCTAssertEqual(badRun["exit_code"] as? Int, 0)
    }

    func testTimeoutExitsOne() throws {
        let marker = "e2e-timeout-\(UUID().uuidString.prefix(8))"
        let t0 = Date()
        let (r, _, run) = try runFailing(["name": "sleeps", "command": E2E.sh("sleep 30 # \(marker)"),
                                          "timeout": "300ms", "kill_grace": "500ms"])
        XCTAssertEqual(r.code, 1, "\(r)")
        XCTAssertEqual(run["outcome"] as? String, "timeout")
        let wall = try XCTUnwrap((run["metrics"] as? [String: Any])?["wall_time"] as? Double)
        XCTAssertGreaterThanOrEqual(wall, 0.3)
        XCTAssertLessThan(wall, 0.3 + 0.5 + 1.0, "SIGTERM at the timeout ends sh at once")
        XCTAssertLessThan(Date().timeIntervalSince(t0), 10)
        E2E.assertNothingLeft(cleanroomPID: r.pid, marker: marker)
    }

    func testOOMKillExitsOne() throws {
        let alloc = try TestFixtures.binary("alloc_mib")
        let (r, _, run) = try runFailing(["name": "hog", "command": [alloc, "256", "200"],
                                          "limits": ["memory": "48MiB"]])
        XCTAssertEqual(r.code, 1, "\(r)")
        XCTAssertEqual(run["outcome"] as? String, "oom", "\(run)")
        if let peak = (run["metrics"] as? [String: Any])?["memory_peak"] as? Double {
            XCTAssertLessThanOrEqual(peak, Double(48 << 20) * 1.05, "the limit held")
            XCTAssertGreaterThan(peak, Double(40 << 20), "it got close to the limit before the kill")
        }
    }

    func testSeccompKillFromAnOCIProfileExitsOne() throws {
        let tool = try TestFixtures.binary("forbidden_syscall")
        let dir = E2E.scratch()
        let profile = dir + "/kill-mkdir.json"
        try #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL"}]}"#
            .write(toFile: profile, atomically: true, encoding: .utf8)
        let (r, _, run) = try runFailing(["name": "makes-dirs", "command": [tool, "mkdir", "1"],
                                          "sandbox": ["seccomp": profile]])
        XCTAssertEqual(r.code, 1, "\(r)")
        XCTAssertEqual(run["outcome"] as? String, "seccomp", "\(run)")
        XCTAssertEqual(run["signal"] as? String, "SIGSYS", "\(run)")
        // The same tool under the same profile, not calling mkdir, passes: the profile is what killed it.
        let (ok, _, okRun) = try runFailing(["name": "no-dirs", "command": [tool, "reboot", "0"],
                                             "sandbox": ["seccomp": profile]])
        XCTAssertEqual(ok.code, 0, "\(ok)")
        XCTAssertEqual(okRun["outcome"] as? String, "ok")
    }

    // MARK: 2

    /// Exit 2 with nothing run: no report directory, no cgroup of that cleanroom process, and the
    /// marker file the workload would have written is not there.
    private func assertUsageError(_ args: [String], config: [String: Any]?, stderrContains: [String],
                                  file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = E2E.scratch()
        if let config { try E2E.writeConfig(config, in: dir) }
        let r = try E2E.cleanroom(["run", "-o", "out"] + args, in: dir)
        XCTAssertEqual(r.code, 2, "\(args): \(r)", file: file, line: line)
        for s in stderrContains { XCTAssertTrue(r.err.contains(s), "stderr lacks \(s): \(r.err)", file: file, line: line) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out"), "\(args): a report directory was created", file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/ran"), "a workload ran", file: file, line: line)
        XCTAssertEqual(E2E.cgroups(ofCleanroomPID: r.pid), [], file: file, line: line)
        XCTAssertEqual(r.out, "", file: file, line: line)
    }

    func testUsageAndConfigErrorsExitTwoWithNothingRun() throws {
        let good = E2E.config(workloads: [["name": "build", "command": E2E.sh("touch ran")],
                                          ["name": "unit-tests", "command": E2E.sh("touch ran")]],
                              slos: [["name": "Quick", "workload": "*", "objective": "max(wall_time) <= 5s"]])
        try assertUsageError(["unit-test"], config: good,
                             stderrContains: ["no such workload", "\"unit-test\" (did you mean \"unit-tests\"?)"])
        try assertUsageError([], config: nil, stderrContains: ["slo.json"])
        try assertUsageError(["--repeat", "0"], config: good, stderrContains: ["--repeat"])
        try assertUsageError(["--shard", "4/3"], config: good, stderrContains: ["--shard"])
        try assertUsageError(["--format", "json,pdf"], config: good, stderrContains: ["pdf"])
        try assertUsageError(["--baseline", "no-such-report.json"], config: good, stderrContains: ["no-such-report.json"])
        try assertUsageError(["--bogus"], config: good, stderrContains: ["--bogus"])
        var bad = good
        bad["slos"] = [["name": "Latency", "workload": "build", "objective": "p99(wall_time) < 10 milliseconds"],
                       ["name": "Ghost", "workload": "nope", "objective": "max(wall_time) <= 1s"]]
        try assertUsageError([], config: bad, stderrContains: ["slos[0].objective", "milliseconds", "slos[1]"])
    }

    // MARK: 3

    func testSandboxThatCannotBeSetUpExitsThree() throws {
        // libseccomp itself refuses this rule: a syscall has at most 6 arguments (index 0–5).
        let dir = E2E.scratch()
        let profile = dir + "/bad-arg.json"
        try #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["write"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 9, "op": "SCMP_CMP_EQ", "value": 1}]}]}"#
            .write(toFile: profile, atomically: true, encoding: .utf8)
        try E2E.writeConfig(E2E.config(
            workloads: [["name": "w", "command": E2E.sh("touch ran"), "sandbox": ["seccomp": "./bad-arg.json"]]],
            slos: [["name": "Quick", "workload": "w", "objective": "max(wall_time) <= 5s"]]), in: dir)
        let r = try E2E.cleanroom(["run", "-o", "out"], in: dir)
        XCTAssertEqual(r.code, 3, "\(r)")
        XCTAssertTrue(r.err.contains("sandbox could not be set up: seccomp rule for write"), "libseccomp's refusal: \(r.err)")
        XCTAssertTrue(r.out.contains("verdict: ERROR"), r.out)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/ran"), "the workload must not run unconfined")
        let report = try E2E.report(dir + "/out/report.json")
        XCTAssertEqual(report["verdict"] as? String, "error")
        let why = E2E.workload(report, "w")?["error"] as? String ?? ""
        XCTAssertTrue(why.contains("seccomp rule for write"), "report.json says why: \(report)")
        XCTAssertEqual(try E2E.cleanroom(["check", "out/report.json"], in: dir).code, 3, "check keeps the environment error")
        E2E.assertNothingLeft(cleanroomPID: r.pid)
    }

    func testStrictWithALimitNotEnforcedExitsThree() throws {
        // A disk rate limit on a cwd in tmpfs (no block device to throttle) cannot be enforced.
        let shm = "/dev/shm/cleanroom-e2e-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: shm, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: shm) }
        let dir = E2E.scratch()
        try E2E.writeConfig(E2E.config(
            workloads: [["name": "reader", "command": E2E.sh("echo x > ran"), "cwd": shm,
                         "limits": ["disk_read_rate": "10MB/s"], "sandbox": ["filesystem": "host"]]],
            slos: [["name": "Quick", "workload": "reader", "objective": "max(wall_time) <= 5s"]]), in: dir)

        let lax = try E2E.cleanroom(["run", "-o", "lax"], in: dir)
        XCTAssertEqual(lax.code, 0, "without --strict the run goes on: \(lax)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: shm + "/ran"))
        let laxReport = try E2E.report(dir + "/lax/report.json")
        let degraded = (laxReport["host"] as? [String: Any])?["degraded"] as? [String] ?? []
        XCTAssertTrue(degraded.contains { $0.contains("disk") }, "host.degraded says what was not enforced: \(degraded)")
        XCTAssertTrue(lax.out.contains("degraded:") || lax.err.contains("disk"), "the console says it too: \(lax)")

        XCTAssertEqual(try E2E.cleanroom(["check", "lax/report.json"], in: dir).code, 0)
        XCTAssertEqual(try E2E.cleanroom(["check", "lax/report.json", "--strict"], in: dir).code, 3,
                       "check --strict: the saved report says what was not enforced")

        try FileManager.default.removeItem(atPath: shm + "/ran")
        let strict = try E2E.cleanroom(["run", "-o", "strict", "--strict"], in: dir)
        XCTAssertEqual(strict.code, 3, "\(strict)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: shm + "/ran"), "with --strict nothing runs unenforced")
        let strictReport = try E2E.report(dir + "/strict/report.json")
        XCTAssertEqual(strictReport["verdict"] as? String, "error")
        E2E.assertNothingLeft(cleanroomPID: strict.pid)
        E2E.assertNothingLeft(cleanroomPID: lax.pid)
    }

    // MARK: 4

    /// Wall times alternate 40 ms / 300 ms by construction (a counter in the cwd), so the 95%
    /// interval of the median straddles 150 ms however many runs are added: inconclusive once
    /// max_repeat is reached, with the added runs recorded.
    func testStraddlingObjectiveIsInconclusiveAfterMaxRepeat() throws {
        let dir = E2E.scratch()
        let script = "n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; "
            + "if [ $((n % 2)) -eq 1 ]; then sleep 0.04; else sleep 0.3; fi"
        try E2E.writeConfig(E2E.config(
            workloads: [["name": "flappy", "command": E2E.sh(script), "repeat": 3, "max_repeat": 6]],
            slos: [["name": "Median", "workload": "flappy", "objective": "median(wall_time) <= 150ms"],
                   ["name": "Sure", "workload": "flappy", "objective": "median(wall_time) <= 10s"]]), in: dir)
        let r = try E2E.cleanroom(["run", "-o", "out"], in: dir)
        XCTAssertEqual(r.code, 4, "\(r)")
        let report = try E2E.report(dir + "/out/report.json")
        XCTAssertEqual(report["verdict"] as? String, "inconclusive")
        let median = try XCTUnwrap(E2E.slo(report, "Median"))
        XCTAssertEqual(median["status"] as? String, "inconclusive")
        XCTAssertEqual(median["runs_added"] as? Int, 3)
        let ci = try XCTUnwrap(median["ci"] as? [Double])
        XCTAssertLessThanOrEqual(ci[0], 0.15)
        XCTAssertGreaterThan(ci[1], 0.15)
        XCTAssertEqual(E2E.measuredRuns(report, "flappy").count, 6)
        XCTAssertEqual(try String(contentsOfFile: dir + "/count", encoding: .utf8), "6\n")
        XCTAssertEqual(E2E.status(report, "Sure"), "pass")
        XCTAssertTrue(r.err.contains("adding a run"), r.err)

        // With "noise": "off" the point value alone decides: no interval, no runs added.
        try FileManager.default.removeItem(atPath: dir + "/count")
        try E2E.writeConfig(E2E.config(
            workloads: [["name": "flappy", "command": E2E.sh(script), "repeat": 3, "max_repeat": 6, "noise": "off"]],
            slos: [["name": "Median", "workload": "flappy", "objective": "median(wall_time) <= 150ms"]]), in: dir)
        let off = try E2E.cleanroom(["run", "-o", "off"], in: dir)
        XCTAssertEqual(off.code, 0, "runs 40, 300, 40 ms: median 40 ms: \(off)")
        let offReport = try E2E.report(dir + "/off/report.json")
        XCTAssertTrue(E2E.slo(offReport, "Median")?["ci"] is NSNull, "no interval with noise off: ci is null")
        XCTAssertEqual(E2E.measuredRuns(offReport, "flappy").count, 3)
    }

    // MARK: 130

    func testSIGINTMidRunExits130WithAPartialReportAndNothingLeft() throws {
        let sleepArg = "29.\(Int.random(in: 100_000...999_999))"
        try interrupt(with: SIGINT, long: { marker in E2E.sh("sleep \(sleepArg); echo \(marker)") }, alsoRunning: sleepArg)
    }

    /// SIGTERM, and a tree that ignores SIGTERM with a background child: still 130, nothing left.
    func testSIGTERMTearsDownATreeThatIgnoresSIGTERM() throws {
        let stubborn = try TestFixtures.binary("ignore_sigterm")
        try interrupt(with: SIGTERM, long: { marker in E2E.sh("\(stubborn) \(marker)-bg & exec \(stubborn) \(marker)") },
                      alsoRunning: nil)
    }

    /// A signal during a `prepare`: the run it prepared never happens and is not recorded as failed.
    func testSIGINTDuringPrepare() throws {
        let sleepArg = "28.\(Int.random(in: 100_000...999_999))"
        try interrupt(with: SIGINT, long: { marker in E2E.sh("echo \(marker)") }, alsoRunning: sleepArg,
                      prepare: E2E.sh("sleep \(sleepArg)"), longRuns: 0)
    }

    /// Starts a run of three workloads (quick, long, never), sends `sig` to the cleanroom process
    /// by PID while `long` runs, and checks exit 130 within 2 s + kill_grace, the partial
    /// `interrupted` report, and that no process or cgroup of the run is left.
    private func interrupt(with sig: Int32, long: (String) -> [String], alsoRunning: String?,
                           prepare: [String]? = nil, longRuns: Int = 1,
                           file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = E2E.scratch()
        let marker = "e2e-interrupt-\(UUID().uuidString.prefix(8))"
        let killGrace = 1.0
        try E2E.writeConfig(E2E.config(
            workloads: [["name": "quick", "command": E2E.sh("true"), "repeat": 1],
                        ["name": "long", "command": long(marker), "kill_grace": "\(Int(killGrace * 1000))ms",
                         "teardown": E2E.sh("touch teardown-started; sleep 5; touch teardown-finished")]
                            .merging(prepare.map { ["prepare": $0] } ?? [:]) { a, _ in a },
                        ["name": "never", "command": E2E.sh("touch never-ran"), "setup": E2E.sh("touch never-set-up")]],
            slos: [["name": "Any", "workload": "*", "objective": "max(wall_time) <= 60s"]]), in: dir)
        let running = try E2E.Running(["run", "-o", "out"], in: dir, env: E2E.environment)
        let pid = running.pid
        defer { if running.process.isRunning { kill(pid, SIGKILL) } }
        let markers = (prepare == nil ? [marker] : []) + (alsoRunning.map { [$0] } ?? [])
        var waited = 0
        while markers.contains(where: { E2E.processes(containing: $0).isEmpty }) && waited < 500 {
            usleep(20_000); waited += 1
        }
        XCTAssertFalse(markers.contains(where: { E2E.processes(containing: $0).isEmpty }), "the long workload never started",
                       file: file, line: line)
        XCTAssertFalse(E2E.cgroups(ofCleanroomPID: pid).isEmpty, "the run has its cgroup", file: file, line: line)
        let t = Date()
        kill(pid, sig)
        let r = running.wait()
        let took = Date().timeIntervalSince(t)
        XCTAssertEqual(r.code, 130, "\(r)", file: file, line: line)
        XCTAssertLessThan(took, 2 + killGrace, "exit within 2 s + kill_grace", file: file, line: line)
        let report = try E2E.report(dir + "/out/report.json")
        XCTAssertEqual(report["verdict"] as? String, "interrupted", file: file, line: line)
        XCTAssertEqual(E2E.measuredRuns(report, "quick").count, 1, "what finished before the signal is kept", file: file, line: line)
        let longRecords = E2E.runs(report, "long")
        XCTAssertEqual(longRecords.count, longRuns, "\(longRecords)", file: file, line: line)
        XCTAssertTrue(longRecords.allSatisfy { $0["outcome"] as? String == "killed" }, "\(longRecords)", file: file, line: line)
        XCTAssertNil(E2E.workload(report, "never")?["runs"].flatMap { ($0 as? [Any])?.first }, file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/never-ran"), "nothing starts after the signal", file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/never-set-up"), "not even a setup", file: file, line: line)
        // The teardown of a workload that was set up still runs, within a short timeout.
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/teardown-started"), "teardown runs after a signal", file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/teardown-finished"), "…but not for long", file: file, line: line)
        let why = E2E.workload(report, "long")?["error"] as? String ?? ""
        XCTAssertTrue(why.contains("teardown") && why.contains("timeout"), "report says the teardown timed out: \(why)", file: file, line: line)
        XCTAssertTrue(r.out.contains("INTERRUPTED"), r.out, file: file, line: line)
        for m in markers { E2E.assertNothingLeft(cleanroomPID: pid, marker: m, file: file, line: line) }
        // The partial report re-judges and merges as interrupted too.
        XCTAssertEqual(try E2E.cleanroom(["check", "out/report.json"], in: dir).code, 130, file: file, line: line)
        XCTAssertEqual(try E2E.cleanroom(["merge", "out/report.json", "-o", "merged"], in: dir).code, 130, file: file, line: line)
    }
}
