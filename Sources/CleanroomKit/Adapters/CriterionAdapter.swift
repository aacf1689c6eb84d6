import Foundation

/// criterion.rs's per-benchmark files under `target/criterion/<BENCH>/new/`: `estimates.json` gives
/// `BENCH.mean`, `BENCH.median`, `BENCH.std_dev`, `BENCH.median_abs_dev` and `BENCH.slope` (point
/// estimates, ns → s), one observation each; `sample.json` gives one `BENCH.time` observation per
/// sample (its time over its iterations, ns → s). BENCH is the path between `criterion/` and `/new`
/// (`group/function/param`); give `path` a glob (`target/criterion/*/new/estimates.json`) to read every
/// benchmark. Written from criterion's documented file layout: criterion cannot be built here
/// (crates.io is unreachable), so the fixtures are hand-made in that format, not captured.
public enum CriterionAdapter: BenchmarkAdapter {
    public static let format = "criterion"

    public static func parse(_ data: Data) -> AdapterOutput { parse(data, source: "criterion/benchmark/new/estimates.json") }

    public static func parse(_ data: Data, source: String) -> AdapterOutput {
        var out = AdapterOutput()
        let name = benchmarkName(source)
        guard let root = AdapterJSON.object(data) as? [String: Any] else {
            out.reject("\(source): not a JSON object"); return out
        }
        if let iters = root["iters"] as? [Any], let times = root["times"] as? [Any] {
            guard iters.count == times.count else { out.reject("\(source): \(iters.count) iters but \(times.count) times"); return out }
            for (i, t) in zip(iters, times) {
                guard let n = AdapterJSON.number(i), n > 0, let ns = AdapterJSON.number(t) else { out.reject("\(source): a sample that is not a number"); continue }
                out.add(name, "time", ns / n * 1e-9, "s")
            }
            return out
        }
        var any = false
        for key in ["mean", "median", "std_dev", "median_abs_dev", "slope"] {
            guard let e = root[key] as? [String: Any] else { continue }
            guard let v = AdapterJSON.number(e["point_estimate"]) else { out.reject("\(source): \(key) has no point_estimate"); continue }
            out.add(name, key, v * 1e-9, "s"); any = true
        }
        if !any && out.malformed.isEmpty { out.reject("\(source): neither estimates (mean, median…) nor samples (iters, times)") }
        return out
    }

    /// `target/criterion/group/fn/new/estimates.json` → `group/fn`.
    static func benchmarkName(_ path: String) -> String {
        var parts = path.split(separator: "/").map(String.init)
        if parts.last?.hasSuffix(".json") == true { parts.removeLast() }
        if let last = parts.last, ["new", "base", "change"].contains(last) { parts.removeLast() }
        if let c = parts.lastIndex(of: "criterion") { parts = Array(parts[(c + 1)...]) }
        else if let last = parts.last { parts = [last] }
        return parts.isEmpty ? "criterion" : parts.joined(separator: "/")
    }
}
