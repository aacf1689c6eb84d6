import Foundation
import XCTest
@testable import CleanroomKit

/// One objective over many metrics: a glob expands to one ordinary objective per matching custom
/// metric before judging; nothing matching is no_data with the reason; reports fold the passes.
final class MetricGlobTests: XCTestCase {
    /// A workload whose runs report `count` benchmarks; `slow` ones are 20 % slower.
    func workload(_ name: String, count: Int, slow: Set<Int> = []) -> WorkloadReport {
        var w = WorkloadReport(name: name, command: ["bench"])
        for run in 1...3 {
            var custom: [String: CustomSeries] = [:]
            for i in 0..<count {
                let base = 1e-6 * Double(1 + i % 17) * (slow.contains(i) ? 1.2 : 1)
                custom[String(format: "BM_%03d.real_time", i)] = CustomSeries(unit: "s", values: [base * 0.99, base, base * 1.01])
                custom[String(format: "BM_%03d.items_per_second", i)] = CustomSeries(unit: "items/s", values: [1, 2, 3])
            }
            w.runs.append(RunRecord(index: run, custom: custom))
        }
        return w
    }

    func slo(_ text: String, workload: String = "gbench") throws -> SLOPlan {
        SLOPlan(name: "BenchTime", workload: workload, objective: try ObjectiveParser.parse(text))
    }

    func testGlobParsesAsACustomMetric() throws {
        let o = try ObjectiveParser.parse("median(custom.BM_*.real_time) <= baseline + 5%")
        XCTAssertEqual(o.metric, .custom("BM_*.real_time"))
        XCTAssertTrue(MetricGlobs.isGlob(o))
        XCTAssertFalse(MetricGlobs.isGlob(try ObjectiveParser.parse("p99(custom.latency) < 2ms")))
        XCTAssertEqual(try ObjectiveParser.parse("p99(custom.*.latency_p9[09]) < 2ms").metric, .custom("*.latency_p9[09]"))
    }

    func testTwoHundredBenchmarksTwoSlowedCaught() throws {
        let base = workload("gbench", count: 200)
        let head = workload("gbench", count: 200, slow: [17, 123])
        let results = MetricGlobs.evaluateAll(slos: [try slo("median(custom.BM_*.real_time) <= baseline + 10%")],
                                              workloads: [head], baseline: [base]).map(\.result)
        XCTAssertEqual(results.count, 200, "one result per benchmark, items_per_second not matched")
        let failed = results.filter { $0.status == .fail }
        XCTAssertEqual(failed.map(\.metric), ["BM_017.real_time", "BM_123.real_time"])
        XCTAssertEqual(results.filter { $0.status == .pass }.count, 198)
        XCTAssertEqual(failed[0].objective, "median(custom.BM_017.real_time) <= baseline + 10%")
        let failedBM017 = try XCTUnwrap(failed.first)
        XCTAssertEqual(failedBM017.observed!, 1.2e-6, accuracy: 1e-12)
        XCTAssertEqual(failedBM017.threshold!, 1.1e-6, accuracy: 1e-12)

        // JUnit: NAME[workload/metric], one test case each.
        var report = Report(verdict: .fail, startedAt: "", finishedAt: "", host: HostInfo(kernel: "k", cpus: 2, cgroup: "v2", degraded: []),
                            workloads: [head], slos: results)
        report.verdict = .fail
        let junit = JUnitReport.render(report)
        XCTAssertTrue(junit.contains("name=\"BenchTime[gbench/BM_017.real_time]\""))
        XCTAssertTrue(junit.contains("name=\"BenchTime[gbench/BM_199.real_time]\""))
        XCTAssertEqual(junit.components(separatedBy: "<testcase name=\"BenchTime[").count - 1, 200)
    }

    func testGlobMatchingNothingIsNoDataWithTheReason() throws {
        let results = MetricGlobs.evaluateAll(slos: [try slo("p99(custom.*.latency) < 2ms")],
                                              workloads: [workload("gbench", count: 3)], baseline: nil).map(\.result)
        XCTAssertEqual(results.count, 1)
        XCTAssertEqual(results[0].status, .noData)
        XCTAssertEqual(results[0].reason, "no custom metric of gbench matches custom.*.latency (it reported 6: custom.BM_000.items_per_second, custom.BM_000.real_time, custom.BM_001.items_per_second, custom.BM_001.real_time, custom.BM_002.items_per_second, …)")
    }

    func testStarWorkloadAndGlobTogether() throws {
        let results = MetricGlobs.evaluateAll(slos: [try slo("max(custom.BM_00[01].real_time) < 1s", workload: "*")],
                                              workloads: [workload("a", count: 3), workload("b", count: 1)], baseline: nil).map(\.result)
        XCTAssertEqual(results.map { "\($0.workload)/\($0.metric ?? "-")" }, ["a/BM_000.real_time", "a/BM_001.real_time", "b/BM_000.real_time"])
        XCTAssertTrue(results.allSatisfy { $0.status == .pass })
    }

    func testReportsFoldPassingResultsFailuresFirst() throws {
        let results = MetricGlobs.evaluateAll(slos: [try slo("median(custom.BM_*.real_time) <= baseline + 10%")],
                                              workloads: [workload("gbench", count: 200, slow: [17, 123])],
                                              baseline: [workload("gbench", count: 200)]).map(\.result)
        let split = ResultGroups.split(results)
        XCTAssertEqual(split.listed.map(\.status), [.fail, .fail])
        XCTAssertEqual(split.folded.count, 1)
        XCTAssertEqual(ResultGroups.title(split.folded[0]), "BenchTime on gbench: 198 of 200 passed")
        let report = Report(verdict: .fail, startedAt: "2026-01-01T00:00:00Z", finishedAt: "2026-01-01T00:00:01Z",
                            host: HostInfo(kernel: "k", cpus: 2, cgroup: "v2", degraded: []),
                            workloads: [workload("gbench", count: 2)], slos: results)
        let md = MarkdownReport.render(report)
        let table = md.components(separatedBy: "<details>")[0]
        // Markdown escapes `_` and `:`.
        XCTAssertTrue(table.contains("BM\\_017.real\\_time") && table.contains("BM\\_123.real\\_time"), table)
        XCTAssertFalse(table.contains("BM\\_018.real\\_time"), "passing results are folded")
        XCTAssertTrue(md.contains("<details><summary>pass: BenchTime on gbench\\: 198 of 200 passed</summary>"), md)
        let html = HTMLReport.render(report)
        XCTAssertTrue(html.contains("BenchTime on gbench: 198 of 200 passed</summary>"), String(html.prefix(0)))
        let console = ConsoleSummary.render(report)
        XCTAssertLessThan(console.split(separator: "\n").count, 12, console)
        XCTAssertTrue(html.contains("<details class=\"group\">"))
        XCTAssertTrue(console.contains("BenchTime on gbench: 198 of 200 passed"))
    }
}
