import XCTest
@testable import CleanroomKit

final class ModelTests: XCTestCase {
    func testMetricRefParsesEveryForm() {
        XCTAssertEqual(MetricRef(key: "wall_time"), .builtin(.wallTime))
        XCTAssertEqual(MetricRef(key: "custom.request_latency"), .custom("request_latency"))
        XCTAssertEqual(MetricRef(key: "svc.api.memory_peak"), .service("api", .memoryPeak))
        XCTAssertEqual(MetricRef(key: "svc.my.api.cpu_time"), .service("my.api", .cpuTime))
        XCTAssertNil(MetricRef(key: "wall_tme"))
        XCTAssertNil(MetricRef(key: "custom."))
        XCTAssertNil(MetricRef(key: "svc.api.nope"))
    }

    func testRunRecordRoundTripsWithContractKeys() throws {
        var r = RunRecord(index: 1, outcome: .ok, exitCode: 0, metrics: ["wall_time": 1.5])
        r.unmeasured = ["disk_read_bytes": "blkio not mounted"]
        r.seccompDenied = ["ptrace": 3]
        let data = try JSONEncoder().encode(r)
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(text.contains("\"exit_code\":0"))
        XCTAssertTrue(text.contains("\"seccomp_denied\""))
        XCTAssertTrue(text.contains("\"signal\":null"))
        XCTAssertEqual(try JSONDecoder().decode(RunRecord.self, from: data), r)
    }
}
