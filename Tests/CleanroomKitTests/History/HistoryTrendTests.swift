import XCTest
@testable import CleanroomKit

final class HistoryTrendTests: XCTestCase {
    var dir: URL!
    var store: HistoryStore!

    override func setUpWithError() throws {
        dir = try HistoryFixtures.tempDir()
        store = try HistoryStore(path: dir.appendingPathComponent("h.sqlite").path)
    }
    override func tearDown() { store = nil; try? FileManager.default.removeItem(at: dir); super.tearDown() }

    func testTrendOfWallTimeMatchesTheRecordedRuns() throws {
        for k in 1...8 { try store.record(HistoryFixtures.report(k, branch: k % 2 == 0 ? "main" : "dev", verdict: k == 7 ? .fail : .pass)) }
        let points = try store.trend(workload: "build", metric: .builtin(.wallTime), last: 5)
        XCTAssertEqual(points.map(\.reportID), [4, 5, 6, 7, 8], "the newest 5, oldest first")
        for p in points {
            let k = Int(p.reportID)
            let xs = HistoryFixtures.wallTimes(k)   // warmup (1000 + k) excluded
            XCTAssertEqual(p.n, 3)
            XCTAssertEqual(p.median, xs[1], accuracy: 1e-12)
            XCTAssertEqual(p.p95, HistoryFixtures.numpyPercentile(xs, 95), accuracy: 1e-12)
            XCTAssertEqual(p.min, xs[0]); XCTAssertEqual(p.max, xs[2])
            XCTAssertEqual(p.unit, "s")
            XCTAssertEqual(p.labels["commit"], "c\(k)")
            XCTAssertEqual(p.verdict, k == 7 ? "fail" : "pass")
            XCTAssertEqual(p.startedAt, HistoryFixtures.report(k, branch: nil).startedAt)
        }
        let main = try store.trend(workload: nil, metric: .builtin(.wallTime), last: 20, branch: "main")
        XCTAssertEqual(main.map(\.reportID), [2, 4, 6, 8])
    }

    func testTrendOfCustomServiceAndExitCodeMetrics() throws {
        for k in 1...3 { try store.record(HistoryFixtures.report(k, branch: "main", custom: [0.010, 0.030])) }
        let latency = try store.trend(workload: "build", metric: .custom("latency"), last: 20)
        XCTAssertEqual(latency.count, 3)
        // Per report: 2 observations × 3 runs, pooled: 0.01, 0.03, 1.01, 1.03, 2.01, 2.03.
        let obs = [0.010, 0.030, 1.010, 1.030, 2.010, 2.030]
        XCTAssertEqual(latency[0].n, 6)
        XCTAssertEqual(latency[0].median, HistoryFixtures.numpyPercentile(obs, 50), accuracy: 1e-12)
        XCTAssertEqual(latency[0].p95, HistoryFixtures.numpyPercentile(obs, 95), accuracy: 1e-12)
        XCTAssertEqual(latency[0].metric, "custom.latency")

        let svc = try store.trend(workload: nil, metric: .service("api", .memoryPeak), last: 2)
        XCTAssertEqual(svc.map(\.median), [2000, 3000])
        XCTAssertEqual(svc.first?.unit, "B")

        let codes = try store.trend(workload: "build", metric: .builtin(.exitCode), last: 20)
        XCTAssertEqual(codes.map(\.n), [3, 3, 3])
        XCTAssertEqual(codes.map(\.max), [0, 0, 0])
    }

    func testOnePointPerWorkloadWhenNoneIsNamed() throws {
        try store.record(HistoryFixtures.report(1, branch: "main", workload: "a"))
        try store.record(HistoryFixtures.report(2, branch: "main", workload: "b"))
        let points = try store.trend(workload: nil, metric: .builtin(.memoryPeak), last: 20)
        XCTAssertEqual(points.map(\.workload), ["a", "b"])
        XCTAssertEqual(points.map(\.median), [1_048_576, 2 * 1_048_576])
        XCTAssertEqual(try store.trend(workload: "zzz", metric: .builtin(.wallTime), last: 20), [])
    }

    func testRenderings() throws {
        for k in 1...2 { try store.record(HistoryFixtures.report(k, branch: "main")) }
        let points = try store.trend(workload: "build", metric: .builtin(.wallTime), last: 20)

        let table = TrendRender.render(points, metric: .builtin(.wallTime), workload: "build", as: .table)
        let lines = table.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4, table)
        XCTAssertEqual(lines[1].split(separator: " ").map(String.init), ["when", "workload", "verdict", "n", "median", "p95", "labels"])
        XCTAssertTrue(lines[2].contains("1.20s") && lines[2].contains("branch=main commit=c1"), lines[2])

        let csv = TrendRender.render(points, metric: .builtin(.wallTime), workload: "build", as: .csv)
        let rows = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(rows[0], ["report_id", "started_at", "workload", "metric", "unit", "verdict", "n", "median", "p95",
                                 "mean", "min", "max", "labels"])
        XCTAssertEqual(rows.count, 3)
        XCTAssertEqual(Double(rows[2][7]), points[1].median)
        XCTAssertEqual(rows[2][12], "branch=main commit=c2")

        let json = TrendRender.render(points, metric: .builtin(.wallTime), workload: "build", as: .json)
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        XCTAssertEqual(obj["metric"] as? String, "wall_time")
        XCTAssertEqual((obj["points"] as? [[String: Any]])?.count, 2)
        XCTAssertEqual((obj["points"] as? [[String: Any]])?.first?["report_id"] as? Int, 1)

        XCTAssertEqual(TrendRender.render([], metric: .builtin(.wallTime), workload: "x", as: .table),
                       "no recorded values of wall_time for workload x\n")
    }
}
