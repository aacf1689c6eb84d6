import Foundation
import XCTest
@testable import CleanroomKit

/// report.html's trend section (`ReportOptions.trends`): drawn when given, absent otherwise,
/// one point per report, values and labels on hover, everything escaped.
final class HTMLTrendTests: XCTestCase {
    /// Report `k` of a trend: started k minutes after a fixed time, labelled commit=c<k>.
    static func point(_ k: Int64?, value: Double, labels: [String: String]? = nil, verdict: String = "pass") -> TrendSeries.Point {
        let minute = Int(k ?? 59)
        return TrendSeries.Point(reportID: k, startedAt: String(format: "2026-11-20T10:%02d:00Z", minute),
                                 labels: labels ?? ["branch": "main", "commit": "c\(k.map(String.init) ?? "now")"],
                                 verdict: verdict, value: value, n: 3)
    }

    static func wallSeries(_ values: [Double], current: Double?) -> TrendSeries {
        var points = values.enumerated().map { point(Int64($0.offset + 1), value: $0.element) }
        if let current { points.append(point(nil, value: current)) }
        return TrendSeries(metric: "wall_time", aggregate: "median", unit: "s", points: points, branch: "main")
    }

    /// The trend section of workload `i` in `html`.
    func section(_ html: String, workload i: Int) -> String {
        guard let start = html.range(of: "<section class=\"trends\" aria-labelledby=\"w\(i)-tr-h\">") else { return "" }
        let rest = html[start.lowerBound...]
        return String(rest[..<(rest.range(of: "</section>")?.upperBound ?? rest.endIndex)])
    }

    func count(_ needle: String, in s: String) -> Int { s.components(separatedBy: needle).count - 1 }

    func testNoTrendSectionWithoutAHistory() throws {
        let html = HTMLReport.render(try ReportFixtures.fail)
        XCTAssertFalse(html.contains("class=\"trends\""))
        XCTAssertFalse(html.contains("chart trend"))
        XCTAssertFalse(html.contains("<circle class=\"tp"))
    }

    func testTrendChartHasOnePointPerReportWithItsValue() throws {
        let report = try ReportFixtures.fail
        let name = report.workloads[0].name
        let values = [1.2, 1.5, 1.3, 2.5]
        var memory = TrendSeries(metric: "memory_peak", aggregate: "max", unit: "B",
                                 points: [Self.point(1, value: 100 * 1_048_576), Self.point(2, value: 300 * 1_048_576),
                                          Self.point(nil, value: 150 * 1_048_576)],
                                 thresholds: [.init(name: "Mem", objective: "max(memory_peak) <= 256MiB", value: 256 * 1_048_576,
                                                    comparison: .lessOrEqual, level: .error)],
                                 branch: "main")
        memory.depth = 20
        let opts = ReportOptions(trends: [name: [Self.wallSeries(values, current: 1.4), memory]])
        let html = HTMLReport.render(report, options: opts)
        let sec = section(html, workload: 0)
        XCTAssertFalse(sec.isEmpty, "no trend section for \(name)")
        XCTAssertTrue(section(html, workload: 1).isEmpty, "a workload without a trend entry gets no section")

        // Chart 0: four recorded reports and this run; chart 1: two and this run.
        let charts = sec.components(separatedBy: "<svg class=\"chart trend\"").dropFirst()
        XCTAssertEqual(charts.count, 2)
        XCTAssertEqual(count("<circle class=\"tp", in: charts[charts.startIndex]), values.count + 1)
        XCTAssertEqual(count("<circle class=\"tp", in: charts[charts.startIndex + 1]), 3)
        XCTAssertEqual(count("<circle class=\"tp cur", in: sec), 2, "this run is marked in each chart")
        // Each value, in human units, in the point's hover title, with its report and commit.
        for (k, v) in values.enumerated() {
            let expected = "report #\(k + 1) · 2026-11-20 10:0\(k + 1):00 · commit=c\(k + 1) · pass\nmedian(wall_time) = \(Units.format(v, .duration)) over 3 runs"
            XCTAssertTrue(sec.contains("<title>\(expected)</title>"), "missing point title: \(expected)")
        }
        XCTAssertTrue(sec.contains("<title>this run · 2026-11-20 10:59:00 · commit=cnow · pass\nmedian(wall_time) = 1.40s over 3 runs</title>"))
        // The polyline has one vertex per point, in order: the y of 2.5 s is the highest (smallest y).
        let line = charts[charts.startIndex].components(separatedBy: "<polyline class=\"tl\" points=\"")[1]
        let ys = line.prefix { $0 != "\"" }.split(separator: " ").map { Double($0.split(separator: ",")[1])! }
        XCTAssertEqual(ys.count, 5)
        XCTAssertEqual(ys.firstIndex(of: ys.min()!), 3, "report 4 (2.5 s) is the top point")
        XCTAssertEqual(ys[1] < ys[2], 1.5 > 1.3)
        // Branch, caption with the change against the previous report, threshold line.
        XCTAssertTrue(sec.contains("on branch <code>main</code>"))
        XCTAssertTrue(sec.contains("this run 1.40s, -44.0% vs the previous report"), sec)
        XCTAssertTrue(sec.contains("&lt;= 256MiB"), "threshold label")
        XCTAssertEqual(count("<g class=\"thr\">", in: sec), 1)
        XCTAssertEqual(count("class=\"tp bad\"", in: sec), 1, "only the 300MiB point is over the line")
        // Accessible: role, title and desc, and the numbers as a table.
        XCTAssertEqual(count("role=\"img\" aria-labelledby=\"w0-tr", in: sec), 2)
        XCTAssertTrue(sec.contains("<desc id=\"w0-tr0-d\">median(wall_time) in 4 recorded reports on branch main, from 1.20s"))
        let table = sec.components(separatedBy: "<details class=\"trend-data\">")[1]
        XCTAssertEqual(count("<tr", in: table), 1 + values.count + 1, "header, one row per report, this run")
        XCTAssertTrue(table.contains("<td class=\"num\">2.50s</td><td class=\"num\">—</td>"), "report 4 has no memory point")
        XCTAssertTrue(table.contains("<td class=\"num\">300MiB</td>"))
    }

    func testLabelsAndNamesAreEscaped() throws {
        var report = try ReportFixtures.fail
        let evil = "<script>alert(1)</script>"
        report.workloads[0].name = evil
        let labels = ["branch": "x\"><b>", "commit": "<img src=x onerror=alert(2)>"]
        let series = TrendSeries(metric: "custom.<i>lat", aggregate: "p99", unit: "<u>",
                                 points: [Self.point(1, value: 1, labels: labels), Self.point(nil, value: 2, labels: labels)],
                                 thresholds: [.init(name: "<em>T", objective: "p99(custom.<i>lat) < 3", value: 3, comparison: .lessThan, level: .warn)],
                                 branch: "x\"><b>")
        let html = HTMLReport.render(report, options: ReportOptions(trends: [evil: [series]]))
        let sec = section(html, workload: 0)
        XCTAssertFalse(sec.isEmpty)
        for raw in ["<script>", "<img", "<b>", "<i>", "<u>", "<em>"] {
            XCTAssertFalse(sec.contains(raw), "unescaped \(raw) in the trend section")
        }
        XCTAssertTrue(sec.contains("commit=&lt;img src=x onerror=alert(2)&gt;"))
        XCTAssertTrue(sec.contains("Trend of p99(custom.&lt;i&gt;lat) for &lt;script&gt;alert(1)&lt;/script&gt;"))
        XCTAssertTrue(sec.contains("on branch <code>x&quot;&gt;&lt;b&gt;</code>"))
    }

    func testFirstRecordedRunSaysTheTrendStartsHere() throws {
        let report = try ReportFixtures.fail
        let html = HTMLReport.render(report, options: ReportOptions(trends: [report.workloads[0].name: [Self.wallSeries([], current: 1)]]))
        let sec = section(html, workload: 0)
        XCTAssertTrue(sec.contains("the trend starts with this run"), sec)
        XCTAssertFalse(sec.contains("<svg"))
    }

    func testAxisTicksAreRoundInTheRightUnit() {
        let d = HTMLTrend.Axis(unit: "s", lo: 0, hi: 0.9)
        XCTAssertEqual(d.ticks.map(d.label), ["0", "0.5s", "1s"])
        let ms = HTMLTrend.Axis(unit: "s", lo: 0, hi: 0.012)
        XCTAssertEqual(ms.ticks.map(ms.label), ["0", "5ms", "10ms", "15ms"])
        let b = HTMLTrend.Axis(unit: "B", lo: 0, hi: 64.5 * 1_048_576)
        XCTAssertEqual(b.ticks.map(b.label), ["0", "25MiB", "50MiB", "75MiB"])
        let flat = HTMLTrend.Axis(unit: "count", lo: 0, hi: 0)
        XCTAssertEqual(flat.ticks.count, 2, "an all-zero series still gets an axis")
        let neg = HTMLTrend.Axis(unit: "", lo: -3, hi: 7)
        XCTAssertLessThanOrEqual(neg.lo, -3); XCTAssertGreaterThanOrEqual(neg.hi, 7)
    }
}
