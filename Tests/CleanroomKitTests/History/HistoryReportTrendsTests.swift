import XCTest
@testable import CleanroomKit

/// `HistoryStore.reportTrends(for:)`: the series report.html draws, computed from the recorded
/// runs exactly as the Judge aggregates them, on the report's branch, with this run last.
final class HistoryReportTrendsTests: XCTestCase {
    var dir: URL!
    var store: HistoryStore!
    static let mib = 1_048_576.0
    static let custom = [0.010, 0.030]
    /// Every fixture report's pooled latency observations (2 per run, run i adds i).
    static let observations = [0.010, 0.030, 1.010, 1.030, 2.010, 2.030]

    override func setUpWithError() throws {
        dir = try HistoryFixtures.tempDir()
        store = try HistoryStore(path: dir.appendingPathComponent("h.sqlite").path)
    }
    override func tearDown() { store = nil; try? FileManager.default.removeItem(at: dir); super.tearDown() }

    static func branch(_ k: Int) -> String { k % 5 == 0 ? "dev" : "main" }

    /// Report `k` on main with three objectives: an absolute one on memory, an absolute one on a
    /// custom metric, a baseline-relative one on median(wall_time).
    static func current(_ k: Int, branch: String? = "main") -> Report {
        var r = HistoryFixtures.report(k, branch: branch, custom: custom)
        func slo(_ name: String, _ objective: String, _ threshold: Double?, _ unit: String) -> ObjectiveResult {
            ObjectiveResult(name: name, workload: "build", objective: objective, level: .error, observed: nil,
                            threshold: threshold, unit: unit, status: .pass)
        }
        r.slos = [slo("Mem", "max(memory_peak) <= 30MiB", 30 * mib, "B"),
                  slo("Lat", "p99(custom.latency) < 2.5s", 2.5, "s"),
                  slo("Regress", "median(wall_time) <= baseline + 10%", 1, "s")]
        return r
    }

    func recordHistory(_ ks: ClosedRange<Int>) throws {
        for k in ks { try store.record(HistoryFixtures.report(k, branch: Self.branch(k), custom: Self.custom)) }
    }

    func testSeriesFollowTheObjectivesWithTheRecordedValuesAndThisRunLast() throws {
        try recordHistory(1...30)
        let trends = try store.reportTrends(for: Self.current(31))
        let series = try XCTUnwrap(trends["build"])
        XCTAssertEqual(series.map(\.title), ["median(wall_time)", "max(memory_peak)", "p99(custom.latency)"])
        XCTAssertEqual(Set(series.map(\.branch)), ["main"])

        // The newest 20 reports on main (ids = k, as recorded in order), then this run.
        let mainKs = Array((1...30).filter { Self.branch($0) == "main" }.suffix(20))
        XCTAssertEqual(mainKs.count, 20)
        for s in series {
            XCTAssertEqual(s.points.map(\.reportID), mainKs.map { Int64($0) } + [nil], s.title)
            XCTAssertEqual(s.points.last?.isCurrent, true)
            XCTAssertNil(s.currentMissing)
        }
        let wall = series[0], memory = series[1], latency = series[2]
        XCTAssertEqual(wall.points.map(\.value), (mainKs + [31]).map { HistoryFixtures.wallTimes($0)[1] },
                       "median of each report's three measured runs; warmups (1000 + k) left out")
        XCTAssertEqual(wall.points.map(\.n), Array(repeating: 3, count: 21))
        XCTAssertEqual(wall.thresholds, [], "a baseline-relative objective has no fixed line")
        XCTAssertEqual(wall.points[0].labels["commit"], "c\(mainKs[0])")

        XCTAssertEqual(memory.points.map(\.value), (mainKs + [31]).map { Double($0) * Self.mib })
        XCTAssertEqual(memory.unit, "B")
        XCTAssertEqual(memory.thresholds.map(\.value), [30 * Self.mib])
        XCTAssertEqual(memory.thresholds.first?.comparison, .lessOrEqual)
        XCTAssertEqual(memory.points.filter { m in memory.thresholds[0].violated(by: m.value) }.count, 1, "only this run (31 MiB)")

        let p99 = HistoryFixtures.numpyPercentile(Self.observations, 99)
        for p in latency.points {
            XCTAssertEqual(p.value, p99, accuracy: 1e-12)
            XCTAssertEqual(p.n, 6, "custom metrics: every observation of every measured run")
        }
        XCTAssertEqual(latency.thresholds.map(\.value), [2.5])
    }

    func testTheReportItselfIsNotCountedTwiceAndLaterReportsAreLeftOut() throws {
        try recordHistory(1...12)
        let current = Self.current(13)
        let before = try store.reportTrends(for: current)
        try store.record(current)   // `cleanroom report --history` re-renders a recorded run
        try store.record(HistoryFixtures.report(14, branch: "main", custom: Self.custom))   // started after it
        let after = try store.reportTrends(for: current)
        XCTAssertEqual(after, before)
        let ids = try XCTUnwrap(after["build"]?[0].points.map(\.reportID))
        XCTAssertEqual(ids, [1, 2, 3, 4, 6, 7, 8, 9, 11, 12, nil])
    }

    func testWithoutABranchLabelEveryReportCounts() throws {
        try recordHistory(1...6)
        let trends = try store.reportTrends(for: Self.current(7, branch: nil), last: 4)
        let wall = try XCTUnwrap(trends["build"]?.first)
        XCTAssertNil(wall.branch)
        XCTAssertEqual(wall.points.map(\.reportID), [3, 4, 5, 6, nil], "dev report 5 included; the newest 4")
    }

    func testANewWorkloadAndAMetricThisRunLacks() throws {
        try recordHistory(1...3)
        var current = Self.current(4)
        current.workloads[0].name = "brand-new"
        current.slos = [ObjectiveResult(name: "Db", workload: "brand-new", objective: "max(svc.db.memory_peak) <= 1GiB",
                                        level: .error, observed: nil, threshold: nil, unit: "B", status: .noData)]
        let series = try XCTUnwrap(try store.reportTrends(for: current)["brand-new"])
        XCTAssertEqual(series.map(\.title), ["median(wall_time)", "max(svc.db.memory_peak)"])
        XCTAssertEqual(series[0].recorded, [], "nothing recorded for this workload yet")
        XCTAssertEqual(series[0].points.count, 1)
        XCTAssertEqual(series[1].points, [])
        XCTAssertNotNil(series[1].currentMissing)
        XCTAssertEqual(series[1].thresholds.map(\.value), [1_073_741_824], "absolute: from the objective text")
    }

    func testAtMostFourObjectiveCharts() throws {
        var current = Self.current(1)
        let aggregates = ["min", "max", "mean", "median", "p95", "stddev"]
        current.slos = aggregates.map {
            ObjectiveResult(name: $0, workload: "build", objective: "\($0)(pids_peak) <= 1000", level: .warn, observed: nil,
                            threshold: 1000, unit: "count", status: .pass)
        }
        let series = try XCTUnwrap(try store.reportTrends(for: current)["build"])
        XCTAssertEqual(series.map(\.title), ["median(wall_time)"] + aggregates.prefix(4).map { "\($0)(pids_peak)" })
    }
}
