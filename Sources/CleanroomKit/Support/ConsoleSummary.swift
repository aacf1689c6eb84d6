import Foundation

/// The objectives table and verdict line printed at the end of `run`, `check` and `merge`:
/// what a developer reads in a CI log before opening any report.
public enum ConsoleSummary {
    public static func render(_ report: Report, reportDirectory: String? = nil) -> String {
        var out = ""
        if !report.slos.isEmpty {
            let header = ["status", "objective", "workload", "observed", "threshold", "margin", "level"]
            var rows: [[String]] = []
            // Few results: in report order. Many: failures first, passing groups folded.
            let split = ResultGroups.split(report.slos)
            for r in split.folded.isEmpty ? report.slos : split.listed {
                let dim = dimension(unit: r.unit)
                var observed = r.observed.map { Units.format($0, dim) } ?? "—"
                if let ci = r.ci, ci.count == 2 {
                    observed += " [\(Units.format(ci[0], dim)), \(Units.format(ci[1], dim))]"
                }
                rows.append([
                    r.status.rawValue.uppercased(),
                    esc("\(ResultGroups.label(r)): \(r.objective)"),
                    esc(r.workload),
                    observed,
                    r.threshold.map { Units.format($0, dim) } ?? "—",
                    r.margin.map { CFormat.text("%+.1f%%", $0 * 100) } ?? "—",
                    r.level.rawValue + ((r.runsAdded ?? 0) > 0 ? " (+\(r.runsAdded!) runs)" : ""),
                ])
            }
            // Passing results of objectives with many (a glob, `*`): one row each, not hundreds.
            for g in split.folded {
                rows.append(["PASS", ResultGroups.title(g), g.workload, "", "", "", g.results.first?.level.rawValue ?? ""])
            }
            out += table(header, rows)
            for r in report.slos where r.reason != nil && r.status != .pass {
                out += "  \(esc(r.name))[\(esc(r.workload))\(r.metric.map { "/" + esc($0) } ?? "")]: \(esc(r.reason!))\n"
            }
            // Baseline provenance for the rows shown; a folded group's passes are not listed one by one.
            for r in split.folded.isEmpty ? report.slos : split.listed {
                if let line = ReportText.baselineLine(r) { out += "  \(esc(r.name))[\(esc(r.workload))\(r.metric.map { "/" + esc($0) } ?? "")]: \(esc(line))\n" }
            }
        }
        for w in report.workloads {
            if let e = w.error { out += "workload \(esc(w.name)): \(esc(e))\n" }
            let bad = w.runs.filter { $0.outcome != .ok }
            if !bad.isEmpty {
                let kinds = Dictionary(grouping: bad, by: \.outcome).map { "\($0.value.count) \($0.key.rawValue)" }.sorted()
                out += "workload \(esc(w.name)): \(kinds.joined(separator: ", "))"
                if let d = bad.first?.detail { out += " — \(esc(d))" }
                out += "\n"
            }
        }
        for line in ReportText.contentionLines(report) { out += "contended: \(esc(line))\n" }
        for d in report.host.degraded { out += "degraded: \(esc(d))\n" }
        for e in report.outputErrors ?? [] { out += "not written: \(esc(e))\n" }
        for a in report.alerts where a.status != "delivered" {
            out += "alert to \(esc(a.target)) (\(esc(a.format))) \(esc(a.status)) after \(a.attempts) attempt\(a.attempts == 1 ? "" : "s")\(a.error.map { ": \(esc($0))" } ?? "")\n"
        }
        out += "verdict: \(report.verdict.rawValue.uppercased())"
        if let dir = reportDirectory { out += " · reports in \(dir)" }
        out += "\n"
        return out
    }

    /// Names, objectives, details and reasons may come from a workload or an edited report.
    static func esc(_ s: String) -> String { ConsoleText.escape(s) }

    static func dimension(unit: String) -> Dimension {
        Dimension.allCases.first { $0.baseUnit == unit && $0 != .unknown } ?? .unknown
    }

    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingBlanks + "\n"
        }
        return line(header) + rows.map(line).joined()
    }
}
