import Foundation
import XCTest
@testable import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

/// `cleanroom run` end to end: what runs, in what order, and what is judged — levels, `*`,
/// positional workload selection, setup/prepare/teardown, warmups.
final class RunPlanTests: EndToEndTestCase {

    func testAFailingWarnObjectiveKeepsExitZero() throws {
        let dir = E2E.scratch()
        try E2E.writeConfig(E2E.config(
            workloads: [["name": "w", "command": E2E.sh("sleep 0.05")]],
            slos: [["name": "Aspirational", "workload": "w", "objective": "median(wall_time) <= 1ms", "level": "warn"],
                   ["name": "Real", "workload": "w", "objective": "median(wall_time) <= 5s"]]), in: dir)
        let r = try E2E.cleanroom(["run", "-o", "out"], in: dir)
        XCTAssertEqual(r.code, 0, "\(r)")
        let report = try E2E.report(dir + "/out/report.json")
        XCTAssertEqual(report["verdict"] as? String, "pass")
        let warn = try XCTUnwrap(E2E.slo(report, "Aspirational"))
        XCTAssertEqual(warn["status"] as? String, "fail")
        XCTAssertEqual(warn["level"] as? String, "warn")
        XCTAssertLessThan(try XCTUnwrap(warn["margin"] as? Double), 0)
        // The same objective at level error fails the gate.
        try E2E.writeConfig(E2E.config(
            workloads: [["name": "w", "command": E2E.sh("sleep 0.05")]],
            slos: [["name": "Aspirational", "workload": "w", "objective": "median(wall_time) <= 1ms"]]), in: dir)
        let strictLevel = try E2E.cleanroom(["run", "-o", "out2", "--repeat", "2"], in: dir)
        XCTAssertEqual(strictLevel.code, 1, "\(strictLevel)")
    }

    func testStarGivesOneResultPerWorkloadAndPositionalNamesSelect() throws {
        let dir = E2E.scratch()
        let names = ["alpha", "beta", "gamma web"]
        try E2E.writeConfig(E2E.config(
            workloads: names.map { ["name": $0, "command": E2E.sh("echo $0 >> ran.log", ), "repeat": 2] },
            slos: [["name": "Every", "workload": "*", "objective": "max(wall_time) <= 5s"],
                   ["name": "BetaOnly", "workload": "beta", "objective": "count(wall_time) >= 2"]]), in: dir)
        let all = try E2E.cleanroom(["run", "-o", "all"], in: dir)
        XCTAssertEqual(all.code, 0, "\(all)")
        let report = try E2E.report(dir + "/all/report.json")
        let every = E2E.slos(report).filter { $0["name"] as? String == "Every" }
        XCTAssertEqual(every.compactMap { $0["workload"] as? String }, names, "one result per workload, in plan order")
        XCTAssertTrue(every.allSatisfy { $0["status"] as? String == "pass" })
        XCTAssertEqual(every.first?["objective"] as? String, "max(wall_time) <= 5s")
        XCTAssertEqual(E2E.status(report, "BetaOnly", workload: "beta"), "pass")
        XCTAssertEqual(E2E.workloads(report).compactMap { $0["name"] as? String }, names)

        // Positional selection: only the named workloads run, and only their objectives are judged.
        let some = try E2E.cleanroom(["run", "-o", "some", "gamma web", "alpha"], in: dir)
        XCTAssertEqual(some.code, 0, "\(some)")
        let selected = try E2E.report(dir + "/some/report.json")
        XCTAssertEqual(Set(E2E.workloads(selected).compactMap { $0["name"] as? String }), ["alpha", "gamma web"])
        XCTAssertEqual(Set(E2E.slos(selected).compactMap { $0["workload"] as? String }), ["alpha", "gamma web"])
        XCTAssertNil(E2E.slo(selected, "BetaOnly"))
        // File names derived from "gamma web" are sanitised; the captured output is there.
        let gammaRun = try XCTUnwrap(E2E.measuredRuns(selected, "gamma web").first)
        let rel = try XCTUnwrap((gammaRun["output"] as? [String: Any])?["stdout"] as? String)
        XCTAssertFalse(rel.contains(" "), rel)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/some/" + rel), rel)
        E2E.assertNothingLeft(cleanroomPID: all.pid)
        E2E.assertNothingLeft(cleanroomPID: some.pid)
    }

    /// setup once, prepare before every warmup and measured run, teardown once — in that order —
    /// each appending a line to a file in the workload's cwd. Warmups are flagged and never judged:
    /// they sleep 400 ms, measured runs do not, and `max(wall_time) <= 300ms` passes.
    func testHooksAndWarmups() throws {
        let dir = E2E.scratch()
        let run = "n=$(grep -c '^run' hooks.log); echo run >> hooks.log; "
            + "if [ \"$n\" -lt 2 ]; then sleep 0.4; fi; echo output-of-run-$n"
        try E2E.writeConfig(E2E.config(
            workloads: [["name": "hooked", "command": E2E.sh(run), "warmup": 2, "repeat": 3,
                         "setup": E2E.sh("echo setup >> hooks.log"),
                         "prepare": E2E.sh("echo prepare >> hooks.log"),
                         "teardown": E2E.sh("echo teardown >> hooks.log"),
                         "sandbox": ["filesystem": "private-tmp"]]],
            slos: [["name": "NoWarmupCounted", "workload": "hooked", "objective": "max(wall_time) <= 300ms"],
                   ["name": "ThreeMeasured", "workload": "hooked", "objective": "count(wall_time) <= 3"]]), in: dir)
        let r = try E2E.cleanroom(["run", "-o", "out"], in: dir)
        XCTAssertEqual(r.code, 0, "\(r)")
        let log = try String(contentsOfFile: dir + "/hooks.log", encoding: .utf8)
        let expected = ["setup"] + Array(repeating: ["prepare", "run"], count: 5).flatMap { $0 } + ["teardown"]
        XCTAssertEqual(log.split(separator: "\n").map(String.init), expected)

        let report = try E2E.report(dir + "/out/report.json")
        let runs = E2E.runs(report, "hooked")
        XCTAssertEqual(runs.map { $0["warmup"] as? Bool }, [true, true, false, false, false])
        XCTAssertEqual(runs.map { $0["index"] as? Int }, [1, 2, 3, 4, 5])
        let walls = runs.compactMap { ($0["metrics"] as? [String: Any])?["wall_time"] as? Double }
        XCTAssertEqual(walls.count, 5)
        XCTAssertTrue(walls.prefix(2).allSatisfy { $0 >= 0.4 }, "warmups slept: \(walls)")
        XCTAssertTrue(walls.suffix(3).allSatisfy { $0 < 0.3 }, "measured runs did not: \(walls)")
        XCTAssertEqual(E2E.status(report, "NoWarmupCounted"), "pass")
        XCTAssertEqual(E2E.slo(report, "ThreeMeasured")?["observed"] as? Double, 3)
        let stats = (E2E.workload(report, "hooked")?["stats"] as? [String: Any])?["wall_time"] as? [String: Any]
        XCTAssertEqual(stats?["n"] as? Int, 3)
        // Each run's output is its own (warmups included), at runs/<workload>/<index>/stdout.txt.
        for (i, run) in runs.enumerated() {
            let rel = try XCTUnwrap((run["output"] as? [String: Any])?["stdout"] as? String)
            XCTAssertEqual(rel, "runs/hooked/\(i + 1)/stdout.txt")
            XCTAssertEqual(try String(contentsOfFile: dir + "/out/" + rel, encoding: .utf8), "output-of-run-\(i)\n")
        }
        E2E.assertNothingLeft(cleanroomPID: r.pid)
    }

    /// --repeat and --warmup on the command line win over the workload's own keys.
    func testCommandLineRepeatAndWarmupWin() throws {
        let dir = E2E.scratch()
        try E2E.writeConfig(E2E.config(
            workloads: [["name": "w", "command": E2E.sh("echo run >> runs.log"), "repeat": 5, "warmup": 3]],
            slos: [["name": "Quick", "workload": "w", "objective": "max(wall_time) <= 5s"]]), in: dir)
        let r = try E2E.cleanroom(["run", "-o", "out", "--repeat", "2", "--warmup", "1"], in: dir)
        XCTAssertEqual(r.code, 0, "\(r)")
        let report = try E2E.report(dir + "/out/report.json")
        XCTAssertEqual(E2E.runs(report, "w").map { $0["warmup"] as? Bool }, [true, false, false])
        XCTAssertEqual(try String(contentsOfFile: dir + "/runs.log", encoding: .utf8), "run\nrun\nrun\n")
    }

    /// A failing setup fails the workload without running it; teardown failures are reported too.
    func testFailingSetupFailsTheWorkload() throws {
        let dir = E2E.scratch()
        try E2E.writeConfig(E2E.config(
            workloads: [["name": "w", "command": E2E.sh("touch ran"), "setup": E2E.sh("exit 4")]],
            slos: [["name": "Quick", "workload": "w", "objective": "max(wall_time) <= 5s"]]), in: dir)
        let r = try E2E.cleanroom(["run", "-o", "out"], in: dir)
        XCTAssertEqual(r.code, 1, "\(r)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/ran"))
        let report = try E2E.report(dir + "/out/report.json")
        XCTAssertEqual(report["verdict"] as? String, "fail")
        XCTAssertTrue((E2E.workload(report, "w")?["error"] as? String ?? "").contains("setup"), "\(report)")
        XCTAssertTrue(r.out.contains("setup"), r.out)
    }

    /// `--parallel 4` runs four workloads at the same time (on this 2-core host too): each records
    /// when it started and ended, and all four intervals share an instant. The report keeps plan order.
    func testParallelRunsWorkloadsAtTheSameTime() throws {
        let dir = E2E.scratch()
        let names = ["p1", "p2", "p3", "p4"]
        try E2E.writeConfig(E2E.config(
            workloads: names.map { ["name": $0, "repeat": 1,
                                    "command": E2E.sh("s=$(date +%s.%N); sleep 0.6; echo \"$s $(date +%s.%N)\" >> spans.log")] },
            slos: [["name": "Quick", "workload": "*", "objective": "max(wall_time) <= 10s"]]), in: dir)
        let r = try E2E.cleanroom(["run", "-o", "out", "--parallel", "4"], in: dir)
        XCTAssertEqual(r.code, 0, "\(r)")
        let spans = try String(contentsOfFile: dir + "/spans.log", encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: " ").compactMap { Double($0) } }
        XCTAssertEqual(spans.count, 4)
        let latestStart = spans.map { $0[0] }.max()!, earliestEnd = spans.map { $0[1] }.min()!
        XCTAssertLessThan(latestStart, earliestEnd, "all four ran at once: \(spans)")
        let report = try E2E.report(dir + "/out/report.json")
        XCTAssertEqual(E2E.workloads(report).compactMap { $0["name"] as? String }, names)
        XCTAssertEqual(report["parallel"] as? Int, 4)
        E2E.assertNothingLeft(cleanroomPID: r.pid)
    }

    /// `--history FILE --baseline history`: the baseline is the recorded runs of this branch;
    /// a branch with no history gives no_data, saying why (exit 0; with --strict 1).
    func testHistoryBaseline() throws {
        let dir = E2E.scratch()
        func config(_ sleep: String) -> [String: Any] {
            E2E.config(workloads: [["name": "api", "command": E2E.sh("sleep \(sleep)"), "repeat": 3]],
                       slos: [["name": "NoRegression", "workload": "api", "objective": "median(wall_time) <= baseline + 20%"]])
        }
        try E2E.writeConfig(config("0.1"), in: dir, name: "base.json")
        try E2E.writeConfig(config("0.2"), in: dir, name: "head.json")
        let base = try E2E.cleanroom(["run", "-c", "base.json", "-o", "base", "--history", "h.db", "--label", "branch=main"], in: dir)
        XCTAssertEqual(base.code, 0, "\(base)")
        let head = try E2E.cleanroom(["run", "-c", "head.json", "-o", "head", "--history", "h.db", "--label", "branch=main",
                                      "--baseline", "history"], in: dir)
        XCTAssertEqual(head.code, 1, "twice as slow as main's history: \(head)")
        let headReport = try E2E.report(dir + "/head/report.json")
        let threshold = try XCTUnwrap(E2E.slo(headReport, "NoRegression")?["threshold"] as? Double)
        let baseMedian = try XCTUnwrap(Statistics.aggregate(.median, E2E.wallTimes(try E2E.report(dir + "/base/report.json"), "api")))
        XCTAssertEqual(threshold, baseMedian * 1.2, accuracy: 1e-9, "the baseline is main's one recorded report")

        let other = try E2E.cleanroom(["run", "-c", "head.json", "-o", "other", "--history", "h.db", "--label", "branch=feature",
                                       "--baseline", "history", "--repeat", "2"], in: dir)
        XCTAssertEqual(other.code, 0, "\(other)")
        let reason = E2E.slo(try E2E.report(dir + "/other/report.json"), "NoRegression")?["reason"] as? String ?? ""
        XCTAssertTrue(reason.contains("history") && reason.contains("branch=feature"), reason)
        let strict = try E2E.cleanroom(["run", "-c", "head.json", "-o", "strict", "--history", "h.db", "--label", "branch=nobody",
                                        "--baseline", "history", "--repeat", "2", "--strict"], in: dir)
        XCTAssertEqual(strict.code, 1, "\(strict)")
        XCTAssertEqual(try E2E.cleanroom(["run", "-c", "head.json", "-o", "x", "--baseline", "history"], in: dir).code, 2,
                       "--baseline history needs a history")
    }

    /// `-c` from another directory: a workload's relative `cwd` is the config file's directory,
    /// `-o` is relative to where cleanroom was started.
    func testConfigElsewhereResolvesCwdFromTheConfigFile() throws {
        let dir = E2E.scratch()
        try FileManager.default.createDirectory(atPath: dir + "/ci/work", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/elsewhere", withIntermediateDirectories: true)
        try E2E.writeConfig(E2E.config(
            workloads: [["name": "w", "command": E2E.sh("pwd > where.txt"), "cwd": "work", "repeat": 1]],
            slos: [["name": "Quick", "workload": "w", "objective": "max(wall_time) <= 5s"]]), in: dir + "/ci")
        let r = try E2E.cleanroom(["run", "-c", "../ci/slo.json", "-o", "out"], in: dir + "/elsewhere")
        XCTAssertEqual(r.code, 0, "\(r)")
        XCTAssertEqual(try String(contentsOfFile: dir + "/ci/work/where.txt", encoding: .utf8),
                       URL(fileURLWithPath: dir + "/ci/work").resolvingSymlinksInPath().path + "\n")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/elsewhere/out/report.json"))
    }
}
