import Foundation

/// Rust's libtest bench output (`cargo bench` with `#[bench]`, nightly):
/// `test sort::bench_sort ... bench:      1,234 ns/iter (+/- 56)` and optionally `= 123 MB/s`.
/// One observation per line: `NAME.time` (ns/iter → s), `NAME.deviation` (s), `NAME.throughput` (B/s).
/// Written from libtest's documented format: no Rust toolchain can be installed here (crates.io is
/// unreachable), so the fixture is hand-made in that format, not captured.
public enum CargoBenchAdapter: BenchmarkAdapter {
    public static let format = "cargo-bench"

    public static func parse(_ data: Data) -> AdapterOutput {
        var out = AdapterOutput()
        var any = false
        for (n, raw) in TextLines.lines(data).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard line.hasPrefix("test "), let r = line.range(of: " ... bench:") else { continue }
            any = true
            let name = String(line[line.index(line.startIndex, offsetBy: 5)..<r.lowerBound]).trimmingCharacters(in: .whitespaces)
            let rest = line[r.upperBound...].replacingOccurrences(of: ",", with: "")
            let f = rest.split(separator: " ")
            guard f.count >= 2, let v = Double(f[0]), let unit = f[1].split(separator: "/").first,
                  let factor = Units.durations[String(unit)] else {
                out.reject("line \(n + 1): cannot read \"\(line.prefix(120))\""); continue
            }
            out.add(name, "time", v * factor, "s")
            if let pm = f.firstIndex(of: "(+/-"), pm + 1 < f.count, let d = Double(f[pm + 1].filter { $0 != ")" }) {
                out.add(name, "deviation", d * factor, "s")
            }
            if let eq = f.firstIndex(of: "="), eq + 2 < f.count, let mb = Double(f[eq + 1]), f[eq + 2] == "MB/s" {
                out.add(name, "throughput", mb * 1e6, "B/s")
            }
        }
        if !any { out.reject("no \"test NAME ... bench:\" lines") }
        return out
    }
}
