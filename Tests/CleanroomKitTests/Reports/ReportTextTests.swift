import XCTest
@testable import CleanroomKit

final class ReportTextTests: XCTestCase {
    func testObjectiveValuesUseTheThresholdsUnitFamily() {
        var s = ObjectiveResult(name: "M", workload: "w", objective: "max(memory_peak) <= 200MB", level: .error,
                                observed: 268_435_456, threshold: 200_000_000, unit: "B", status: .fail)
        XCTAssertEqual(ReportText.objectiveValue(s.observed, s), "268MB")
        XCTAssertEqual(ReportText.objectiveValue(s.threshold, s), "200MB")
        s.threshold = 268_435_456   // 256MiB
        XCTAssertEqual(ReportText.objectiveValue(s.observed, s), "256MiB")
        XCTAssertTrue(ReportText.isDecimalRound(200e6))
        XCTAssertFalse(ReportText.isDecimalRound(256_000))       // also exactly 250KiB: binary wins
        XCTAssertFalse(ReportText.isDecimalRound(1_073_741_824))
        XCTAssertFalse(ReportText.isDecimalRound(123_456_789))
        let t = ObjectiveResult(name: "T", workload: "w", objective: "p99(custom.x) < 10ms", level: .error,
                                observed: 0.0104, threshold: 0.01, unit: "s", status: .inconclusive)
        XCTAssertEqual(ReportText.objectiveValue(t.observed, t), "10.4ms")
        let custom = ObjectiveResult(name: "C", workload: "w", objective: "max(custom.rps) >= 100", level: .error,
                                     observed: 512, threshold: 100, unit: "req/s", status: .pass)
        XCTAssertEqual(ReportText.objectiveValue(custom.observed, custom), "512 req/s")
        XCTAssertEqual(ReportText.objectiveValue(nil, custom), "—")
    }

    func testUrgencyOrderAndCounts() throws {
        let r = try ReportFixtures.fail
        let ordered = ReportText.objectivesByUrgency(r.slos)
        XCTAssertEqual(ordered.count, r.slos.count)
        XCTAssertEqual(ordered.map(\.name).prefix(3), ["GenerationMemory", "NoRegression", "ApiLatency"])
        XCTAssertEqual(ordered.last?.status, .pass)
        XCTAssertEqual(ReportText.objectiveCounts(r.slos), "2 failed, 2 warnings, 1 inconclusive, 1 no data, 3 passed")
        XCTAssertEqual(ReportText.objectiveCounts([]), "no objectives")
    }

    func testMetricOrder() {
        XCTAssertEqual(ReportText.sortedMetricKeys(["svc.api.cpu_time", "custom.b", "memory_peak", "custom.a", "wall_time", "svc.api.wall_time"]),
                       ["wall_time", "memory_peak", "custom.a", "custom.b", "svc.api.wall_time", "svc.api.cpu_time"])
    }
}
