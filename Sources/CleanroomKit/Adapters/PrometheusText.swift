import Foundation

/// A parser of the Prometheus text exposition format (0.0.4) and OpenMetrics 1.0 text: `# HELP`,
/// `# TYPE`, `# UNIT`, `# EOF`, samples `name{label="value",…} value [timestamp]`, OpenMetrics
/// exemplars (` # {…} value [ts]`, ignored), label-value escapes (`\\` `\"` `\n`), `+Inf` `-Inf`
/// `NaN`. Samples are grouped into families by their `# TYPE` (a histogram `x` owns `x_bucket`,
/// `x_sum`, `x_count`, `x_created`; an OpenMetrics counter `x` owns `x_total`); a sample with no
/// TYPE is its own `untyped` family. A line that cannot be read is counted, never fatal.
public struct PrometheusText: Equatable, Sendable {
    public enum Kind: String, Sendable { case counter, gauge, histogram, summary, untyped, info, stateset, gaugehistogram, unknown }

    public struct Sample: Equatable, Sendable {
        public var name: String
        /// In the order written (label order is not significant; `key` sorts them).
        public var labels: [(String, String)]
        public var value: Double
        public init(name: String, labels: [(String, String)], value: Double) { self.name = name; self.labels = labels; self.value = value }
        public static func == (a: Sample, b: Sample) -> Bool {
            a.name == b.name && a.value.bitPattern == b.value.bitPattern && a.labels.elementsEqual(b.labels, by: { $0 == $1 })
        }
        public func label(_ k: String) -> String? { labels.first { $0.0 == k }?.1 }
        /// The labels other than `except`, sorted, as `{k=v,…}` ("" when none).
        public func labelKey(except: Set<String> = []) -> String {
            let l = labels.filter { !except.contains($0.0) }.sorted { $0.0 < $1.0 }
            return l.isEmpty ? "" : "{" + l.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "}"
        }
    }

    public struct Family: Equatable, Sendable {
        public var name: String
        public var kind: Kind
        public var unit: String?
        public var samples: [Sample]
    }

    public var families: [Family] = []
    /// "line N: why" for each line that could not be read.
    public var malformed: [String] = []

    public func family(_ name: String) -> Family? { families.first { $0.name == name } }

    public static func parse(_ text: String) -> PrometheusText {
        var out = PrometheusText()
        var index: [String: Int] = [:]         // family name → position in families
        var declared: [String: Kind] = [:]
        func familyIndex(_ name: String, _ kind: Kind) -> Int {
            if let i = index[name] { return i }
            out.families.append(Family(name: name, kind: kind, unit: nil, samples: []))
            index[name] = out.families.count - 1
            return out.families.count - 1
        }
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
                if parts.count >= 2, parts[1] == "EOF" { break }
                guard parts.count >= 3, ["TYPE", "HELP", "UNIT"].contains(parts[1]) else { continue }   // a comment
                let name = String(parts[2])
                if parts[1] == "TYPE" {
                    guard parts.count == 4, let k = Kind(rawValue: parts[3].trimmingCharacters(in: .whitespaces)) else {
                        out.malformed.append("line \(n + 1): unknown TYPE \"\(line.prefix(120))\""); continue
                    }
                    declared[name] = k
                    out.families[familyIndex(name, k)].kind = k
                } else if parts[1] == "UNIT", parts.count == 4 {
                    out.families[familyIndex(name, declared[name] ?? .untyped)].unit = String(parts[3])
                }
                continue
            }
            guard let s = sample(line) else {
                out.malformed.append("line \(n + 1): not a sample: \"\(line.prefix(120))\""); continue
            }
            let fam = owner(s.name, declared)
            out.families[familyIndex(fam.name, fam.kind)].samples.append(s)
        }
        return out
    }

    /// The family a sample belongs to: a declared family whose suffixed samples it is, else its own name.
    static func owner(_ name: String, _ declared: [String: Kind]) -> (name: String, kind: Kind) {
        if let k = declared[name] { return (name, k) }
        for suffix in ["_bucket", "_sum", "_count", "_created", "_total", "_gsum", "_gcount", "_info"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if let k = declared[base] { return (base, k) }
        }
        return (name, .untyped)
    }

    /// `name{a="x",b="y"} 1.5 [timestamp] [# exemplar]`.
    static func sample(_ line: Substring) -> Sample? {
        let c = Array(line.utf8)
        var i = 0
        func isNameChar(_ b: UInt8, first: Bool) -> Bool {
            (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || b == 95 || b == 58 || (!first && b >= 48 && b <= 57)
        }
        while i < c.count, c[i] == 32 || c[i] == 9 { i += 1 }
        let start = i
        while i < c.count, isNameChar(c[i], first: i == start) { i += 1 }
        guard i > start else { return nil }
        let name = String(decoding: c[start..<i], as: UTF8.self)
        var labels: [(String, String)] = []
        if i < c.count, c[i] == 123 {   // {
            i += 1
            while true {
                while i < c.count, c[i] == 32 || c[i] == 44 { i += 1 }   // spaces, the comma between labels
                guard i < c.count else { return nil }
                if c[i] == 125 { i += 1; break }   // }
                let ks = i
                while i < c.count, isNameChar(c[i], first: i == ks) { i += 1 }
                guard i > ks else { return nil }
                let key = String(decoding: c[ks..<i], as: UTF8.self)
                while i < c.count, c[i] == 32 { i += 1 }
                guard i < c.count, c[i] == 61 else { return nil }   // =
                i += 1
                while i < c.count, c[i] == 32 { i += 1 }
                guard i < c.count, c[i] == 34 else { return nil }   // "
                i += 1
                var value: [UInt8] = []
                while i < c.count, c[i] != 34 {
                    if c[i] == 92 {   // backslash
                        i += 1
                        guard i < c.count else { return nil }
                        switch c[i] {
                        case 110: value.append(10)      // \n
                        case 92, 34: value.append(c[i])
                        default: value.append(92); value.append(c[i])   // the 0.0.4 format keeps unknown escapes
                        }
                    } else { value.append(c[i]) }
                    i += 1
                }
                guard i < c.count else { return nil }
                i += 1
                labels.append((key, String(decoding: value, as: UTF8.self)))
            }
        }
        // value, then an optional timestamp and an optional OpenMetrics exemplar.
        let rest = String(decoding: c[i...], as: UTF8.self)
        let body = rest.components(separatedBy: " # ").first ?? rest
        let fields = body.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard (1...2).contains(fields.count), let v = number(fields[0]) else { return nil }
        if fields.count == 2, number(fields[1]) == nil { return nil }
        return Sample(name: name, labels: labels, value: v)
    }

    static func number(_ s: Substring) -> Double? {
        switch s {
        case "+Inf", "Inf", "+inf", "inf": return .infinity
        case "-Inf", "-inf": return -.infinity
        case "NaN", "nan": return .nan
        default: return Double(s)
        }
    }
}
