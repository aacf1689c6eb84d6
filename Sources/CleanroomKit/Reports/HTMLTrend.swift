import Foundation

/// The per-workload trend section of report.html (`ReportOptions.trends`): one small inline SVG
/// chart per `TrendSeries`, the recorded reports evenly spaced oldest to newest and this run
/// last, absolute objective thresholds as dashed lines, every point with a `<title>` (when,
/// labels, verdict, value) for hover, and the same numbers in a table for screen readers and
/// copying. No script: the page's CSP forbids it.
enum HTMLTrend {
    static let width = 300.0, height = 132.0
    static let left = 48.0, right = 10.0, top = 12.0, bottom = 24.0

    /// The section for workload number `i`; "" when no trend was computed for it (no history).
    static func section(_ series: [TrendSeries]?, workload: String, index i: Int) -> String {
        guard let series, !series.isEmpty else { return "" }
        let branch = series.first?.branch
        let recordedIDs = Set(series.flatMap { $0.recorded.compactMap(\.reportID) })
        let scope = branch.map { " on branch <code>\(HTMLReport.escape($0))</code>" } ?? " (all branches)"
        var s = "<section class=\"trends\" aria-labelledby=\"w\(i)-tr-h\"><h3 id=\"w\(i)-tr-h\">Trend</h3>"
        guard !recordedIDs.isEmpty else {
            s += "<p class=\"muted\">No earlier report in the history\(scope) has this workload: the trend starts with this run.</p></section>"
            return s
        }
        let depth = series.map(\.depth).max() ?? 0
        s += "<p class=\"muted small\">\(recordedIDs.count) recorded report\(recordedIDs.count == 1 ? "" : "s")\(scope)"
        s += recordedIDs.count >= depth ? " (the newest \(depth))" : ""
        s += ", oldest on the left, and this run, the last point. Hover a point for its date, labels and value.</p>"
        s += "<div class=\"trend-grid\">"
        var notCharted: [String] = []
        for (k, t) in series.enumerated() {
            guard !t.points.isEmpty else {
                notCharted.append("<code>\(HTMLReport.escape(t.title))</code>: \(HTMLReport.escape(t.currentMissing ?? "no values"))")
                continue
            }
            s += "<figure class=\"trend\">\(chart(t, id: "w\(i)-tr\(k)", workload: workload))"
            s += "<figcaption>\(caption(t))</figcaption></figure>"
        }
        s += "</div>"
        if !notCharted.isEmpty {
            s += "<p class=\"muted small\">Not charted: " + notCharted.joined(separator: "; ") + ".</p>"
        }
        s += table(series, index: i)
        s += "</section>"
        return s
    }

    // MARK: chart

    static func chart(_ t: TrendSeries, id: String, workload: String) -> String {
        let W = width, H = height, pw = W - left - right, ph = H - top - bottom
        let values = t.points.map(\.value) + t.thresholds.map(\.value)
        let axis = Axis(unit: t.unit, lo: min(0, values.min() ?? 0), hi: max(values.max() ?? 0, 0))
        let n = t.points.count
        func x(_ k: Int) -> Double { n == 1 ? left + pw / 2 : left + 6 + Double(k) / Double(n - 1) * (pw - 12) }
        func y(_ v: Double) -> Double { top + ph - (v - axis.lo) / (axis.hi - axis.lo) * ph }
        func f(_ d: Double) -> String { HTMLChart.oneDecimal(d) }
        let esc = HTMLReport.escape

        var s = "<svg class=\"chart trend\" viewBox=\"0 0 \(Int(W)) \(Int(H))\" role=\"img\" aria-labelledby=\"\(id)-t \(id)-d\">"
        s += "<title id=\"\(id)-t\">\(esc("Trend of \(t.title) for \(workload)"))</title>"
        s += "<desc id=\"\(id)-d\">\(esc(description(t)))</desc>"
        s += "<g class=\"grid\">"
        for v in axis.ticks { s += "<line x1=\"\(f(left))\" x2=\"\(f(W - right))\" y1=\"\(f(y(v)))\" y2=\"\(f(y(v)))\"/>" }
        s += "</g><g class=\"ticks\">"
        for v in axis.ticks {
            s += "<text x=\"\(f(left - 5))\" y=\"\(f(y(v) + 4))\" text-anchor=\"end\">\(esc(axis.label(v)))</text>"
        }
        // Only the ends are labelled on the x axis: the points are reports, not a time scale.
        if let first = t.points.first {
            let anchor = n == 1 ? "middle" : "start"
            s += "<text x=\"\(f(x(0) - (n == 1 ? 0 : 6)))\" y=\"\(f(H - 8))\" text-anchor=\"\(anchor)\">\(esc(first.isCurrent ? "this run" : shortDate(first.startedAt)))</text>"
        }
        if n > 1, let last = t.points.last {
            s += "<text x=\"\(f(x(n - 1) + 6))\" y=\"\(f(H - 8))\" text-anchor=\"end\">\(esc(last.isCurrent ? "this run" : shortDate(last.startedAt)))</text>"
        }
        s += "</g>"
        s += "<line class=\"axis\" x1=\"\(f(left))\" x2=\"\(f(W - right))\" y1=\"\(f(top + ph))\" y2=\"\(f(top + ph))\"/>"
        for th in t.thresholds {
            let yy = f(y(th.value))
            let cls = th.level == .warn ? "thr warn" : "thr"
            s += "<g class=\"\(cls)\"><title>\(esc("\(th.name) (\(th.level.rawValue)): \(th.objective)"))</title>"
            s += "<line x1=\"\(f(left))\" x2=\"\(f(W - right))\" y1=\"\(yy)\" y2=\"\(yy)\"/>"
            s += "<text x=\"\(f(W - right - 2))\" y=\"\(f(y(th.value) - 4))\" text-anchor=\"end\">\(esc("\(th.comparison.rawValue) \(value(th.value, t.unit))"))</text></g>"
        }
        if n > 1 {
            let pts = t.points.indices.map { "\(f(x($0))),\(f(y(t.points[$0].value)))" }.joined(separator: " ")
            s += "<polyline class=\"tl\" points=\"\(pts)\"/>"
        }
        for (k, p) in t.points.enumerated() {
            var cls = "tp"
            if p.isCurrent { cls += " cur" }
            if t.thresholds.contains(where: { $0.level == .error && $0.violated(by: p.value) }) { cls += " bad" }
            else if t.thresholds.contains(where: { $0.violated(by: p.value) }) { cls += " warn" }
            s += "<circle class=\"\(cls)\" cx=\"\(f(x(k)))\" cy=\"\(f(y(p.value)))\" r=\"\(p.isCurrent ? "4.5" : "3")\">"
            s += "<title>\(esc(pointText(p, t)))</title></circle>"
        }
        s += "</svg>"
        return s
    }

    /// The hover text of a point: which report, when, labels, verdict, and the value.
    static func pointText(_ p: TrendSeries.Point, _ t: TrendSeries) -> String {
        var head = p.isCurrent ? "this run" : "report #\(p.reportID!)"
        head += " · " + TrendRender.when(p.startedAt)
        let labels = labelText(p.labels, branch: t.branch)
        if !labels.isEmpty { head += " · " + labels }
        head += " · " + p.verdict
        let over = t.metric.hasPrefix("custom.") ? "observation" : "run"
        return head + "\n\(t.title) = \(value(p.value, t.unit)) over \(p.n) \(over)\(p.n == 1 ? "" : "s")"
    }

    /// Labels worth showing on a point: all but the branch the history was filtered on.
    static func labelText(_ labels: [String: String], branch: String?) -> String {
        labels.filter { !($0.key == "branch" && $0.value == branch) }
            .sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }

    static func description(_ t: TrendSeries) -> String {
        let rec = t.recorded
        var d = "\(t.title) in \(rec.count) recorded report\(rec.count == 1 ? "" : "s")"
        d += t.branch.map { " on branch \($0)" } ?? ""
        if let first = rec.first, let last = rec.last {
            d += ", from \(value(first.value, t.unit)) (\(TrendRender.when(first.startedAt))) to \(value(last.value, t.unit)) (\(TrendRender.when(last.startedAt)))"
        }
        if let cur = t.points.last, cur.isCurrent { d += "; this run \(value(cur.value, t.unit))" }
        else if let why = t.currentMissing { d += "; this run: \(why)" }
        if let lo = t.points.map(\.value).min(), let hi = t.points.map(\.value).max() {
            d += "; lowest \(value(lo, t.unit)), highest \(value(hi, t.unit))"
        }
        for th in t.thresholds { d += "; objective \(th.name): \(th.comparison.rawValue) \(value(th.value, t.unit))" }
        return d + "."
    }

    /// `median(wall_time) · this run 1.25s, +2.5% vs the previous report`.
    static func caption(_ t: TrendSeries) -> String {
        var c = "<code>\(HTMLReport.escape(t.title))</code>"
        if let cur = t.points.last, cur.isCurrent {
            c += " · this run \(HTMLReport.escape(value(cur.value, t.unit)))"
            if let prev = t.recorded.last {
                if prev.value != 0 {
                    let change = (cur.value - prev.value) / abs(prev.value) * 100
                    // "-0.0%" reads like a change; under a twentieth of a percent is none.
                    c += abs(change) < 0.05 ? ", as in the previous report"
                        : CFormat.text(", %+.1f%%", change) + " vs the previous report"
                } else if cur.value == 0 {
                    c += ", as in the previous report"
                }
            }
        } else if let why = t.currentMissing {
            c += " · this run: \(HTMLReport.escape(why))"
        }
        return c
    }

    // MARK: table fallback

    /// The charted numbers, one row per report (and this run), one column per series.
    static func table(_ series: [TrendSeries], index i: Int) -> String {
        var rows: [Int64?: TrendSeries.Point] = [:]
        for t in series { for p in t.points where rows[p.reportID] == nil { rows[p.reportID] = p } }
        let ordered = rows.values.sorted { a, b in
            if a.isCurrent != b.isCurrent { return b.isCurrent }
            let ea = HistoryTime.epoch(a.startedAt) ?? 0, eb = HistoryTime.epoch(b.startedAt) ?? 0
            return ea != eb ? ea < eb : (a.reportID ?? 0) < (b.reportID ?? 0)
        }
        let charted = series.filter { !$0.points.isEmpty }
        let esc = HTMLReport.escape
        var s = "<details class=\"trend-data\"><summary>Trend data (\(ordered.count) row\(ordered.count == 1 ? "" : "s"))</summary>"
        s += "<div class=\"scroll\"><table><thead><tr><th scope=\"col\">Report</th><th scope=\"col\">Started</th>"
        s += "<th scope=\"col\">Labels</th><th scope=\"col\">Verdict</th>"
        for t in charted { s += "<th scope=\"col\" class=\"num\"><code>\(esc(t.title))</code></th>" }
        s += "</tr></thead><tbody>"
        for p in ordered {
            s += "<tr\(p.isCurrent ? " class=\"current\"" : "")><th scope=\"row\">\(p.isCurrent ? "this run" : "#\(p.reportID!)")</th>"
            s += "<td class=\"nowrap\">\(esc(TrendRender.when(p.startedAt)))</td>"
            s += "<td>\(esc(labelText(p.labels, branch: charted.first?.branch)))</td><td>\(esc(p.verdict))</td>"
            for t in charted {
                let v = t.points.first { $0.reportID == p.reportID }
                s += "<td class=\"num\">\(v.map { esc(value($0.value, t.unit)) } ?? "—")</td>"
            }
            s += "</tr>"
        }
        s += "</tbody></table></div></details>"
        return s
    }

    // MARK: units

    static func value(_ v: Double, _ unit: String) -> String { ReportText.human(v, unit: unit) }

    /// "2026-11-22T10:00:00Z" → "11-22 10:00": short enough for an axis end.
    static func shortDate(_ iso: String) -> String {
        let w = TrendRender.when(iso)
        guard w.count >= 16 else { return w }
        return String(w.dropFirst(5).prefix(11))
    }

    /// A y axis from `lo` to `hi` with 3–4 round ticks in a unit that keeps the labels short
    /// (`250ms`, `64MiB`).
    struct Axis {
        var ticks: [Double]
        var lo: Double, hi: Double
        var scale: Double
        var suffix: String

        init(unit: String, lo rawLo: Double, hi rawHi: Double) {
            let dim = ReportText.dimension(ofUnit: unit)
            // Bytes get round ticks in their binary unit (64MiB, not 67.1MB); the others are
            // decimal, so round ticks in base units stay round in ms or us.
            var pre = 1.0, byteSuffix = ""
            if dim == .bytes || dim == .rate {
                let (sc, u) = HTMLChart.byteScale(max(abs(rawLo), abs(rawHi)))
                (pre, byteSuffix) = (sc, u + (dim == .rate ? "/s" : ""))
            }
            let l = rawLo / pre, h = rawHi / pre
            let step: Double
            if h - l > 0 {
                let t = HTMLChart.niceTicks(max: h - l, count: 3)
                step = t.count > 1 ? t[1] : 1
            } else {
                step = h > 0 ? HTMLChart.niceTicks(max: h, count: 2)[1] : 1
            }
            // Round steps over the whole span, from a multiple of the step at or below lo.
            var ticks: [Double] = [(l / step).rounded(.down) * step]
            while ticks.last! < h * (1 - 1e-9) || ticks.count < 2 { ticks.append(ticks.last! + step) }
            let scaled = ticks.map { $0 * pre }
            self.ticks = scaled
            lo = scaled.first!
            hi = scaled.last!
            // The label unit follows the top tick: 0.5s and 1s, not 500ms and 1000ms.
            let top = max(abs(lo), abs(hi))
            switch dim {
            case .duration?:
                (scale, suffix) = top < 1e-3 ? (1e-6, "us") : top < 1 ? (1e-3, "ms") : top < 120 ? (1, "s") : top < 7200 ? (60, "m") : (3600, "h")
            case .bytes?, .rate?: (scale, suffix) = (pre, byteSuffix)
            case .percent?: (scale, suffix) = (1, "%")
            case .count?: (scale, suffix) = (1, "")
            case .unknown?, nil: (scale, suffix) = (1, unit.isEmpty ? "" : " " + unit)
            }
        }

        func label(_ v: Double) -> String {
            v == 0 ? "0" : HTMLChart.tickText(v / scale) + suffix
        }
    }

    static let css = """
    .trends h3{margin:14px 0 2px}.trend-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));gap:10px;margin-top:6px}
    figure.trend{padding:6px 6px 4px}figure.trend figcaption{text-align:left;overflow-wrap:anywhere}
    svg .tl{fill:none;stroke:var(--s0);stroke-width:1.5;stroke-linejoin:round}
    svg .tp{fill:var(--s0);stroke:var(--bg);stroke-width:1}svg .tp.cur{stroke:var(--fg);stroke-width:1.5}
    svg .tp.bad{fill:var(--fail)}svg .tp.warn{fill:var(--inc)}
    svg .thr line{stroke:var(--fail);stroke-width:1.2;stroke-dasharray:5 3}svg .thr text{fill:var(--fail);font-size:10.5px}
    svg .thr.warn line{stroke:var(--inc)}svg .thr.warn text{fill:var(--inc)}
    tr.current{font-weight:600}
    """
}
