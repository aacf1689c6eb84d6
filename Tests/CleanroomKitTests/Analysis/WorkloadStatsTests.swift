import XCTest
@testable import CleanroomKit

final class WorkloadStatsTests: XCTestCase {
    func testStatsCoverMeasuredRunsServicesAndCustomSeries() throws {
        var runs: [RunRecord] = []
        for (i, wall) in [1.2, 1.3, 1.25].enumerated() {
            var r = AT.run(i + 1, wall: wall, extra: ["memory_peak": Double(100 + i) * 1e6])
            r.services["api"] = ServiceRecord(metrics: ["cpu_time": 0.5 + Double(i)])
            r.custom["latency"] = CustomSeries(unit: "s", values: [0.001 * Double(i + 1), 0.002 * Double(i + 1)])
            runs.append(r)
        }
        runs.append(AT.run(4, wall: nil, extra: ["memory_peak": 90e6]))   // wall_time unmeasured in this run
        var warm = AT.run(0, wall: 99, warmup: true, extra: ["memory_peak": 1])
        warm.custom["latency"] = CustomSeries(unit: "s", values: [42])
        runs.append(warm)

        var report = WorkloadReport(name: "w", command: ["true"], runs: runs)
        report.computeStats()
        let stats = report.stats
        XCTAssertEqual(stats, Statistics.workloadStats(runs))
        XCTAssertEqual(Set(stats.keys), ["wall_time", "memory_peak", "svc.api.cpu_time", "custom.latency"],
                       "exit_code is an outcome, not a figure")
        let wall = try XCTUnwrap(stats["wall_time"])
        XCTAssertEqual(wall.n, 3, "the run without a value is skipped, the warmup excluded")
        XCTAssertEqual(wall.max, 1.3)
        XCTAssertEqual(wall.median, 1.25)
        XCTAssertEqual(wall.unit, "s")
        XCTAssertEqual(wall.stddev, 0.05, accuracy: 1e-12)
        XCTAssertEqual(stats["memory_peak"]?.n, 4)
        XCTAssertEqual(stats["memory_peak"]?.min, 90e6)
        XCTAssertEqual(stats["memory_peak"]?.unit, "B")
        let lat = try XCTUnwrap(stats["custom.latency"])
        XCTAssertEqual(lat.n, 6, "all observations of measured runs")
        XCTAssertEqual(lat.max, 0.006)
        XCTAssertEqual(lat.unit, "s")
        XCTAssertEqual(stats["svc.api.cpu_time"]?.mean ?? 0, 1.5, accuracy: 1e-12)

        let single = try XCTUnwrap(Statistics.stats([3.0], unit: "s"))
        XCTAssertEqual(single.stddev, 0, "one value: no spread (the stddev aggregate itself is undefined)")
        XCTAssertEqual(single.p99, 3.0)
    }
}
