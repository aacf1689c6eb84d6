import Foundation

/// `go test -bench . -benchmem` text. Each result line
/// `BenchmarkSort-2   2000   94356 ns/op   84.79 MB/s   28 B/op   1 allocs/op` is one observation
/// per figure (with `-count N`, N lines and so N observations): `NAME.time` (ns/op → s),
/// `NAME.throughput` (MB/s → B/s), `NAME.bytes` (B/op → B), `NAME.allocs` (allocs/op), and any
/// `b.ReportMetric` unit `X/op` as `NAME.X`. The `-GOMAXPROCS` suffix is dropped from NAME so that
/// results compare across machines; sub-benchmarks keep their `/` path.
public enum GoBenchAdapter: BenchmarkAdapter {
    public static let format = "go-bench"

    public static func parse(_ data: Data) -> AdapterOutput {
        var out = AdapterOutput()
        var any = false
        for (n, line) in TextLines.lines(data).enumerated() where line.hasPrefix("Benchmark") {
            let f = TextLines.fields(line)
            // A name alone on a line is a benchmark that logged output before its result line.
            guard f.count >= 4, Int(f[1]) != nil, f.count % 2 == 0 else {
                if f.count > 1 { out.reject("line \(n + 1): not a benchmark result: \(line.prefix(120))") }
                continue
            }
            any = true
            let name = stripProcs(String(f[0]))
            var k = 2
            while k + 1 < f.count {
                guard let v = Double(f[k]) else { out.reject("line \(n + 1): \"\(f[k])\" is not a number"); break }
                let unit = String(f[k + 1])
                switch unit {
                case "ns/op": out.add(name, "time", v * 1e-9, "s")
                case "MB/s": out.add(name, "throughput", v * 1e6, "B/s")
                case "B/op": out.add(name, "bytes", v, "B")
                case "allocs/op": out.add(name, "allocs", v, "allocs")
                default:
                    let measure = unit.hasSuffix("/op") ? String(unit.dropLast(3)) : unit
                    out.add(name, measure, v, unit)
                }
                k += 2
            }
        }
        if !any && out.malformed.isEmpty { out.reject("no benchmark result lines (BenchmarkNAME N VALUE ns/op ...)") }
        return out
    }

    static func stripProcs(_ name: String) -> String {
        guard let dash = name.lastIndex(of: "-"), Int(name[name.index(after: dash)...]) != nil else { return name }
        return String(name[..<dash])
    }
}
