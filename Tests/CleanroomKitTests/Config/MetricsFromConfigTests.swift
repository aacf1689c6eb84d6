import Foundation
import XCTest
@testable import CleanroomKit

/// `metrics_from` in slo.json: the forms SPEC names, and a clear error (path + hint) for each mistake.
final class MetricsFromConfigTests: XCTestCase {
    func load(_ metricsFrom: String, services: String = "[]") -> Result<Plan, ConfigErrors> {
        let text = """
        {"version": 1, "workloads": [{"name": "w", "command": ["true"], "services": \(services), "metrics_from": \(metricsFrom)}]}
        """
        return ConfigLoader.load(data: Data(text.utf8), path: "slo.json", baseDirectory: "/srv/app")
    }

    let api = #"[{"name": "api", "command": ["./api"], "ready": {"http": "http://127.0.0.1:8080/health"}}]"#

    func testEveryForm() throws {
        let plan = try load(#"""
        [{"format": "google-benchmark", "path": "out/bench.json"}, {"format": "wrk", "stdout": true},
         {"format": "prometheus", "service": "api", "path": "/metrics"},
         {"format": "prometheus", "service": "api", "port": 9090},
         {"format": "prometheus", "url": "http://127.0.0.1:9100/metrics"}]
        """#, services: api).get()
        XCTAssertEqual(plan.workloads[0].metricsFrom, [
            MetricsSource(format: "google-benchmark", origin: .file("out/bench.json")),
            MetricsSource(format: "wrk", origin: .stdout),
            MetricsSource(format: "prometheus", origin: .scrape(PrometheusTarget(service: "api", url: "http://127.0.0.1:8080/metrics"))),
            MetricsSource(format: "prometheus", origin: .scrape(PrometheusTarget(service: "api", url: "http://127.0.0.1:9090/metrics"))),
            MetricsSource(format: "prometheus", origin: .scrape(PrometheusTarget(service: nil, url: "http://127.0.0.1:9100/metrics"))),
        ])
        XCTAssertEqual(BenchmarkFormats.names.count, 17)
    }

    func errors(_ r: Result<Plan, ConfigErrors>) -> [String] {
        guard case .failure(let e) = r else { XCTFail("accepted"); return [] }
        return e.diagnostics.map { "\($0.path): \($0.message) (\($0.hint ?? ""))" }
    }

    func testMistakesAreClearErrors() {
        XCTAssertEqual(errors(load(#"[{"format": "gbench", "path": "b.json"}]"#)),
                       [#"workloads[0].metrics_from[0].format: unknown format "gbench" (did you mean "pgbench"?)"#])
        XCTAssertEqual(errors(load(#"[{"format": "wrk"}]"#)).first?.hasPrefix("workloads[0].metrics_from[0]: wrk needs \"path\" or \"stdout\": true"), true)
        XCTAssertEqual(errors(load(#"[{"format": "wrk", "stdout": true, "path": "x"}]"#)).count, 1)
        XCTAssertEqual(errors(load(#"[{"format": "wrk", "stdout": "yes"}]"#)).first?.hasPrefix("workloads[0].metrics_from[0].stdout: expected true or false"), true)
        XCTAssertEqual(errors(load(#"[{"format": "prometheus", "service": "db"}]"#, services: api)),
                       [#"workloads[0].metrics_from[0].service: this workload has no service "db" (services: api)"#])
        XCTAssertEqual(errors(load(#"[{"format": "prometheus", "url": "http://example.com/metrics"}]"#)).first?.contains("not an http:// URL on loopback"), true)
        XCTAssertEqual(errors(load(#"[{"format": "wrk", "service": "api", "stdout": true}]"#, services: api)).first?.contains("only for \"format\": \"prometheus\""), true)
        let typo = errors(load(#"[{"format": "wrk", "stdot": true}]"#))
        XCTAssertTrue(typo.contains { $0.contains("did you mean \"stdout\"?") }, "\(typo)")
    }
}
