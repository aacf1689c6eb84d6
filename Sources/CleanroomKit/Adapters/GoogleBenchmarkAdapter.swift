import Foundation

/// Google Benchmark's JSON (`--benchmark_out=FILE --benchmark_out_format=json`, or `--benchmark_format=json`
/// on stdout). One observation per repetition (`run_type: "iteration"`); the `_mean`/`_median`/`_stddev`
/// aggregates are statistics of those and are skipped, so objectives aggregate the repetitions themselves.
/// `real_time` and `cpu_time` are in the entry's `time_unit` → s; `bytes_per_second` → B/s;
/// `items_per_second` kept as `items/s`; user counters kept as numbers.
public enum GoogleBenchmarkAdapter: BenchmarkAdapter {
    public static let format = "google-benchmark"

    static let skipped: Set<String> = [
        "name", "run_name", "run_type", "family_index", "per_family_instance_index", "repetitions",
        "repetition_index", "threads", "iterations", "real_time", "cpu_time", "time_unit", "bytes_per_second",
        "items_per_second", "aggregate_name", "aggregate_unit", "label", "error_occurred", "error_message",
    ]

    public static func parse(_ data: Data) -> AdapterOutput {
        var out = AdapterOutput()
        guard let list = AdapterJSON.list(data, "benchmarks", what: "a Google Benchmark JSON report", &out) else { return out }
        for (i, item) in list.enumerated() {
            guard let b = item as? [String: Any], let name = (b["run_name"] ?? b["name"]) as? String else {
                out.reject("benchmarks[\(i)]: no name"); continue
            }
            if (b["run_type"] as? String) == "aggregate" { continue }
            if (b["error_occurred"] as? Bool) == true {
                out.reject("benchmarks[\(i)] \(name): \(b["error_message"] as? String ?? "error_occurred")"); continue
            }
            let unit = b["time_unit"] as? String ?? "ns"
            guard let real = AdapterJSON.number(b["real_time"]) else { out.reject("benchmarks[\(i)] \(name): no real_time"); continue }
            out.addDuration(name, "real_time", real, unit)
            if let cpu = AdapterJSON.number(b["cpu_time"]) { out.addDuration(name, "cpu_time", cpu, unit) }
            if let v = AdapterJSON.number(b["bytes_per_second"]) { out.add(name, "bytes_per_second", v, "B/s") }
            if let v = AdapterJSON.number(b["items_per_second"]) { out.add(name, "items_per_second", v, "items/s") }
            for key in b.keys.sorted() where !skipped.contains(key) {
                if let v = b[key] as? NSNumber, !(b[key] is Bool) { out.add(name, key, v.doubleValue, "") }
            }
        }
        return out
    }
}
