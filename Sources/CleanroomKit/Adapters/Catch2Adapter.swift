import Foundation

/// Catch2's XML reporter (`--reporter xml`) with `BENCHMARK` blocks (Catch2 v2.9+ and v3):
/// each `<BenchmarkResults name=… samples=…>` gives `NAME.mean` and `NAME.stddev` (s; Catch2 writes
/// nanoseconds), one observation each — Catch2 reports the statistics of its samples, not the samples.
/// NAME is the benchmark's name; benchmarks of the same name in different test cases are told
/// apart by the test case (`TESTCASE/NAME`) only when the name repeats.
public enum Catch2Adapter: BenchmarkAdapter {
    public static let format = "catch2"

    public static func parse(_ data: Data) -> AdapterOutput {
        var out = AdapterOutput()
        let text = String(decoding: data, as: UTF8.self)
        guard text.contains("<Catch") else { out.reject("not a Catch2 XML report (no <Catch> element)"); return out }
        var results: [(testCase: String, name: String, mean: Double?, sd: Double?)] = []
        var testCase = ""
        var cursor = text.startIndex
        while let open = text.range(of: "<", range: cursor..<text.endIndex) {
            guard let close = text.range(of: ">", range: open.upperBound..<text.endIndex) else {
                out.reject("truncated XML after offset \(text.distance(from: text.startIndex, to: open.lowerBound))"); break
            }
            let tag = text[open.upperBound..<close.lowerBound]
            cursor = close.upperBound
            let element = tag.prefix(while: { !$0.isWhitespace && $0 != "/" })
            let attrs = attributes(tag)
            switch element {
            case "TestCase": testCase = attrs["name"] ?? ""
            case "BenchmarkResults": results.append((testCase, attrs["name"] ?? "unnamed", nil, nil))
            case "mean":
                if !results.isEmpty { results[results.count - 1].mean = attrs["value"].flatMap(Double.init) }
            case "standardDeviation":
                if !results.isEmpty { results[results.count - 1].sd = attrs["value"].flatMap(Double.init) }
            default: break
            }
        }
        var counts: [String: Int] = [:]
        for r in results { counts[r.name, default: 0] += 1 }
        for r in results {
            let name = counts[r.name]! > 1 ? r.testCase + "/" + r.name : r.name
            guard let mean = r.mean else { out.reject("benchmark \"\(r.name)\": no <mean value=…>"); continue }
            out.add(name, "mean", mean * 1e-9, "s")
            if let sd = r.sd { out.add(name, "stddev", sd * 1e-9, "s") }
        }
        if results.isEmpty { out.reject("no <BenchmarkResults>: were the benchmarks run (Catch2 skips them with --skip-benchmarks)?") }
        return out
    }

    /// `name="fib 15" samples="20"` → ["name": "fib 15", "samples": "20"], entities decoded.
    static func attributes(_ tag: Substring) -> [String: String] {
        var out: [String: String] = [:]
        var rest = tag.drop(while: { !$0.isWhitespace })
        while let eq = rest.firstIndex(of: "=") {
            let key = rest[..<eq].trimmingCharacters(in: .whitespaces)
            var after = rest[rest.index(after: eq)...]
            guard let q = after.first, q == "\"" || q == "'" else { break }
            after = after.dropFirst()
            guard let end = after.firstIndex(of: q) else { break }
            out[key] = unescape(String(after[..<end]))
            rest = after[after.index(after: end)...]
        }
        return out
    }

    static func unescape(_ s: String) -> String {
        guard s.contains("&") else { return s }
        return s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
