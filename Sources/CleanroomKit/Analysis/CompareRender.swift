import Foundation

/// Text forms of a `ComparisonReport`: an aligned table for terminals, GitHub markdown for pull
/// requests, JSON for machines.
public enum CompareRender {
    public enum Format: String, CaseIterable, Sendable { case table, json, markdown }

    public static func render(_ report: ComparisonReport, as format: Format) -> String {
        switch format {
        case .table: return table(report)
        case .markdown: return markdown(report)
        case .json: return json(report)
        }
    }

    static let header = ["workload", "metric", "base", "head", "change", "95% CI", "result", "p (rank test)", "to decide"]

    static func row(_ c: MetricChange) -> [String] {
        [c.workload, c.metric, value(c.baseMedian, c.unit) + " (n=\(c.baseN))", value(c.headMedian, c.unit) + " (n=\(c.headN))",
         c.changePercent.map(percent) ?? "—",
         c.ci.map { "[\(percent($0[0])), \(percent($0[1]))]" } ?? "—",
         c.result, pValue(c.pValue) + (c.rankTestAgrees ? "" : " (disagrees)"),
         c.runsToDecide.map { "≈\($0) runs a side" } ?? ""]
    }

    public static func table(_ r: ComparisonReport) -> String {
        guard !r.changes.isEmpty else { return footer(r, prefix: "no metric in common to compare\n") }
        let rows = [header] + r.changes.map(row)
        let widths = header.indices.map { i in rows.map { $0[i].count }.max() ?? 0 }
        var out = ""
        for (k, row) in rows.enumerated() {
            out += row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ") + "\n"
            if k == 0 { out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
        }
        return footer(r, prefix: out)
    }

    public static func markdown(_ r: ComparisonReport) -> String {
        var out = "| " + header.joined(separator: " | ") + " |\n"
        out += "|" + header.map { _ in "---" }.joined(separator: "|") + "|\n"
        for c in r.changes {
            var cells = row(c).map { $0.replacingOccurrences(of: "|", with: "\\|") }
            cells[0] = "`\(cells[0])`"; cells[1] = "`\(cells[1])`"
            if c.result != "no change" { cells[6] = "**\(cells[6])**" }
            out += "| " + cells.joined(separator: " | ") + " |\n"
        }
        return footer(r, prefix: out)
    }

    public static func json(_ r: ComparisonReport) -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: (try? enc.encode(r)) ?? Data(), as: UTF8.self) + "\n"
    }

    static func footer(_ r: ComparisonReport, prefix: String) -> String {
        var out = prefix
        if !r.onlyInBase.isEmpty { out += "\nonly in base (not compared): " + r.onlyInBase.joined(separator: ", ") + "\n" }
        if !r.onlyInHead.isEmpty { out += "\nonly in head (not compared): " + r.onlyInHead.joined(separator: ", ") + "\n" }
        out += "\nmedians; change = (head − base) / base with its 95% CI (bootstrap over both samples), judged as "
            + "the gate judges `median(...) <= baseline + \(CFormat.text("%g", r.band))%`: slower/faster when the whole CI is beyond "
            + "±\(CFormat.text("%g", r.band))%, no change when it is wholly within, else inconclusive. "
            + "p = Mann–Whitney U, two-sided (second opinion, alpha \(r.alpha)).\n"
        return out
    }

    static func percent(_ v: Double) -> String { CFormat.text("%+.1f%%", v) }

    static func pValue(_ p: Double) -> String { p < 0.001 ? "<0.001" : CFormat.text("%.3f", p) }

    /// A value with a readable unit: seconds as s/ms/µs, bytes in binary multiples.
    public static func value(_ v: Double, _ unit: String) -> String {
        func g(_ x: Double) -> String { CFormat.text("%.4g", x) }
        switch unit {
        case "s":
            let a = abs(v)
            if a == 0 || a >= 1 { return g(v) + " s" }
            if a >= 1e-3 { return g(v * 1e3) + " ms" }
            if a >= 1e-6 { return g(v * 1e6) + " µs" }
            return g(v * 1e9) + " ns"
        case "B", "B/s":
            let suffix = unit == "B/s" ? "/s" : ""
            let steps = ["B", "KiB", "MiB", "GiB", "TiB"]
            var x = v, i = 0
            while abs(x) >= 1024 && i < steps.count - 1 { x /= 1024; i += 1 }
            return g(x) + " " + steps[i] + suffix
        case "%": return g(v) + "%"
        case "", "count": return g(v)
        default: return g(v) + " " + unit
        }
    }
}
