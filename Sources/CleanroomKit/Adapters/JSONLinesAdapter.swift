import Foundation

/// JSON lines in cleanroom's own custom-metric shape (`{"name": …, "value": …, "unit": …}` per
/// line), from a file or stdout, for tools that can print that but not write to `$CLEANROOM_METRICS`.
/// Read exactly as `$CLEANROOM_METRICS` is (CustomMetrics): same units, same malformed-line rules.
public enum JSONLinesAdapter: BenchmarkAdapter {
    public static let format = "jsonl"

    public static func parse(_ data: Data) -> AdapterOutput {
        let parsed = CustomMetrics.parse(data)
        var out = AdapterOutput()
        // Series order is not kept by CustomMetrics; sort for a stable report.
        for (name, s) in parsed.series.sorted(by: { $0.key < $1.key }) {
            for v in s.values { out.observations.append(.init(name: name, value: v, unit: s.unit)) }
        }
        out.malformed = parsed.malformed?.examples ?? []
        if let m = parsed.malformed, m.count > m.examples.count {
            out.malformed += Array(repeating: "(not quoted)", count: m.count - m.examples.count)
        }
        return out
    }
}
