import Foundation
import XCTest
@testable import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

/// Noise (runs added while the interval straddles), baselines (`baseline + 10%`, no_data,
/// --strict), `check` re-judging and `compare`, end to end with real timed workloads.
final class NoiseAndBaselineTests: EndToEndTestCase {

    /// A workload whose wall time is uniform over roughly 50–150 ms (a random sleep of 10–110 ms
    /// plus the interpreter's start, ~40 ms here) against `median(wall_time) <= 100ms`. Which side of the line
    /// the runs fall is chance, so the test checks what the contract allows for every draw:
    /// - inconclusive (exit 4) only after max_repeat measured runs, with the interval straddling;
    /// - pass/fail (exit 0/1) only with the interval wholly on that side of 100 ms;
    /// - runs_added = measured − repeat, and runs are added only while the interval straddled,
    ///   which the 3 first runs' own interval must show.
    func testNoiseAddsRunsAndDecidesOnlyByTheInterval() throws {
        let dir = E2E.scratch()
        let py = "import random, time; time.sleep(random.uniform(0.01, 0.11))"
        try E2E.writeConfig(E2E.config(
            workloads: [["name": "jitter", "command": ["/usr/bin/python3", "-S", "-c", py], "repeat": 3, "max_repeat": 9]],
            slos: [["name": "Median", "workload": "jitter", "objective": "median(wall_time) <= 100ms"]]), in: dir)
        let r = try E2E.cleanroom(["run", "-o", "out"], in: dir)
        let report = try E2E.report(dir + "/out/report.json")
        let result = try XCTUnwrap(E2E.slo(report, "Median"))
        let walls = E2E.wallTimes(report, "jitter")
        let ci = try XCTUnwrap(result["ci"] as? [Double], "noise is judged: a ci is reported")
        let added = result["runs_added"] as? Int ?? 0
        XCTAssertEqual(walls.count, 3 + added, "runs_added counts the measured runs beyond repeat")
        XCTAssertLessThanOrEqual(walls.count, 9, "never beyond max_repeat")
        XCTAssertLessThanOrEqual(ci[0], ci[1])
        let status = result["status"] as? String
        switch r.code {
        case 4:
            XCTAssertEqual(status, "inconclusive")
            XCTAssertEqual(report["verdict"] as? String, "inconclusive")
            XCTAssertEqual(walls.count, 9, "inconclusive only once no more runs may be added")
            XCTAssertTrue(ci[0] <= 0.1 && ci[1] > 0.1, "the final interval straddles 100 ms: \(ci)")
        case 0:
            XCTAssertEqual(status, "pass")
            XCTAssertLessThanOrEqual(ci[1], 0.1, "pass only with the whole interval at or below 100 ms: \(ci)")
        case 1:
            XCTAssertEqual(status, "fail")
            XCTAssertGreaterThan(ci[0], 0.1, "fail only with the whole interval above 100 ms: \(ci)")
        default:
            XCTFail("unexpected exit: \(r)")
        }
        // Re-judge the first three runs as the orchestrator did before deciding to add any.
        var first3 = WorkloadReport(name: "jitter", command: [])
        first3.runs = walls.prefix(3).enumerated().map { i, w in
            RunRecord(index: i + 1, outcome: .ok, exitCode: 0, metrics: ["wall_time": w])
        }
        let slo = SLOPlan(name: "Median", workload: "jitter", objective: try ObjectiveParser.parse("median(wall_time) <= 100ms"))
        let initial = Judge.evaluate(slo: slo, workload: first3, baseline: nil)
        XCTAssertEqual(added > 0, initial.needsMoreRuns,
                       "runs were added iff the first 3 runs straddled: \(walls.prefix(3)) → \(initial.result.ci ?? [])")
        if added > 0 { XCTAssertTrue(r.err.contains("adding a run"), r.err) }
        print("noise e2e: exit \(r.code), \(walls.count) runs, ci \(ci), walls \(walls)")
    }

    /// Base ~100 ms, head ~150 ms (5 runs each, so a Mann–Whitney p < 0.05 is attainable):
    /// `median(wall_time) <= baseline + 10%` is no_data without a baseline (exit 0; --strict: 1),
    /// fails against the base (exit 1); `check` re-judges the same way; `compare` says slower.
    func testBaselineCheckAndCompare() throws {
        let dir = E2E.scratch()
        func config(sleep: String) -> [String: Any] {
            E2E.config(workloads: [["name": "api", "command": E2E.sh("sleep \(sleep)"), "repeat": 8]],
                       slos: [["name": "NoRegression", "workload": "api", "objective": "median(wall_time) <= baseline + 10%"],
                              ["name": "Sane", "workload": "api", "objective": "median(wall_time) <= 5s"]])
        }
        // 0.1 s → 0.4 s: a regression far beyond what load on a shared host does to a sleep, so
        // the two-sample interval (the baseline's noise counted) decides it even on a busy machine.
        try E2E.writeConfig(config(sleep: "0.1"), in: dir, name: "base.json")
        try E2E.writeConfig(config(sleep: "0.4"), in: dir, name: "head.json")

        let base = try E2E.cleanroom(["run", "-c", "base.json", "-o", "base"], in: dir)
        XCTAssertEqual(base.code, 0, "no baseline: no_data does not fail the gate: \(base)")
        let baseReport = try E2E.report(dir + "/base/report.json")
        XCTAssertEqual(E2E.status(baseReport, "NoRegression"), "no_data")
        XCTAssertNotNil(E2E.slo(baseReport, "NoRegression")?["reason"] as? String)
        // Every key of an objective result is present; one without a value is null (SPEC "Report").
        let noData = try XCTUnwrap(E2E.slo(baseReport, "NoRegression"))
        for key in ["observed", "threshold", "margin", "ci", "runs_added", "baseline"] {
            XCTAssertTrue(noData.keys.contains(key), "no_data result lacks \(key): \(noData)")
        }
        XCTAssertTrue(noData["threshold"] is NSNull && noData["margin"] is NSNull, "\(noData)")
        XCTAssertEqual(baseReport["verdict"] as? String, "pass")

        let head = try E2E.cleanroom(["run", "-c", "head.json", "-o", "head", "--baseline", "base/report.json"], in: dir)
        XCTAssertEqual(head.code, 1, "\(head)")
        let headReport = try E2E.report(dir + "/head/report.json")
        let reg = try XCTUnwrap(E2E.slo(headReport, "NoRegression"))
        XCTAssertEqual(reg["status"] as? String, "fail")
        let baseMedian = try XCTUnwrap(Statistics.aggregate(.median, E2E.wallTimes(baseReport, "api")))
        XCTAssertEqual(try XCTUnwrap(reg["threshold"] as? Double), baseMedian * 1.1, accuracy: 1e-9,
                       "the threshold is the base median + 10%")
        XCTAssertEqual(try XCTUnwrap(reg["observed"] as? Double), try XCTUnwrap(Statistics.aggregate(.median, E2E.wallTimes(headReport, "api"))), accuracy: 1e-12)

        let strict = try E2E.cleanroom(["run", "-c", "head.json", "-o", "strict", "--strict", "--repeat", "2"], in: dir)
        XCTAssertEqual(strict.code, 1, "--strict: no_data fails the gate: \(strict)")
        XCTAssertEqual(E2E.status(try E2E.report(dir + "/strict/report.json"), "NoRegression"), "no_data")

        // check: the same exit codes from the saved reports, running nothing.
        XCTAssertEqual(try E2E.cleanroom(["check", "head/report.json", "--baseline", "base/report.json"], in: dir).code, 1)
        XCTAssertEqual(try E2E.cleanroom(["check", "head/report.json"], in: dir).code, 0, "no baseline given to check: no_data")
        XCTAssertEqual(try E2E.cleanroom(["check", "head/report.json", "--strict"], in: dir).code, 1)
        let own = try E2E.cleanroom(["check", "base/report.json"], in: dir)
        XCTAssertEqual(own.code, 0, "\(own)")
        XCTAssertTrue(own.out.contains("NO_DATA"), own.out)
        // A looser regression budget lets the head pass.
        var loose = config(sleep: "0.4")
        loose["slos"] = [["name": "NoRegression", "workload": "api", "objective": "median(wall_time) <= baseline + 2000%"]]
        try E2E.writeConfig(loose, in: dir, name: "loose.json")
        let looseCheck = try E2E.cleanroom(["check", "head/report.json", "-c", "loose.json", "--baseline", "base/report.json"], in: dir)
        XCTAssertEqual(looseCheck.code, 0, "\(looseCheck)")

        // compare: wall_time clearly slower, in a table.
        let cmp = try E2E.cleanroom(["compare", "base/report.json", "head/report.json"], in: dir)
        XCTAssertEqual(cmp.code, 0, "\(cmp)")
        let wallLine = try XCTUnwrap(cmp.out.split(separator: "\n").first { $0.contains("wall_time") }, cmp.out)
        XCTAssertTrue(wallLine.contains("slower"), String(wallLine))
        let header = cmp.out.split(separator: "\n").first.map(String.init) ?? ""
        XCTAssertEqual(header.split(separator: " ").map(String.init),
                       ["workload", "metric", "base", "head", "change", "95%", "CI", "result", "p", "(rank", "test)", "to", "decide"],
                       "a table: \(cmp.out)")
        let json = try E2E.cleanroom(["compare", "base/report.json", "head/report.json", "--format", "json"], in: dir)
        XCTAssertEqual(json.code, 0)
        XCTAssertTrue(json.out.contains("\"slower\""), json.out)
        let parsed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])
        let wall = try XCTUnwrap((parsed["changes"] as? [[String: Any]])?.first { $0["metric"] as? String == "wall_time" })
        XCTAssertLessThan(try XCTUnwrap(wall["p_value"] as? Double), 0.05,
                          "8 runs a side, no overlap: exact Mann–Whitney p = 2/12870")
        // The gate's verdict and compare's word agree (same interval; band 10 % as the objective).
        let band = try E2E.cleanroom(["compare", "base/report.json", "head/report.json", "--band", "10%"], in: dir)
        XCTAssertTrue(band.out.split(separator: "\n").contains { $0.contains("wall_time") && $0.contains("slower") }, band.out)
        XCTAssertNotNil(reg["baseline"] as? [String: Any])
        XCTAssertEqual((reg["baseline"] as? [String: Any])?["source"] as? String, "file")
        XCTAssertEqual((reg["baseline"] as? [String: Any])?["reports"] as? [String], ["base/report.json"])
        // The reverse direction is faster.
        let rev = try E2E.cleanroom(["compare", "head/report.json", "base/report.json"], in: dir)
        XCTAssertTrue(rev.out.split(separator: "\n").contains { $0.contains("wall_time") && $0.contains("faster") }, rev.out)
        print("compare e2e:\n\(cmp.out)")
        XCTAssertEqual(try E2E.cleanroom(["compare", "base/report.json", "nope.json"], in: dir).code, 2)
    }

    /// `check REPORT.json` gives the run's own exit code; with -c of a stricter slo.json another one.
    func testCheckReJudgesWithTheSameExitCode() throws {
        let dir = E2E.scratch()
        let cfg = E2E.config(workloads: [["name": "w", "command": E2E.sh("sleep 0.05"), "repeat": 3],
                                         ["name": "v", "command": E2E.sh("sleep 0.05"), "repeat": 3]],
                             slos: [["name": "Loose", "workload": "*", "objective": "median(wall_time) <= 5s"],
                                    ["name": "Warn", "workload": "w", "objective": "median(wall_time) <= 1ms", "level": "warn"]])
        try E2E.writeConfig(cfg, in: dir)
        let r = try E2E.cleanroom(["run", "-o", "out"], in: dir)
        XCTAssertEqual(r.code, 0, "\(r)")
        let original = try E2E.report(dir + "/out/report.json")
        let check = try E2E.cleanroom(["check", "out/report.json"], in: dir)
        XCTAssertEqual(check.code, 0, "\(check)")
        // The re-judged table shows the same statuses, `*` still one per workload.
        for s in E2E.slos(original) {
            let line = check.out.split(separator: "\n").first {
                $0.contains("\(s["name"] as! String):") && $0.contains(" \(s["workload"] as! String) ")
            }
            XCTAssertNotNil(line, "\(s["name"]!)[\(s["workload"]!)] missing from\n\(check.out)")
            XCTAssertTrue(line?.hasPrefix((s["status"] as! String).uppercased()) ?? false, "\(line ?? "")")
        }
        // The config itself gives the same result.
        XCTAssertEqual(try E2E.cleanroom(["check", "out/report.json", "-c", "slo.json"], in: dir).code, 0)

        var stricter = cfg
        stricter["slos"] = [["name": "Tight", "workload": "v", "objective": "median(wall_time) <= 10ms"]]
        try E2E.writeConfig(stricter, in: dir, name: "stricter.json")
        let tight = try E2E.cleanroom(["check", "out/report.json", "-c", "stricter.json"], in: dir)
        XCTAssertEqual(tight.code, 1, "\(tight)")
        XCTAssertTrue(tight.out.contains("FAIL"), tight.out)
        XCTAssertEqual(try E2E.cleanroom(["check", "missing.json"], in: dir).code, 2)
        try "{\"version\": 1, \"workloads\": []}".write(toFile: dir + "/broken.json", atomically: true, encoding: .utf8)
        XCTAssertEqual(try E2E.cleanroom(["check", "out/report.json", "-c", "broken.json"], in: dir).code, 2, "a bad -c is a config error")
        XCTAssertEqual(try E2E.cleanroom(["check", "slo.json"], in: dir).code, 2, "not a report")

        // A failed workload stays failed when re-judged (exit code 1 twice).
        try E2E.writeConfig(E2E.config(workloads: [["name": "x", "command": E2E.sh("exit 9"), "repeat": 1]],
                                       slos: [["name": "Loose", "workload": "x", "objective": "max(wall_time) <= 5s"]]),
                            in: dir, name: "failing.json")
        XCTAssertEqual(try E2E.cleanroom(["run", "-c", "failing.json", "-o", "failing"], in: dir).code, 1)
        XCTAssertEqual(try E2E.cleanroom(["check", "failing/report.json"], in: dir).code, 1)
        // So does a workload whose setup failed (it has no runs at all).
        try E2E.writeConfig(E2E.config(workloads: [["name": "y", "command": E2E.sh("true"), "setup": E2E.sh("exit 1")]],
                                       slos: [["name": "Loose", "workload": "y", "objective": "max(wall_time) <= 5s"]]),
                            in: dir, name: "setup.json")
        XCTAssertEqual(try E2E.cleanroom(["run", "-c", "setup.json", "-o", "setup"], in: dir).code, 1)
        XCTAssertEqual(try E2E.cleanroom(["check", "setup/report.json"], in: dir).code, 1)
        // And an inconclusive objective stays inconclusive (4).
        let flappy = "n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; "
            + "if [ $((n % 2)) -eq 1 ]; then sleep 0.02; else sleep 0.2; fi"
        try E2E.writeConfig(E2E.config(workloads: [["name": "f", "command": E2E.sh(flappy), "repeat": 3, "max_repeat": 3]],
                                       slos: [["name": "Median", "workload": "f", "objective": "median(wall_time) <= 100ms"]]),
                            in: dir, name: "flappy.json")
        XCTAssertEqual(try E2E.cleanroom(["run", "-c", "flappy.json", "-o", "flappy"], in: dir).code, 4)
        XCTAssertEqual(try E2E.cleanroom(["check", "flappy/report.json"], in: dir).code, 4)
        XCTAssertEqual(try E2E.cleanroom(["check", "flappy/report.json", "-c", "flappy.json"], in: dir).code, 4)
    }
}
