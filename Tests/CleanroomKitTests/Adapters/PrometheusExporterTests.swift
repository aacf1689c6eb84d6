import Foundation
import XCTest
@testable import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

/// The scrape client and session against the real exporter-style server (Fixtures/prometheus/exporter.py)
/// over loopback, here in cleanroom's own network namespace (the end-to-end test does it inside a
/// run's `network: none` namespace).
final class PrometheusExporterTests: XCTestCase {
    func testScrapeBeforeAndAfterGivesHandCalculatedQuantiles() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"), "python3 needed")
        let port = 20000 + Int(getpid() % 20000)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        server.arguments = [TestFixtures.repoRoot.appendingPathComponent("Fixtures/prometheus/exporter.py").path, String(port)]
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }
        let url = "http://127.0.0.1:\(port)/metrics"
        // Wait for the event "listening" (no fixed sleep): retry until the first scrape answers.
        var first: Result<String, HTTPFetch.Why> = .failure(.init(text: "not tried"))
        for _ in 0..<200 {
            first = HTTPFetch.get(url, netnsFD: -1, timeout: 2)
            if case .success = first { break }
            usleep(50_000)
        }
        guard case .success = first else { return XCTFail("exporter never answered: \(first)") }

        let session = PrometheusScrapeSession(sources: [MetricsSource(format: "prometheus", origin: .scrape(PrometheusTarget(service: "api", url: url)))])
        session.scrape(.before, netnsFD: -1)
        let load = Process()
        load.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        load.arguments = [TestFixtures.repoRoot.appendingPathComponent("Fixtures/prometheus/load.py").path, String(port)]
        try load.run(); load.waitUntilExit()
        XCTAssertEqual(load.terminationStatus, 0)
        session.scrape(.after, netnsFD: -1)
        var custom = CustomMetrics()
        session.merge(into: &custom)
        XCTAssertNil(custom.malformed, "\(custom.malformed!)")
        Self.checkHandCalculation(custom.series)
    }

    /// load.py records 40 × 3 ms, 30 × 20 ms, 20 × 40 ms, 9 × 80 ms, 1 × 0.5 s. Cumulative buckets
    /// ≤5ms 40, ≤10ms 40, ≤25ms 70, ≤50ms 90, ≤100ms 99, ≤250ms 99, +Inf 100.
    /// p50: rank 50 in (10ms, 25ms] (40 below, 30 in it): 0.010 + 0.015 × 10/30 = 0.015 s
    /// p90: rank 90 in (25ms, 50ms] (70 below, 20 in it): 0.025 + 0.025 × 20/20 = 0.050 s
    /// p99: rank 99 in (50ms, 100ms] (90 below, 9 in it): 0.050 + 0.050 × 9/9 = 0.100 s
    /// sum 40×0.003 + 30×0.02 + 20×0.04 + 9×0.08 + 0.5 = 2.74 s; 100 requests counted.
    static func checkHandCalculation(_ s: [String: CustomSeries], file: StaticString = #filePath, line: UInt = #line) {
        func one(_ k: String) -> Double? { s[k]?.values.last }
        XCTAssertEqual(one("app_request_duration_seconds.p50") ?? -1, 0.015, accuracy: 1e-9, file: file, line: line)
        XCTAssertEqual(one("app_request_duration_seconds.p90") ?? -1, 0.050, accuracy: 1e-9, file: file, line: line)
        XCTAssertEqual(one("app_request_duration_seconds.p99") ?? -1, 0.100, accuracy: 1e-9, file: file, line: line)
        XCTAssertEqual(one("app_request_duration_seconds.sum") ?? -1, 2.74, accuracy: 1e-9, file: file, line: line)
        XCTAssertEqual(one("app_request_duration_seconds.count"), 100, file: file, line: line)
        XCTAssertEqual(one("app_requests_total{code=200}"), 100, file: file, line: line)
        XCTAssertEqual(one("app_requests_total{code=500}"), 0, file: file, line: line)
        XCTAssertEqual(one("app_inflight"), 1, file: file, line: line)
        XCTAssertEqual(s["app_request_duration_seconds.p99"]?.unit, "s", file: file, line: line)
        XCTAssertEqual(one("app_build_info{path=C:\\app,version=1.0 \"quoted\"}"), 1, file: file, line: line)
    }

    func testChunkedAnswerAndErrors() {
        let chunked = Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab cd\r\n3\r\n 1\n\r\n0\r\n\r\n".utf8)
        XCTAssertEqual(try? HTTPFetch.parseResponse(chunked).get(), "ab cd 1\n")
        if case .success = HTTPFetch.parseResponse(Array("HTTP/1.1 503 Busy\r\n\r\n".utf8)) { XCTFail("503 is not a scrape") }
        // Nothing listens on port 1: counted, not fatal.
        let session = PrometheusScrapeSession(sources: [MetricsSource(format: "prometheus", origin: .scrape(PrometheusTarget(service: nil, url: "http://127.0.0.1:1/metrics")))])
        session.scrape(.before, netnsFD: -1, timeout: 1)
        session.scrape(.after, netnsFD: -1, timeout: 1)
        var custom = CustomMetrics()
        session.merge(into: &custom)
        XCTAssertEqual(custom.malformed?.count, 2)
        XCTAssertTrue(custom.malformed!.examples[0].contains("scrape before the workload: connect"), "\(custom.malformed!)")
    }
}
