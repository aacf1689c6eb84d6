import Foundation
import XCTest
@testable import CleanroomKit

/// The exposition-format parser, and counters → deltas, gauges → values, histograms → quantiles
/// (checked against hand calculations written out below).
final class PrometheusTests: XCTestCase {
    let before = """
    # HELP http_requests_total Requests.
    # TYPE http_requests_total counter
    http_requests_total{code="200",method="get"} 100
    http_requests_total{method="get",code="500"} 2 1700000000000
    # TYPE inflight gauge
    inflight 3
    # TYPE request_duration_seconds histogram
    request_duration_seconds_bucket{le="0.005"} 10
    request_duration_seconds_bucket{le="0.01"} 20
    request_duration_seconds_bucket{le="0.05"} 30
    request_duration_seconds_bucket{le="0.1"} 30
    request_duration_seconds_bucket{le="+Inf"} 30
    request_duration_seconds_sum 0.5
    request_duration_seconds_count 30
    """

    let after = """
    # HELP http_requests_total Requests.
    # TYPE http_requests_total counter
    http_requests_total{code="200",method="get"} 300
    http_requests_total{code="500",method="get"} 2
    # TYPE inflight gauge
    inflight 1
    # TYPE request_duration_seconds histogram
    request_duration_seconds_bucket{le="0.005"} 50
    request_duration_seconds_bucket{le="0.01"} 120
    request_duration_seconds_bucket{le="0.05"} 200
    request_duration_seconds_bucket{le="0.1"} 228
    request_duration_seconds_bucket{le="+Inf"} 232
    request_duration_seconds_sum 3.5
    request_duration_seconds_count 232
    """

    func testCountersGaugesAndHistogramQuantilesByHand() {
        let out = PrometheusScrape.observations(before: PrometheusText.parse(before), after: PrometheusText.parse(after))
        XCTAssertEqual(out.malformed, [])
        XCTAssertEqual(out.values("http_requests_total{code=200,method=get}"), [200])   // 300 − 100
        XCTAssertEqual(out.values("http_requests_total{code=500,method=get}"), [0])     // label order does not matter
        XCTAssertEqual(out.values("inflight"), [1])                                      // a gauge: the value after
        // Increases per bucket (cumulative): ≤5ms 40, ≤10ms 100, ≤50ms 170, ≤100ms 198, +Inf 202.
        // p50: rank 0.5 × 202 = 101 → bucket (10ms, 50ms] holding 70: 0.01 + 0.04 × (101 − 100)/70
        XCTAssertEqual(out.values("request_duration_seconds.p50")[0], 0.01 + 0.04 * 1 / 70, accuracy: 1e-12)
        // p90: rank 181.8 → bucket (50ms, 100ms] holding 28: 0.05 + 0.05 × (181.8 − 170)/28
        XCTAssertEqual(out.values("request_duration_seconds.p90")[0], 0.05 + 0.05 * 11.8 / 28, accuracy: 1e-12)
        // p99: rank 199.98 > 198 → the +Inf bucket → the highest finite bound, 0.1
        XCTAssertEqual(out.values("request_duration_seconds.p99"), [0.1])
        XCTAssertEqual(out.values("request_duration_seconds.count"), [202])
        XCTAssertEqual(out.values("request_duration_seconds.sum")[0], 3.0, accuracy: 1e-12)
        XCTAssertEqual(out.unit("request_duration_seconds.p99"), "s")
        XCTAssertEqual(out.unit("request_duration_seconds.count"), "")
    }

    func testHistogramQuantileEdgeCases() {
        XCTAssertNil(PrometheusScrape.histogramQuantile(0.5, [(0.1, 5)]), "no +Inf bucket")
        XCTAssertNil(PrometheusScrape.histogramQuantile(0.5, [(0.1, 0), (.infinity, 0)]), "no observations")
        // Lowest bucket starts at 0: 4 of 4 in (0, 0.2] → p50 = 0.1
        XCTAssertEqual(PrometheusScrape.histogramQuantile(0.5, [(0.2, 4), (.infinity, 4)]), 0.1)
        // Non-monotonic counts (a torn scrape) are made monotonic: (0.1: 5, 0.2: 3) → (5, 5)
        XCTAssertEqual(PrometheusScrape.histogramQuantile(1.0, [(0.1, 5), (0.2, 3), (.infinity, 5)]), 0.1)
    }

    func testCounterResetCountsFromZero() {
        let b = PrometheusText.parse("# TYPE c counter\nc_total 500\n")
        let a = PrometheusText.parse("# TYPE c counter\nc_total 30\n")
        XCTAssertEqual(PrometheusScrape.observations(before: b, after: a).values("c_total"), [30])
    }

    func testOpenMetricsSyntax() {
        let t = PrometheusText.parse("""
        # TYPE rpc_seconds histogram
        # UNIT rpc_seconds seconds
        rpc_seconds_bucket{le="1.0"} 3 # {trace_id="abc"} 0.7 1700000000.1
        rpc_seconds_bucket{le="+Inf"} 4
        rpc_seconds_count 4
        rpc_seconds_sum 2.5
        rpc_seconds_created 1700000000.0
        # TYPE jobs counter
        jobs_total{queue="a \\"b\\" \\\\ c\\nd"} 7
        jobs_created{queue="x"} 1700000000
        # TYPE temp gauge
        temp NaN
        # EOF
        ignored_after_eof 1
        """)
        XCTAssertEqual(t.malformed, [])
        XCTAssertEqual(t.family("rpc_seconds")?.kind, .histogram)
        XCTAssertEqual(t.family("rpc_seconds")?.unit, "seconds")
        XCTAssertEqual(t.family("rpc_seconds")?.samples.count, 5)
        XCTAssertEqual(t.family("jobs")?.samples.first?.label("queue"), "a \"b\" \\ c\nd")
        XCTAssertNil(t.family("ignored_after_eof"))
        XCTAssertTrue(t.family("temp")!.samples[0].value.isNaN)
        let out = PrometheusScrape.observations(before: PrometheusText(), after: t)
        XCTAssertEqual(out.values("jobs_total{queue=a \"b\" \\ c\nd}").count, 1)
        XCTAssertTrue(out.values("temp").isEmpty, "NaN gives no observation")
        XCTAssertEqual(out.values("rpc_seconds.count"), [4])
        XCTAssertFalse(out.names.contains { $0.hasPrefix("jobs_created") }, "_created is not a counter value")
    }

    func testMalformedLinesAreCountedNotFatal() {
        let t = PrometheusText.parse("""
        # TYPE good gauge
        good 1
        bad{label="unterminated} 1
        also bad
        3leading_digit 4
        # TYPE weird frobnicator
        metric_with_two_values 1 2 3
        """)
        XCTAssertEqual(t.malformed.count, 5, "\(t.malformed)")
        XCTAssertEqual(t.family("good")?.samples.first?.value, 1)
    }

    func testSummaryQuantilesAndCounts() {
        let b = PrometheusText.parse("# TYPE rpc summary\nrpc{quantile=\"0.5\"} 0.1\nrpc_sum 10\nrpc_count 100\n")
        let a = PrometheusText.parse("# TYPE rpc summary\nrpc{quantile=\"0.5\"} 0.2\nrpc{quantile=\"0.99\"} 0.9\nrpc_sum 16\nrpc_count 130\n")
        let out = PrometheusScrape.observations(before: b, after: a)
        XCTAssertEqual(out.values("rpc.p50"), [0.2])
        XCTAssertEqual(out.values("rpc.p99"), [0.9])
        XCTAssertEqual(out.values("rpc.count"), [30])
        XCTAssertEqual(out.values("rpc.sum"), [6])
    }
}
