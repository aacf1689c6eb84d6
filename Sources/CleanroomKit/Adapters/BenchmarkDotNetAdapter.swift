import Foundation

/// BenchmarkDotNet's full JSON export (`[JsonExporterAttribute.Full]` / `--exporters json`, file
/// `*-report-full.json`). Per benchmark (`FullName`): one `NAME.time` observation per measured
/// iteration (`Measurements` with `IterationMode` Workload and `IterationStage` Result: Nanoseconds /
/// Operations → s per op); with the brief export (no measurements), `Statistics.Mean` once. Plus
/// `NAME.allocated` (B/op) from `Memory.BytesAllocatedPerOperation`. Written from the documented JSON
/// format (no .NET here), not captured.
public enum BenchmarkDotNetAdapter: BenchmarkAdapter {
    public static let format = "benchmarkdotnet"

    public static func parse(_ data: Data) -> AdapterOutput {
        var out = AdapterOutput()
        guard let list = AdapterJSON.list(data, "Benchmarks", what: "a BenchmarkDotNet JSON export", &out) else { return out }
        for (i, item) in list.enumerated() {
            guard let b = item as? [String: Any], let name = (b["FullName"] ?? b["DisplayInfo"]) as? String else {
                out.reject("Benchmarks[\(i)]: no FullName"); continue
            }
            let measured = (b["Measurements"] as? [[String: Any]] ?? []).filter {
                $0["IterationMode"] as? String == "Workload" && $0["IterationStage"] as? String == "Result"
            }
            if !measured.isEmpty {
                for m in measured {
                    guard let ns = AdapterJSON.number(m["Nanoseconds"]), let ops = AdapterJSON.number(m["Operations"]), ops > 0 else {
                        out.reject("Benchmarks[\(i)] \(name): a measurement without Nanoseconds/Operations"); continue
                    }
                    out.add(name, "time", ns / ops * 1e-9, "s")
                }
            } else if let stats = b["Statistics"] as? [String: Any], let mean = AdapterJSON.number(stats["Mean"]) {
                out.add(name, "time", mean * 1e-9, "s")
            } else {
                out.reject("Benchmarks[\(i)] \(name): no measurements and no Statistics.Mean (did it fail?)")
            }
            if let mem = b["Memory"] as? [String: Any], let v = AdapterJSON.number(mem["BytesAllocatedPerOperation"]) {
                out.add(name, "allocated", v, "B")
            }
        }
        return out
    }
}
