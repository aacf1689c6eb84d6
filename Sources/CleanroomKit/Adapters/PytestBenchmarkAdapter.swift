import Foundation

/// pytest-benchmark's JSON (`pytest --benchmark-json=FILE`). With the rounds' own timings in
/// `stats.data` (written by pytest-benchmark 4+; `--benchmark-save-data` on older versions), one
/// `NAME.time` observation per round (s per call: a round's time over its iterations). The
/// summary figures come once per benchmark: `NAME.mean`, `NAME.median`, `NAME.min`, `NAME.max`,
/// `NAME.stddev` (s) and `NAME.ops` (`ops/s`).
public enum PytestBenchmarkAdapter: BenchmarkAdapter {
    public static let format = "pytest-benchmark"

    public static func parse(_ data: Data) -> AdapterOutput {
        var out = AdapterOutput()
        guard let list = AdapterJSON.list(data, "benchmarks", what: "a pytest-benchmark JSON report", &out) else { return out }
        for (i, item) in list.enumerated() {
            guard let b = item as? [String: Any], let name = b["name"] as? String,
                  let stats = b["stats"] as? [String: Any] else {
                out.reject("benchmarks[\(i)]: no name or stats"); continue
            }
            if let rounds = stats["data"] as? [Any] {
                for r in rounds {
                    if let v = AdapterJSON.number(r) { out.add(name, "time", v, "s") }
                    else { out.reject("benchmarks[\(i)] \(name): a round that is not a number") }
                }
            }
            for key in ["mean", "median", "min", "max", "stddev"] {
                if let v = AdapterJSON.number(stats[key]) { out.add(name, key, v, "s") }
            }
            if let v = AdapterJSON.number(stats["ops"]) { out.add(name, "ops", v, "ops/s") }
        }
        return out
    }
}
