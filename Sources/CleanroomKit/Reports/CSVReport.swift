import Foundation

/// report.csv (one row per run) and slos.csv (one row per objective), RFC 4180: CRLF line
/// ends, a field quoted when it holds a comma, a quote, CR or LF, quotes doubled. Numbers are in
/// the metric's base unit (s, B, B/s, %, count) at full precision, for spreadsheets and scripts.
/// An absent figure is an empty cell (never 0); `unmeasured` says why.
///
/// Cells are not rewritten against spreadsheet formula injection (`=cmd|…`): a workload named
/// that way shows as text in any CSV parser, and prefixing a quote would change the data.
public enum CSVReport {
    /// Column headers of report.csv for this report: the fixed columns, then one per metric
    /// any run has or lacks with a reason (contract order, then `custom.NAME.mean`/`custom.NAME.n`, then `svc.*`), then
    /// `unmeasured` and `detail`.
    public static func runColumns(_ report: Report) -> [String] {
        var builtin = Set<String>(), custom = Set<String>(), services = Set<String>()
        for w in report.workloads {
            for run in w.runs {
                for k in run.metrics.keys where k != Metric.exitCode.rawValue { builtin.insert(k) }
                // A metric unmeasured on every run still gets its (empty) column: the gap shows.
                for k in run.unmeasured.keys where k != Metric.exitCode.rawValue {
                    if case .builtin? = MetricRef(key: k) { builtin.insert(k) }
                }
                for k in run.custom.keys { custom.insert(k) }
                for (svc, rec) in run.services {
                    for k in rec.metrics.keys { services.insert("svc.\(svc).\(k)") }
                }
            }
        }
        let metricCols = ReportText.sortedMetricKeys(builtin.union(services))
        let builtinCols = metricCols.filter { !$0.hasPrefix("svc.") }
        let svcCols = metricCols.filter { $0.hasPrefix("svc.") }
        let customCols = custom.sorted().flatMap { ["custom.\($0).mean", "custom.\($0).n"] }
        return ["workload", "index", "warmup", "outcome", "exit_code", "signal"]
            + builtinCols + customCols + svcCols + ["unmeasured", "detail"]
    }

    /// report.csv.
    public static func runs(_ report: Report) -> String {
        let cols = runColumns(report)
        var out = row(cols)
        for w in report.workloads {
            for run in w.runs {
                var cells: [String] = []
                cells.reserveCapacity(cols.count)
                for c in cols {
                    switch c {
                    case "workload": cells.append(w.name)
                    case "index": cells.append(String(run.index))
                    case "warmup": cells.append(run.warmup ? "true" : "false")
                    case "outcome": cells.append(run.outcome.rawValue)
                    case "exit_code": cells.append(run.exitCode.map(String.init) ?? "")
                    case "signal": cells.append(run.signal ?? "")
                    case "unmeasured":
                        let all = run.unmeasured.merging(serviceUnmeasured(run)) { a, _ in a }
                        cells.append(ReportText.sortedMetricKeys(all.keys).map { "\($0): \(all[$0]!)" }.joined(separator: "; "))
                    case "detail": cells.append(run.detail ?? "")
                    default: cells.append(cell(run, column: c))
                    }
                }
                out += row(cells)
            }
        }
        return out
    }

    /// slos.csv.
    public static func slos(_ report: Report) -> String {
        let cols = ["name", "workload", "objective", "level", "status", "observed", "threshold", "unit",
                    "margin", "ci_low", "ci_high", "runs_added", "reason"]
        var out = row(cols)
        for s in report.slos {
            let ci = s.ci ?? []
            out += row([s.name, s.workload, s.objective, s.level.rawValue, s.status.rawValue,
                        num(s.observed), num(s.threshold), s.unit, num(s.margin),
                        num(ci.count == 2 ? ci[0] : nil), num(ci.count == 2 ? ci[1] : nil),
                        s.runsAdded.map(String.init) ?? "", s.reason ?? ""])
        }
        return out
    }

    /// One RFC 4180 field.
    public static func field(_ s: String) -> String {
        let needsQuotes = s.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        guard needsQuotes else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func row(_ cells: [String]) -> String { cells.map(field).joined(separator: ",") + "\r\n" }

    private static func num(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "" }
        return ReportText.number(v)
    }

    private static func cell(_ run: RunRecord, column c: String) -> String {
        if c.hasPrefix("custom."), c.hasSuffix(".mean") || c.hasSuffix(".n") {
            let isMean = c.hasSuffix(".mean")
            let name = String(c.dropFirst("custom.".count).dropLast(isMean ? 5 : 2))
            guard let series = run.custom[name] else { return "" }
            if !isMean { return String(series.values.count) }
            let vals = series.values.filter(\.isFinite)
            return vals.isEmpty ? "" : num(vals.reduce(0, +) / Double(vals.count))
        }
        if c.hasPrefix("svc.") {
            let rest = c.dropFirst(4)
            guard let dot = rest.lastIndex(of: ".") else { return "" }
            return num(run.services[String(rest[..<dot])]?.metrics[String(rest[rest.index(after: dot)...])])
        }
        return num(run.metrics[c])
    }

    private static func serviceUnmeasured(_ run: RunRecord) -> [String: String] {
        var out: [String: String] = [:]
        for (svc, rec) in run.services { for (k, why) in rec.unmeasured ?? [:] { out["svc.\(svc).\(k)"] = why } }
        return out
    }
}
