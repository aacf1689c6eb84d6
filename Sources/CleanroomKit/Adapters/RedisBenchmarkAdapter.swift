import Foundation

/// `redis-benchmark --csv`. A header `"test","rps","avg_latency_ms",...` (Redis 6.2+) then one line
/// per test: `TEST.rps` (req/s) and each `X_latency_ms` column as `TEST.X_latency` (s). Redis
/// before 6.2 wrote `"TEST","RPS"` lines without a header: read as `TEST.rps`.
public enum RedisBenchmarkAdapter: BenchmarkAdapter {
    public static let format = "redis-benchmark"

    public static func parse(_ data: Data) -> AdapterOutput {
        var out = AdapterOutput()
        var header: [String] = ["test", "rps"]
        var rows = 0
        for (n, line) in TextLines.lines(data).enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let cols = TextLines.csv(line)
            if cols.first == "test" { header = cols; continue }
            guard cols.count == header.count, let test = cols.first, !test.isEmpty else {
                out.reject("line \(n + 1): \(cols.count) columns, the header has \(header.count): \(line.prefix(120))"); continue
            }
            rows += 1
            for (k, col) in header.enumerated().dropFirst() {
                guard let v = Double(cols[k]) else { out.reject("line \(n + 1): \(col) \"\(cols[k])\" is not a number"); continue }
                if col == "rps" { out.add(test, "rps", v, "req/s") }
                else if col.hasSuffix("_ms") { out.add(test, String(col.dropLast(3)), v * 1e-3, "s") }
                else { out.add(test, col, v, "") }
            }
        }
        if rows == 0 && out.malformed.isEmpty { out.reject("no result lines: run redis-benchmark with --csv") }
        return out
    }
}
