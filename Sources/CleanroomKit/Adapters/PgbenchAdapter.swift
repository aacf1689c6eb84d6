import Foundation

/// pgbench's report on stdout (its `-P SECONDS` progress lines go to stderr: run it with `2>&1`).
/// Benchmark name `pgbench`. Progress lines `progress: 1.0 s, 793.0 tps, lat 2.484 ms stddev 2.547, 0 failed`
/// give one observation per interval of `pgbench.progress_tps` (tx/s), `pgbench.progress_latency`
/// and `pgbench.progress_latency_stddev` (s); the summary gives `pgbench.tps` (tx/s, without initial
/// connection time), `pgbench.latency_average`, `pgbench.latency_stddev`, `pgbench.connection_time` (s),
/// `pgbench.transactions` and `pgbench.failed` once.
public enum PgbenchAdapter: BenchmarkAdapter {
    public static let format = "pgbench"
    static let bench = "pgbench"

    public static func parse(_ data: Data) -> AdapterOutput {
        var out = AdapterOutput()
        var sawTPS = false
        for (n, raw) in TextLines.lines(data).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            func bad() { out.reject("line \(n + 1): cannot read \"\(line.prefix(120))\"") }
            if line.hasPrefix("progress:") {
                // progress: 1.0 s, 793.0 tps, lat 2.484 ms stddev 2.547, 0 failed
                let f = line.split(whereSeparator: { $0 == " " || $0 == "," })
                guard let t = f.firstIndex(of: "tps"), t > 0, let tps = Double(f[t - 1]) else { bad(); continue }
                out.add(bench, "progress_tps", tps, "tx/s")
                if let l = f.firstIndex(of: "lat"), l + 2 < f.count, let v = Double(f[l + 1]), let u = Units.durations[String(f[l + 2])] {
                    out.add(bench, "progress_latency", v * u, "s")
                    if let s = f.firstIndex(of: "stddev"), s + 1 < f.count, let sd = Double(f[s + 1]) { out.add(bench, "progress_latency_stddev", sd * u, "s") }
                }
            } else if line.hasPrefix("tps = ") {
                guard let v = Double(line.dropFirst(6).prefix(while: { $0 != " " })) else { bad(); continue }
                // pgbench before 14 printed two tps lines (including / excluding connections establishing): keep the latter.
                if line.contains("including connections") { continue }
                out.add(bench, "tps", v, "tx/s"); sawTPS = true
            } else if let (key, rest) = split(line), let measure = summary[key] {
                let f = rest.split(separator: " ")
                guard let v = f.first.flatMap({ Double($0) }) else { bad(); continue }
                if f.count >= 2, let u = Units.durations[String(f[1])] { out.add(bench, measure, v * u, "s") }
                else { out.add(bench, measure, v, measure == "transactions" || measure == "failed" ? "transactions" : "") }
            }
        }
        if !sawTPS { out.reject("no \"tps = \" line: not a pgbench report (or pgbench did not finish)") }
        return out
    }

    static let summary: [String: String] = [
        "latency average": "latency_average", "latency stddev": "latency_stddev",
        "initial connection time": "connection_time",
        "number of transactions actually processed": "transactions", "number of failed transactions": "failed",
    ]

    static func split(_ line: String) -> (String, String)? {
        if let r = line.range(of: " = ") { return (String(line[..<r.lowerBound]), String(line[r.upperBound...])) }
        if let r = line.range(of: ": ") { return (String(line[..<r.lowerBound]), String(line[r.upperBound...])) }
        return nil
    }
}
