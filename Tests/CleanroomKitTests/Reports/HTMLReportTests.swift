import XCTest
@testable import CleanroomKit

final class HTMLReportTests: XCTestCase {
    func testHostileNamesAreTextNotMarkup() throws {
        let html = HTMLReport.render(try ReportFixtures.hostile())
        XCTAssertFalse(html.contains("<script"), "a workload name became a script element")
        XCTAssertFalse(html.contains("<img"))
        XCTAssertFalse(html.contains("<iframe"))
        XCTAssertFalse(html.contains("onload=\""))
        XCTAssertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        XCTAssertTrue(html.contains("&lt;iframe src=&quot;https://evil.example&quot;&gt;"))
        XCTAssertTrue(html.contains("Evil|Name &lt;b&gt;&amp;amp; &#39;q&#39;"))
    }

    func testSelfContainedNothingLoaded() throws {
        let html = HTMLReport.render(try ReportFixtures.fail)
        // (http:// may appear as text, e.g. a load generator's URL argument; it is never loaded.)
        for forbidden in ["<script", "<link", "<img", "<iframe", "<object", "<embed", "@import", "url(", " src=", "href=\"http", "href=\"//"] {
            XCTAssertFalse(html.contains(forbidden), "report.html contains \(forbidden)")
        }
        XCTAssertTrue(html.contains("Content-Security-Policy"))
        XCTAssertTrue(html.contains("prefers-color-scheme:dark"))
    }

    func testContentAVerdictObjectivesChartsAndTables() throws {
        let r = try ReportFixtures.fail
        let html = HTMLReport.render(r)
        XCTAssertTrue(html.contains("class=\"banner fail\""))
        // Every objective is in the table, failing ones before passing ones.
        for s in r.slos { XCTAssertTrue(html.contains(HTMLReport.escape(s.objective)), s.objective) }
        let failAt = html.range(of: "max(memory_peak) &lt;= 200MB")!.lowerBound
        let passAt = html.range(of: "max(svc.api.memory_peak)")!.lowerBound
        XCTAssertLessThan(failAt, passAt)
        // Human units: 268435456 B is 256MiB, the CI of the inconclusive latency in ms.
        XCTAssertTrue(html.contains("256MiB"))
        let inc = r.slos.first { $0.status == .inconclusive }!
        XCTAssertTrue(html.contains(Units.format(inc.ci![0], .duration) + " – " + Units.format(inc.ci![1], .duration)))
        // Two charts per workload with samples, each with a <title>; accessible headers.
        let svgs = html.components(separatedBy: "<svg").count - 1
        XCTAssertEqual(svgs, 2 * r.workloads.count)
        XCTAssertEqual(html.components(separatedBy: "<title id=").count - 1, svgs)
        XCTAssertFalse(html.contains("<th>"), "every header cell has a scope")
        XCTAssertTrue(html.contains("time since exec (s)"))
        XCTAssertTrue(html.contains("CPU (% of one core)"))
        XCTAssertTrue(html.contains("memory (MiB)"))
        // Degraded host facts, denied syscalls, OOM detail, alerts.
        for d in r.host.degraded { XCTAssertTrue(html.contains(HTMLReport.escape(d))) }
        XCTAssertTrue(html.contains("<code>ptrace</code></th><td class=\"num\">2</td>"))
        XCTAssertTrue(html.contains("OOM killer"))
        XCTAssertTrue(html.contains("ci-hooks.example.com"))
        XCTAssertTrue(html.contains("warmup"))
        // A report without samples says so instead of drawing an empty chart.
        let pass = HTMLReport.render(try ReportFixtures.pass)
        XCTAssertFalse(pass.contains("<svg"))
        XCTAssertTrue(pass.contains("No time series"))
        XCTAssertTrue(pass.contains("class=\"banner pass\""))
    }

    func testDownsampleKeepsThePeakAndTheBound() {
        let n = 50_000
        let t = (0..<n).map { Double($0) * 0.05 }
        var v = (0..<n).map { 100 + sin(Double($0) / 50) }
        v[31_337] = 999   // one spike a stride would skip
        let d = HTMLChart.downsample(t: t, v: v, maxPoints: 1000)
        XCTAssertLessThanOrEqual(d.t.count, 1000)
        XCTAssertEqual(d.t.count, d.v.count)
        XCTAssertEqual(d.v.max(), 999)
        XCTAssertEqual(d.v.min(), v.min())
        XCTAssertEqual(d.t, d.t.sorted(), "time order kept")
        let small = HTMLChart.downsample(t: [1, 2, 3], v: [4, 5, 6], maxPoints: 1000)
        XCTAssertEqual(small.v, [4, 5, 6])
    }

    func testEverySeriesInTheFileHasAtMostTheLimit() throws {
        let html = HTMLReport.render(ReportFixtures.synthetic(workloads: 1, runs: 4, samples: 5000))
        let lines = html.components(separatedBy: "points=\"").dropFirst()
        XCTAssertEqual(lines.count, 2 * 3)   // 3 measured runs (run 1 is warmup) × 2 charts
        for l in lines {
            let pts = l.prefix { $0 != "\"" }.split(separator: " ").count
            XCTAssertLessThanOrEqual(pts, 1000)
            XCTAssertGreaterThan(pts, 500)
        }
    }

    func testTenWorkloadsTimesHundredRunsStaysUnderTwoMegabytes() {
        let html = HTMLReport.render(ReportFixtures.synthetic(workloads: 10, runs: 100, samples: 600))
        let size = html.utf8.count
        XCTAssertLessThan(size, 2_000_000, "report.html is \(size) bytes")
        XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, 20)
    }

    func testOneDecimalMatchesPrintf() {
        for v in [0.0, 0.04, 0.05, 1.26, -3.46, 639.99, 12.34, 1e6 + 0.06] {
            XCTAssertEqual(HTMLChart.oneDecimal(v), String(format: "%.1f", v), "\(v)")
        }
    }

    func testNiceTicks() {
        XCTAssertEqual(HTMLChart.niceTicks(max: 9.3), [0, 2, 4, 6, 8, 10])
        XCTAssertEqual(HTMLChart.niceTicks(max: 187, count: 4), [0, 50, 100, 150, 200])
        XCTAssertEqual(HTMLChart.byteScale(430e6).1, "MiB")
    }
}
