import Foundation

/// ordo-one/package-benchmark's JSON export (`swift package benchmark --format jsonSmallerIsBetter`
/// or `jsonBiggerIsBetter`, github-action-benchmark's shape): a list of `{name: "TEST - METRIC",
/// unit, value}` where value is the metric's p99. One observation of `TEST.METRIC` each; time units
/// (`ns`, `μs`, `ms`, `s`) → s, the count scales `K M G` → plain counts, `#` → count. Written from
/// package-benchmark 1.38.1's source (Plugins/BenchmarkTool/BenchmarkTool+Export+JSON.swift).
public enum PackageBenchmarkAdapter: BenchmarkAdapter {
    public static let format = "package-benchmark"

    static let scales: [String: Double] = ["#": 1, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15]

    public static func parse(_ data: Data) -> AdapterOutput {
        var out = AdapterOutput()
        guard let list = AdapterJSON.object(data) as? [Any] else {
            out.reject("not a package-benchmark JSON export (a list of {name, unit, value})"); return out
        }
        for (i, item) in list.enumerated() {
            guard let e = item as? [String: Any], let full = e["name"] as? String, let v = AdapterJSON.number(e["value"]) else {
                out.reject("[\(i)]: no name or numeric value"); continue
            }
            let unit = e["unit"] as? String ?? "#"
            let parts = full.components(separatedBy: " - ")
            let bench = parts.count > 1 ? parts.dropLast().joined(separator: " - ") : full
            let measure = parts.count > 1 ? parts.last! : "value"
            if let f = Units.durations[unit] { out.add(bench, measure, v * f, "s") }
            else if let s = scales[unit] { out.add(bench, measure, v * s, "count") }
            else { out.add(bench, measure, v, unit) }
        }
        return out
    }
}
