import Foundation

// The tables of report.html: objectives, and per workload its statistics, runs and denied
// syscalls. They are most of the markup, kept apart so HTMLReport.swift reads as the page's order.

extension HTMLReport {
    static func objectives(_ r: Report) -> String {
        guard !r.slos.isEmpty else {
            return "<section aria-labelledby=\"obj-h\"><h2 id=\"obj-h\">Objectives</h2><p class=\"muted\">No objectives were judged.</p></section>\n"
        }
        var s = "<section aria-labelledby=\"obj-h\"><h2 id=\"obj-h\">Objectives</h2>"
        s += "<p class=\"muted\">\(escape(ReportText.objectiveCounts(r.slos))). Failing first; margin is the distance from the threshold, negative on the failing side.</p>"
        s += "<div class=\"scroll\"><table class=\"objectives\"><thead><tr>"
        for (head, cls) in [("Status", ""), ("Objective", ""), ("Workload", ""), ("Observed", "num"), ("Threshold", "num"),
                            ("Margin", "num"), ("95% CI", "num"), ("Level", ""), ("Runs added", "num")] {
            s += "<th scope=\"col\"\(cls.isEmpty ? "" : " class=\"\(cls)\"")>\(head)</th>"
        }
        s += "</tr></thead><tbody>"
        let split = ResultGroups.split(r.slos)
        for o in split.listed { s += objectiveRow(o) }
        s += "</tbody></table></div>"
        // Passing results of objectives with many (a glob, `*`): folded, one line each.
        for g in split.folded {
            s += "<details class=\"group\"><summary><span class=\"badge pass\">pass</span> \(escape(ResultGroups.title(g)))</summary>"
            s += "<div class=\"scroll\"><table class=\"objectives\"><tbody>"
            for o in g.results { s += objectiveRow(o) }
            s += "</tbody></table></div></details>"
        }
        s += "</section>\n"
        return s
    }

    private static func objectiveRow(_ o: ObjectiveResult) -> String {
        var s = ""
        let ci = o.ci.flatMap { $0.count == 2 ? "\(ReportText.objectiveValue($0[0], o)) – \(ReportText.objectiveValue($0[1], o))" : nil } ?? "—"
        let warning = o.status == .fail && o.level == .warn
        s += "<tr class=\"\(warning ? "warning" : o.status.rawValue)\">"
        s += "<td>\(warning ? "<span class=\"badge inconclusive\" title=\"level warn: reported, does not fail the gate\">warning</span>" : statusBadge(o.status))</td>"
        s += "<th scope=\"row\"><span class=\"name\">\(escape(ResultGroups.label(o)))</span><code>\(escape(o.objective))</code>"
        if let reason = o.reason { s += "<span class=\"reason\">\(escape(reason))</span>" }
        if let b = ReportText.baselineLine(o) { s += "<span class=\"reason baseline\">\(escape(b))</span>" }
        s += "</th>"
        // Usual names stay on one line; a very long one wraps rather than squeeze the objective.
        s += "<td class=\"\(o.workload.count > 24 ? "wl" : "nowrap")\">\(escape(o.workload))</td>"
        s += "<td class=\"num\">\(ReportText.objectiveValue(o.observed, o))</td>"
        s += "<td class=\"num\">\(ReportText.objectiveValue(o.threshold, o))</td>"
        let neg = (o.margin ?? 0) < 0
        s += "<td class=\"num\(neg ? " neg" : "")\">\(ReportText.margin(o.margin))</td>"
        s += "<td class=\"num\">\(ci)</td>"
        s += "<td>\(o.level == .warn ? "<span class=\"badge warnlvl\">warn</span>" : "error")</td>"
        s += "<td class=\"num\">\(o.runsAdded.map(String.init) ?? "—")</td></tr>"
        return s
    }

    static func statsTable(_ w: WorkloadReport, index i: Int) -> String {
        let keys = ReportText.sortedMetricKeys(w.stats.keys)
        guard !keys.isEmpty else { return "" }
        var s = "<details class=\"stats\" open><summary>Statistics over the measured runs</summary><div class=\"scroll\"><table><thead><tr><th scope=\"col\">Metric</th>"
        for c in ["n", "min", "median", "mean", "p95", "max", "stddev"] { s += "<th scope=\"col\" class=\"num\">\(c)</th>" }
        s += "</tr></thead><tbody>"
        for k in keys {
            let st = w.stats[k]!
            let dim = ReportText.dimension(ofKey: k, unit: st.unit)
            func v(_ x: Double) -> String { ReportText.human(x, dimension: dim, unit: st.unit) }
            s += "<tr><th scope=\"row\"><code>\(escape(k))</code></th><td class=\"num\">\(st.n)</td><td class=\"num\">\(v(st.min))</td>"
            s += "<td class=\"num\">\(v(st.median))</td><td class=\"num\">\(v(st.mean))</td><td class=\"num\">\(v(st.p95))</td>"
            s += "<td class=\"num\">\(v(st.max))</td><td class=\"num\">\(v(st.stddev))</td></tr>"
        }
        s += "</tbody></table></div></details>"
        return s
    }

    static let runColumns: [(Metric, String)] = [
        (.wallTime, "Wall"), (.cpuTime, "CPU time"), (.cpuPercent, "CPU %"), (.memoryPeak, "Memory peak"),
        (.rssPeak, "RSS peak (Pss)"),
        (.diskReadBytes, "Disk read"), (.diskWriteBytes, "Disk write"), (.pidsPeak, "PIDs peak"),
    ]

    static func runsTable(_ w: WorkloadReport, index i: Int) -> String {
        guard !w.runs.isEmpty else { return "<p class=\"muted\">No runs.</p>" }
        // A figure missing for the same reason on every run is said once, grouped by reason;
        // the table's last column keeps only what differs from run to run.
        var common: [String: String] = w.runs[0].unmeasured
        for r in w.runs.dropFirst() { common = common.filter { r.unmeasured[$0.key] == $0.value } }
        var s = ""
        if !common.isEmpty {
            var byReason: [String: [String]] = [:]
            for (k, why) in common { byReason[why, default: []].append(k) }
            s += "<div class=\"unmeasured\"><h3>Not measured on any run</h3><ul>"
            for (why, keys) in byReason.sorted(by: { ReportText.sortedMetricKeys($0.value)[0] < ReportText.sortedMetricKeys($1.value)[0] }) {
                s += "<li>" + ReportText.sortedMetricKeys(keys).map { "<code>\(escape($0))</code>" }.joined(separator: ", ")
                s += ": \(escape(why))</li>"
            }
            s += "</ul></div>"
        }
        let perRun = w.runs.map { r in r.unmeasured.filter { common[$0.key] != $0.value } }
        let showReasons = perRun.contains { !$0.isEmpty }
        let open = w.runs.count <= 20 || w.runs.contains { $0.outcome != .ok }
        s += "<details class=\"runs\"\(open ? " open" : "")><summary>Runs (\(w.runs.count))</summary><div class=\"scroll\"><table><thead><tr>"
        s += "<th scope=\"col\" class=\"num\">#</th><th scope=\"col\">Outcome</th><th scope=\"col\" class=\"num\">Exit</th>"
        for (_, head) in runColumns { s += "<th scope=\"col\" class=\"num\">\(head)</th>" }
        if showReasons { s += "<th scope=\"col\">Not measured in this run, and why</th>" }
        s += "</tr></thead><tbody>"
        for (n, r) in w.runs.enumerated() {
            s += "<tr\(r.warmup ? " class=\"warmup\"" : "")><th scope=\"row\" class=\"num\">\(r.index)\(r.warmup ? " <span class=\"badge muted\">warmup</span>" : "")</th>"
            s += "<td><span class=\"badge \(r.outcome == .ok ? "pass" : "fail")\">\(r.outcome.rawValue)</span>"
            if let d = r.detail { s += "<span class=\"reason\">\(escape(d))</span>" }
            if let c = r.contention { s += "<span class=\"badge warnlvl\">contended</span><span class=\"reason\">\(escape(c))</span>" }
            s += "</td><td class=\"num\">\(r.exitCode.map(String.init) ?? r.signal.map(escape) ?? "—")</td>"
            for (m, _) in runColumns {
                if let v = r.metrics[m.rawValue], v.isFinite {
                    s += "<td class=\"num\">\(Units.format(v, m.dimension))</td>"
                } else if let why = r.unmeasured[m.rawValue] {
                    s += "<td class=\"num\" title=\"\(escape(why))\">—</td>"
                } else {
                    s += "<td class=\"num\">—</td>"
                }
            }
            if showReasons {
                let um = perRun[n]
                s += "<td class=\"small\">" + ReportText.sortedMetricKeys(um.keys).map { "<code>\(escape($0))</code>: \(escape(um[$0]!))" }.joined(separator: "<br>") + "</td>"
            }
            s += "</tr>"
        }
        s += "</tbody></table></div></details>"
        return s
    }

    static func denied(_ w: WorkloadReport) -> String {
        var total: [String: Int] = [:], runs: [String: [Int]] = [:]
        for r in w.runs {
            for (k, v) in r.seccompDenied { total[k, default: 0] += v; runs[k, default: []].append(r.index) }
        }
        guard !total.isEmpty else { return "" }
        var s = "<div class=\"denied\"><h3>Denied syscalls (seccomp)</h3><table><thead><tr><th scope=\"col\">Syscall</th>"
        s += "<th scope=\"col\" class=\"num\">Calls denied</th><th scope=\"col\">In runs</th></tr></thead><tbody>"
        for (k, n) in total.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) {
            s += "<tr><th scope=\"row\"><code>\(escape(k))</code></th><td class=\"num\">\(n)</td><td>\(runs[k]!.map(String.init).joined(separator: ", "))</td></tr>"
        }
        s += "</tbody></table></div>"
        return s
    }
}
