import Foundation

/// ApacheBench. Either its report on stdout — `ab.requests_per_sec` (req/s), `ab.time_per_request`
/// (s, mean per request at the chosen concurrency), `ab.transfer_rate` (B/s), `ab.complete` and
/// `ab.failed`, and the "served within" table as `ab.latency_p50 … ab.latency_p100` (s; ab rounds
/// these to whole ms) — or the CSV that `-e FILE` writes, whose 101 rows give `ab.latency_p0 …
/// ab.latency_p100` (s, to the µs). One observation each per run.
public enum ApacheBenchAdapter: BenchmarkAdapter {
    public static let format = "ab"
    static let bench = "ab"

    public static func parse(_ data: Data) -> AdapterOutput {
        var out = AdapterOutput()
        let lines = TextLines.lines(data)
        if lines.first?.hasPrefix("Percentage served") == true { return percentiles(lines) }
        var inTable = false
        var sawRPS = false
        for (n, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let f = TextLines.fields(Substring(line))
            func bad() { out.reject("line \(n + 1): cannot read \"\(line.prefix(120))\"") }
            if line.hasPrefix("Percentage of the requests served") { inTable = true; continue }
            if inTable, let first = f.first, first.hasSuffix("%") {
                guard f.count >= 2, let p = Double(first.dropLast()), let v = Double(f[1]) else { bad(); continue }
                out.add(bench, "latency_p\(Int(p))", v * 1e-3, "s"); continue
            }
            inTable = false
            if line.hasPrefix("Requests per second:") {
                guard f.count >= 4, let v = Double(f[3]) else { bad(); continue }
                out.add(bench, "requests_per_sec", v, "req/s"); sawRPS = true
            } else if line.hasPrefix("Time per request:"), !line.contains("across all") {
                guard f.count >= 5, let v = Double(f[3]), f[4] == "[ms]" else { bad(); continue }
                out.add(bench, "time_per_request", v * 1e-3, "s")
            } else if line.hasPrefix("Transfer rate:") {
                guard f.count >= 4, let v = Double(f[2]), f[3] == "[Kbytes/sec]" else { bad(); continue }
                out.add(bench, "transfer_rate", v * 1024, "B/s")
            } else if line.hasPrefix("Complete requests:") || line.hasPrefix("Failed requests:") {
                guard f.count >= 3, let v = Double(f[2]) else { bad(); continue }
                out.add(bench, line.hasPrefix("Complete") ? "complete" : "failed", v, "requests")
            }
        }
        if !sawRPS { out.reject("no \"Requests per second:\" line: not an ab report (or ab did not finish)") }
        return out
    }

    static func percentiles(_ lines: [Substring]) -> AdapterOutput {
        var out = AdapterOutput()
        for (n, line) in lines.enumerated().dropFirst() where !line.isEmpty {
            let c = TextLines.csv(line)
            guard c.count == 2, let p = Double(c[0]), let ms = Double(c[1]) else {
                out.reject("line \(n + 1): expected PERCENT,MS: \(line.prefix(120))"); continue
            }
            out.add(bench, "latency_p\(Int(p))", ms * 1e-3, "s")
        }
        if out.observations.isEmpty && out.malformed.isEmpty { out.reject("no percentile rows") }
        return out
    }
}
