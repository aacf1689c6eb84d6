import Foundation

/// Reads one benchmark or load tool's native output into observations of custom metrics
/// (`metrics_from` on a workload; docs/benchmarks.md). One file per format in this folder, each
/// a pure function of the bytes the tool wrote: no I/O, never throws. What cannot be read is
/// counted in `malformed` (like a bad `$CLEANROOM_METRICS` line), never fatal.
public protocol BenchmarkAdapter {
    /// The `format` value in slo.json.
    static var format: String { get }
    static func parse(_ data: Data) -> AdapterOutput
    /// The same, knowing which file the bytes came from (formats that name benchmarks by path).
    static func parse(_ data: Data, source: String) -> AdapterOutput
}

extension BenchmarkAdapter {
    public static func parse(_ data: Data, source: String) -> AdapterOutput { parse(data) }
}

/// Observations in the base unit of their dimension (s, B, B/s), or in a unit of the tool's own
/// kept as written (`req/s`, `ops/s`, `allocs`), in the order the tool reported them.
public struct AdapterOutput: Equatable, Sendable {
    public struct Observation: Equatable, Sendable {
        /// `<benchmark>.<measure>`, without the `custom.` prefix.
        public var name: String
        public var value: Double
        public var unit: String
        public init(name: String, value: Double, unit: String) { self.name = name; self.value = value; self.unit = unit }
    }

    public var observations: [Observation] = []
    /// One entry per thing that could not be read ("line 7: …", "benchmarks[3]: no real_time").
    public var malformed: [String] = []

    public init(observations: [Observation] = [], malformed: [String] = []) {
        self.observations = observations; self.malformed = malformed
    }

    /// Adds one observation of `benchmark.measure`; a non-finite value is counted as malformed.
    public mutating func add(_ benchmark: String, _ measure: String, _ value: Double, _ unit: String) {
        let name = AdapterNames.metricName(benchmark, measure)
        guard value.isFinite else { return reject("\(name): value is not a finite number") }
        observations.append(Observation(name: name, value: value, unit: unit))
    }

    /// Adds a duration given in `unit` (`ns`, `us`, `ms`, `s`...), stored in seconds.
    public mutating func addDuration(_ benchmark: String, _ measure: String, _ value: Double, _ unit: String) {
        guard let f = Units.durations[unit] else {
            return reject("\(AdapterNames.metricName(benchmark, measure)): unknown time unit \"\(unit)\"")
        }
        add(benchmark, measure, value * f, "s")
    }

    public mutating func reject(_ why: String) { malformed.append(why) }

    /// The metric names in first-seen order (for tests and messages).
    public var names: [String] {
        var seen = Set<String>(), out: [String] = []
        for o in observations where seen.insert(o.name).inserted { out.append(o.name) }
        return out
    }

    public func values(_ name: String) -> [Double] { observations.filter { $0.name == name }.map(\.value) }
    public func unit(_ name: String) -> String? { observations.first { $0.name == name }?.unit }
}

/// Metric names built from a tool's benchmark names. Objectives are written in a small language
/// whose metric words are letters, digits and `_ . : / -`; anything else a tool puts in a name
/// (spaces, brackets, quotes, `=`) becomes `_`, so every adapted metric can be named in an objective.
public enum AdapterNames {
    public static func metricName(_ benchmark: String, _ measure: String) -> String {
        let b = sanitise(benchmark)
        // A measure is a word: no `/` (package-benchmark's "Throughput (# / s)").
        return measure.isEmpty ? b : b + "." + sanitise(measure.replacingOccurrences(of: "/", with: " "))
    }

    public static func sanitise(_ s: String) -> String {
        var out = ""
        var lastUnderscore = false
        for ch in s.unicodeScalars {
            let ok = (ch.properties.isAlphabetic && ch.isASCII) || ("0"..."9").contains(ch)
                || ch == "_" || ch == "." || ch == ":" || ch == "/" || ch == "-"
            if ok { out.unicodeScalars.append(ch); lastUnderscore = ch == "_" }
            else if !lastUnderscore { out.append("_"); lastUnderscore = true }
        }
        // The objective lexer reads `-` inside a word only before a letter (`baseline-10%` is three tokens).
        var chars = Array(out)
        for i in chars.indices where chars[i] == "-" && !(i + 1 < chars.count && (chars[i + 1].isLetter || chars[i + 1] == "_")) {
            chars[i] = "_"
        }
        out = String(chars)
        while out.hasSuffix("_") || out.hasSuffix(".") { out.removeLast() }
        while out.hasPrefix("_") || out.hasPrefix(".") || out.hasPrefix("-") { out.removeFirst() }
        return out.isEmpty ? "unnamed" : out
    }
}

/// The registry of formats `metrics_from` accepts (docs/benchmarks.md lists the same).
public enum BenchmarkFormats {
    public static let adapters: [any BenchmarkAdapter.Type] = [
        GoogleBenchmarkAdapter.self, PytestBenchmarkAdapter.self, GoBenchAdapter.self, Catch2Adapter.self,
        HyperfineAdapter.self, WrkAdapter.self, RedisBenchmarkAdapter.self, PgbenchAdapter.self, FioAdapter.self,
        ApacheBenchAdapter.self, CargoBenchAdapter.self, CriterionAdapter.self, JMHAdapter.self,
        BenchmarkDotNetAdapter.self, PackageBenchmarkAdapter.self, JSONLinesAdapter.self,
    ]
    /// Every accepted `format`, the scrape included.
    public static var names: [String] { adapters.map { $0.format } + [PrometheusScrape.format] }

    public static func adapter(_ format: String) -> (any BenchmarkAdapter.Type)? {
        adapters.first { $0.format == format }
    }
}

/// Helpers the JSON formats share: numbers that may arrive as Int, Double or numeric strings.
enum AdapterJSON {
    static func object(_ data: Data) -> Any? { try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) }

    /// The list under `key` of a JSON object; nil (and one malformed entry naming `what`) otherwise.
    static func list(_ data: Data, _ key: String, what: String, _ out: inout AdapterOutput) -> [Any]? {
        guard let root = object(data) as? [String: Any], let list = root[key] as? [Any] else {
            out.reject("not \(what) (no \"\(key)\" list)")
            return nil
        }
        return list
    }

    static func number(_ any: Any?) -> Double? {
        switch any {
        case let n as NSNumber: return n.doubleValue
        case let s as String: return Double(s)
        default: return nil
        }
    }
}
