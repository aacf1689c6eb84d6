import Foundation

/// JMH's JSON result file (`-rf json -rff FILE`): a list of runs, each with `benchmark`, `mode`,
/// `params` and `primaryMetric {score, scoreUnit, rawData}`. One observation per measurement
/// iteration (`rawData`, every fork) of `BENCH.MODE`, where BENCH is `benchmark` with its params as
/// `{k=v,...}` → `_k_v` and MODE is `thrpt`, `avgt`, `sample` or `ss`. Time units (`ns/op`, `ms/op`…)
/// → s/op; throughputs (`ops/ms`, `ops/us`…) → `ops/s`. Secondary metrics (e.g. `·gc.alloc.rate`) once each,
/// units kept. Written from JMH's documented JSON format (no JVM here), not captured.
public enum JMHAdapter: BenchmarkAdapter {
    public static let format = "jmh"

    public static func parse(_ data: Data) -> AdapterOutput {
        var out = AdapterOutput()
        guard let list = AdapterJSON.object(data) as? [Any] else { out.reject("not JMH JSON (a list of benchmark runs)"); return out }
        for (i, item) in list.enumerated() {
            guard let b = item as? [String: Any], var name = b["benchmark"] as? String,
                  let primary = b["primaryMetric"] as? [String: Any] else { out.reject("[\(i)]: no benchmark or primaryMetric"); continue }
            if let params = b["params"] as? [String: Any], !params.isEmpty {
                name += "{" + params.keys.sorted().map { "\($0)=\(params[$0]!)" }.joined(separator: ",") + "}"
            }
            let mode = b["mode"] as? String ?? "score"
            guard let unit = primary["scoreUnit"] as? String, let (factor, normal) = convert(unit) else {
                out.reject("[\(i)] \(name): unknown scoreUnit \(primary["scoreUnit"] ?? "none")"); continue
            }
            if let raw = primary["rawData"] as? [[Any]], !raw.isEmpty {
                for fork in raw { for v in fork { if let x = AdapterJSON.number(v) { out.add(name, mode, x * factor, normal) } } }
            } else if let s = AdapterJSON.number(primary["score"]) {
                out.add(name, mode, s * factor, normal)
            } else { out.reject("[\(i)] \(name): no score") }
            for (key, value) in (b["secondaryMetrics"] as? [String: Any] ?? [:]).sorted(by: { $0.key < $1.key }) {
                guard let m = value as? [String: Any], let s = AdapterJSON.number(m["score"]) else { continue }
                let u = m["scoreUnit"] as? String ?? ""
                let c = convert(u) ?? (1, u)
                // JMH prefixes profiler metrics with a middle dot (`·gc.alloc.rate`).
                out.add(name, mode + "." + key.drop(while: { !($0.isASCII && $0.isLetter) }), s * c.0, c.1)
            }
        }
        return out
    }

    /// `ns/op` → (1e-9, "s"); `ops/ms` → (1e3, "ops/s"); other units kept.
    static func convert(_ unit: String) -> (Double, String)? {
        let parts = unit.split(separator: "/")
        guard parts.count == 2 else { return (1, unit) }
        if let f = Units.durations[String(parts[0])] { return (f, "s") }
        if let f = Units.durations[String(parts[1])] { return (1 / f, parts[0] + "/s") }
        return (1, unit)
    }
}
