import XCTest
@testable import CleanroomKit

final class HistoryBaselineTests: XCTestCase {
    var dir: URL!
    var store: HistoryStore!

    override func setUpWithError() throws {
        dir = try HistoryFixtures.tempDir()
        store = try HistoryStore(path: dir.appendingPathComponent("h.sqlite").path)
    }
    override func tearDown() { store = nil; try? FileManager.default.removeItem(at: dir); super.tearDown() }

    /// 14 reports on main (k = 1…14) and 3 on a feature branch (k = 20…22, later in time).
    func recordMixedBranches() throws {
        for k in 1...14 { try store.record(HistoryFixtures.report(k, branch: "main")) }
        for k in 20...22 { try store.record(HistoryFixtures.report(k, branch: "feature")) }
    }

    func measuredWallTimes(_ w: WorkloadReport) -> [Double] {
        w.runs.filter { !$0.warmup }.compactMap { $0.metrics["wall_time"] }
    }

    func testBaselineTakesTheBranchsLast10Reports() throws {
        try recordMixedBranches()
        let base = try XCTUnwrap(try store.baseline(branch: "main", workloads: ["build"]))
        XCTAssertEqual(base.workloads.map(\.name), ["build"])
        let w = base.workloads[0]
        // Reports 5…14 of main, oldest first, three measured runs each; feature reports excluded.
        XCTAssertEqual(measuredWallTimes(w), (5...14).flatMap(HistoryFixtures.wallTimes))
        XCTAssertEqual(w.runs.filter(\.warmup).compactMap { $0.metrics["wall_time"] }, (5...14).map { 1000 + Double($0) })
        XCTAssertEqual(w.runs.map(\.index), Array(1...40))
        XCTAssertEqual(w.stats["wall_time"]?.n, 30, "stats over measured runs only")
        XCTAssertEqual(base.labels["baseline"], "history")
        XCTAssertEqual(base.labels["branch"], "main")
        XCTAssertEqual(base.labels["history_reports"], (5...14).map(String.init).joined(separator: ","))
        XCTAssertEqual(base.startedAt, HistoryFixtures.report(5, branch: "main").startedAt)
        XCTAssertEqual(base.finishedAt, HistoryFixtures.report(14, branch: "main").finishedAt)
        XCTAssertEqual(base.host.kernel, "6.1-test")
        // Services and exit codes come back where the Judge looks for them.
        XCTAssertEqual(w.runs.last?.services["api"]?.metrics["memory_peak"], 14000)
        XCTAssertEqual(w.runs.last?.exitCode, 0)
    }

    func testWithoutBranchLabelEveryReportCounts() throws {
        try recordMixedBranches()
        let base = try XCTUnwrap(try store.baseline(branch: nil, workloads: ["build"]))
        // The newest 10 of all: main 8…14 and feature 20…22.
        XCTAssertEqual(measuredWallTimes(base.workloads[0]), (Array(8...14) + Array(20...22)).flatMap(HistoryFixtures.wallTimes))
        XCTAssertNil(base.labels["branch"])
    }

    func testLastIsPerMetric() throws {
        // A custom metric only the three oldest reports had: its own last 10 reach back to them.
        for k in 1...3 { try store.record(HistoryFixtures.report(k, branch: "main", custom: [0.5])) }
        for k in 4...14 { try store.record(HistoryFixtures.report(k, branch: "main")) }
        let w = try XCTUnwrap(try store.baseline(branch: "main", workloads: ["build"])?.workloads.first)
        XCTAssertEqual(measuredWallTimes(w), (5...14).flatMap(HistoryFixtures.wallTimes))
        let latency = w.runs.compactMap { $0.custom["latency"] }
        XCTAssertEqual(latency.flatMap(\.values), [0.5, 1.5, 2.5, 0.5, 1.5, 2.5, 0.5, 1.5, 2.5])
        XCTAssertEqual(Set(latency.map(\.unit)), ["s"])
        XCTAssertEqual(w.runs.first { $0.custom["latency"] != nil }?.metrics["wall_time"], nil,
                       "report 1's wall_time is outside wall_time's last 10")
    }

    func testNoMatchingHistoryGivesNoBaseline() throws {
        try recordMixedBranches()
        XCTAssertNil(try store.baseline(branch: "release", workloads: ["build"]))
        XCTAssertNil(try store.baseline(branch: "main", workloads: ["never-recorded"]))
        let empty = try HistoryStore(path: dir.appendingPathComponent("empty.sqlite").path)
        XCTAssertNil(try empty.baseline(branch: nil, workloads: ["build"]))
    }

    func testOnlyRecordedWorkloadsAppear() throws {
        try store.record(HistoryFixtures.report(1, branch: "main", workload: "build"))
        try store.record(HistoryFixtures.report(2, branch: "main", workload: "test"))
        let base = try XCTUnwrap(try store.baseline(branch: "main", workloads: ["build", "test", "lint"]))
        XCTAssertEqual(base.workloads.map(\.name), ["build", "test"])
        XCTAssertEqual(base.labels["history_reports"], "1,2")
    }

    /// The synthetic baseline drives the Judge like a saved report: the threshold of
    /// `median(wall_time) <= baseline + 10%` is 1.1 × the median of the selected runs.
    func testJudgeResolvesABaselineObjectiveFromHistory() throws {
        try recordMixedBranches()
        let base = try XCTUnwrap(try store.baseline(branch: "main", workloads: ["build"]))
        let slo = SLOPlan(name: "NoRegression", workload: "build",
                          objective: Objective(aggregate: .median, metric: .builtin(.wallTime), comparison: .lessOrEqual,
                                               threshold: .baselinePercent(10), text: "median(wall_time) <= baseline + 10%"),
                          noise: false)
        let head = HistoryFixtures.report(15, branch: "main").workloads[0]
        let j = Judge.evaluate(slo: slo, workload: head, baseline: base.workloads.first, noise: false)
        let expectedBase = HistoryFixtures.numpyPercentile((5...14).flatMap(HistoryFixtures.wallTimes), 50)
        XCTAssertEqual(try XCTUnwrap(j.result.threshold), expectedBase * 1.1, accuracy: 1e-9)
        XCTAssertEqual(j.result.observed, 15.2)
        XCTAssertEqual(j.result.status, .fail)   // 15.2 s against 1.1 × 9.75 s

        // Provenance: the recorded reports the baseline was built from, and its own value.
        let source = BaselineRecord.of(base, path: "history")
        XCTAssertEqual(source.source, "history")
        XCTAssertEqual(source.reports, base.labels["history_reports"]?.split(separator: ",").map(String.init))
        XCTAssertEqual(source.reports.count, 10)
        let traced = Judge.evaluate(slo: slo, workload: head, baseline: base.workloads.first, noise: false, baselineSource: source)
        XCTAssertEqual(traced.result.baseline?.source, "history")
        XCTAssertEqual(traced.result.baseline?.reports, source.reports)
        XCTAssertEqual(try XCTUnwrap(traced.result.baseline?.value), expectedBase, accuracy: 1e-9)

        // No matching history → no baseline → no_data, as with no --baseline at all.
        let none = try store.baseline(branch: "release", workloads: ["build"])
        XCTAssertNil(none)
        XCTAssertEqual(Judge.evaluate(slo: slo, workload: head, baseline: none?.workloads.first).result.status, .noData)
    }
}
