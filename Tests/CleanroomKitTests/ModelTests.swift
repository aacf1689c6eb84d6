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

    func testEqualSourcesAndReasonsShareThePreviousRunsStorage() {
        func storage(_ d: [String: String]) -> UInt { withUnsafeBytes(of: d) { $0.load(as: UInt.self) } }
        let text = "cgroup v1 cpuacct.usage, less the sandbox's own part (startup_cpu)"
        let first = RunRecord(index: 1, unmeasured: ["net_rx_bytes": "network: host " + text],
                              sources: ["cpu_time": text, "wall_time": "monotonic clock " + text])
        // Built apart, equal word for word: two storages until shared.
        var second = RunRecord(index: 2, unmeasured: ["net_rx_bytes": "network: host " + text],
                               sources: ["cpu_time": text, "wall_time": "monotonic clock " + text])
        XCTAssertNotEqual(storage(second.sources), storage(first.sources))
        second.shareTexts(with: first)
        XCTAssertEqual(storage(second.sources), storage(first.sources))
        XCTAssertEqual(storage(second.unmeasured), storage(first.unmeasured))
        XCTAssertEqual(second.sources, first.sources)
        // A run whose texts differ keeps its own.
        var third = RunRecord(index: 3, sources: ["cpu_time": text, "wall_time": "other"])
        third.shareTexts(with: first)
        XCTAssertEqual(third.sources["wall_time"], "other")
        XCTAssertNotEqual(storage(third.sources), storage(first.sources))
        XCTAssertTrue(third.unmeasured.isEmpty)
        // Copy-on-write: changing the shared dictionary of one leaves the other as it was.
        second.sources["cpu_time"] = "changed"
        XCTAssertEqual(first.sources["cpu_time"], text)
    }
}
