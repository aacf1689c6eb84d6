import Foundation

/// wrk's report on stdout, best with `--latency`. Benchmark name `wrk`:
/// `wrk.requests_per_sec` (req/s), `wrk.transfer_per_sec` (B/s), `wrk.requests` and `wrk.errors`
/// (socket errors plus non-2xx/3xx responses; 0 when wrk printed none), the thread-stats latency
/// `wrk.latency_mean` / `wrk.latency_stdev` / `wrk.latency_max` (s), and with `--latency`
/// `wrk.latency_p50 p75 p90 p99` (s). One observation of each per run.
public enum WrkAdapter: BenchmarkAdapter {
    public static let format = "wrk"
    static let bench = "wrk"

    public static func parse(_ data: Data) -> AdapterOutput {
        var out = AdapterOutput()
        var inDistribution = false
        var sawSummary = false
        var errors = 0.0
        for (n, raw) in TextLines.lines(data).enumerated() {
            let line = raw.drop(while: { $0 == " " || $0 == "\t" })
            let f = TextLines.fields(line)
            func bad() { out.reject("line \(n + 1): cannot read \"\(line.prefix(120))\"") }
            if line.hasPrefix("Latency Distribution") { inDistribution = true; continue }
            if inDistribution, let first = f.first, first.hasSuffix("%") {
                guard f.count == 2, let p = Double(first.dropLast()), let v = TextLines.duration(f[1]) else { bad(); continue }
                out.add(bench, "latency_p" + (p == p.rounded() ? String(Int(p)) : String(p)), v, "s")
                continue
            }
            inDistribution = false
            if line.hasPrefix("Latency"), f.count >= 4 {
                guard let mean = TextLines.duration(f[1]), let sd = TextLines.duration(f[2]), let max = TextLines.duration(f[3]) else { bad(); continue }
                out.add(bench, "latency_mean", mean, "s"); out.add(bench, "latency_stdev", sd, "s"); out.add(bench, "latency_max", max, "s")
            } else if line.hasPrefix("Requests/sec:"), f.count == 2 {
                guard let v = Double(f[1]) else { bad(); continue }
                out.add(bench, "requests_per_sec", v, "req/s"); sawSummary = true
            } else if line.hasPrefix("Transfer/sec:"), f.count == 2 {
                guard let v = TextLines.binarySize(f[1]) else { bad(); continue }
                out.add(bench, "transfer_per_sec", v, "B/s")
            } else if f.count >= 3, f[1] == "requests", f[2] == "in" {
                guard let v = Double(f[0]) else { bad(); continue }
                out.add(bench, "requests", v, "requests")
            } else if line.hasPrefix("Socket errors:") {
                // Socket errors: connect 0, read 3, write 0, timeout 12
                for part in line.dropFirst("Socket errors:".count).split(separator: ",") {
                    if let v = part.split(separator: " ").last.flatMap({ Double($0) }) { errors += v } else { bad() }
                }
            } else if line.hasPrefix("Non-2xx or 3xx responses:"), let v = f.last.flatMap({ Double($0) }) {
                errors += v
            }
        }
        if sawSummary { out.add(bench, "errors", errors, "errors") }
        else { out.reject("no \"Requests/sec:\" line: not a wrk report (or wrk did not finish)") }
        return out
    }
}
