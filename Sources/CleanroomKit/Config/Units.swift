import Foundation

/// Quantities in slo.json and on the command line: `250ms`, `1.5GiB`, `20MB/s`, `80`.
/// Sizes are decimal (`KB MB GB TB`, powers of 1000) or binary (`KiB MiB GiB TiB`, powers of 1024);
/// a bare number takes the base unit of whatever dimension the caller expects.
public struct Quantity: Equatable, Sendable {
    /// In the base unit of `dimension` (s, B, B/s, %, count).
    public var value: Double
    /// nil for a bare number: it takes the dimension of the metric it is compared with.
    public var dimension: Dimension?

    public init(value: Double, dimension: Dimension?) {
        self.value = value; self.dimension = dimension
    }
}

/// Why a quantity could not be read, with a hint a user can act on.
public struct UnitError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public var hint: String?
    /// Offset (in Characters) of the offending part within the text, for carets.
    public var offset: Int

    public init(message: String, hint: String? = nil, offset: Int = 0) {
        self.message = message; self.hint = hint; self.offset = offset
    }

    public var description: String { hint.map { "\(message) (\($0))" } ?? message }
}

public enum Units {
    public static let durations: [String: Double] = [
        "ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600,
    ]
    public static let sizes: [String: Double] = [
        "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
        "KiB": 1024, "MiB": 1_048_576, "GiB": 1_073_741_824, "TiB": 1_099_511_627_776,
    ]

    /// Common ways of writing a unit that are not ours, mapped to ours (for hints only).
    static let aliases: [String: String] = [
        "nanosecond": "ns", "nanoseconds": "ns", "nsec": "ns",
        "microsecond": "us", "microseconds": "us", "usec": "us",
        "millisecond": "ms", "milliseconds": "ms", "msec": "ms", "msecs": "ms",
        "sec": "s", "secs": "s", "second": "s", "seconds": "s",
        "min": "m", "mins": "m", "minute": "m", "minutes": "m",
        "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
        "b": "B", "byte": "B", "bytes": "B",
        "k": "KB", "kb": "KB", "kib": "KiB", "ki": "KiB", "K": "KB",
        "mb": "MB", "mib": "MiB", "mi": "MiB", "M": "MB",
        "gb": "GB", "gib": "GiB", "gi": "GiB", "G": "GB",
        "tb": "TB", "tib": "TiB", "ti": "TiB", "T": "TB",
        "percent": "%", "pct": "%",
    ]

    /// Parses a quantity; the unit decides the dimension.
    public static func parse(_ raw: String) throws -> Quantity {
        let text = raw.trimmingBlanks
        let chars = Array(text)
        var i = 0
        if i < chars.count, chars[i] == "+" || chars[i] == "-" { i += 1 }
        var digits = 0
        while i < chars.count, chars[i].isASCII, chars[i].isNumber { i += 1; digits += 1 }
        if i < chars.count, chars[i] == "." {
            i += 1
            while i < chars.count, chars[i].isASCII, chars[i].isNumber { i += 1; digits += 1 }
        }
        // An exponent only when digits follow: `1e3` is a number, `1e` is not a unit we know.
        if digits > 0, i < chars.count, chars[i] == "e" || chars[i] == "E" {
            var j = i + 1
            if j < chars.count, chars[j] == "+" || chars[j] == "-" { j += 1 }
            let start = j
            while j < chars.count, chars[j].isASCII, chars[j].isNumber { j += 1 }
            if j > start { i = j }
        }
        guard digits > 0, let number = Double(String(chars[0..<i])), number.isFinite else {
            throw UnitError(message: "\"\(raw)\" is not a number with a unit", hint: "e.g. 250ms, 512MiB, 1.5, 20MB/s")
        }
        let unitStart = i
        while i < chars.count, chars[i] == " " { i += 1 }
        let unit = String(chars[i...])
        if unit.isEmpty { return Quantity(value: number, dimension: nil) }
        if let f = durations[unit] { return Quantity(value: number * f, dimension: .duration) }
        if let f = sizes[unit] { return Quantity(value: number * f, dimension: .bytes) }
        if unit.hasSuffix("/s"), let f = sizes[String(unit.dropLast(2))] {
            return Quantity(value: number * f, dimension: .rate)
        }
        if unit == "%" { return Quantity(value: number, dimension: .percent) }
        if unit.first == ",", unit.dropFirst().first?.isNumber == true {
            let fixed = String(chars[0..<unitStart]) + "." + unit.dropFirst()
            throw UnitError(message: "\"\(raw)\" uses a decimal comma", hint: "write \(fixed)", offset: unitStart)
        }
        let shown = String(chars[0..<unitStart])
        // Offsets are into `raw` as the caller wrote it, leading blanks included.
        let leading = raw.count - raw.drop(while: { $0 == " " || $0 == "\t" }).count
        throw UnitError(message: "unknown unit \"\(unit)\"", hint: suggestion(for: unit, number: shown), offset: leading + i)
    }

    /// Parses a quantity that must be of `dimension`; a bare number is taken in its base unit.
    public static func parse(_ raw: String, as dimension: Dimension) throws -> Double {
        let q = try parse(raw)
        if let d = q.dimension, d != dimension, dimension != .unknown {
            // Point at the unit: the number is fine, the dimension is not.
            let unitOffset = Array(raw).firstIndex { $0.isLetter || $0 == "%" } ?? 0
            throw UnitError(message: "\"\(raw)\" is a \(d.noun), expected a \(dimension.noun)",
                            hint: "e.g. \(dimension.example)", offset: unitOffset)
        }
        return q.value
    }

    static func suggestion(for unit: String, number: String) -> String {
        let rate = unit.hasSuffix("/s")
        let core = rate ? String(unit.dropLast(2)) : unit
        let fixed = aliases[core] ?? aliases[core.lowercased()]
            ?? closest(core, among: Array(durations.keys) + Array(sizes.keys))
        if let fixed { return "try \(number)\(fixed)\(rate ? "/s" : "")" }
        return "units: ns us ms s m h · B KB MB GB TB KiB MiB GiB TiB · MB/s"
    }

    /// The known unit within edit distance 1 of `word` (case-insensitive), if exactly one.
    static func closest(_ word: String, among candidates: [String]) -> String? {
        let hits = candidates.filter { editDistance($0.lowercased(), word.lowercased()) <= 1 }
        return hits.count == 1 ? hits[0] : hits.first { $0.lowercased() == word.lowercased() }
    }

    /// Levenshtein distance, for "did you mean" hints.
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                cur[j] = Swift.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[b.count]
    }

    /// Renders a base-unit value for humans: 1.5 → "1.50s", 1_048_576 → "1.00MiB".
    public static func format(_ value: Double, _ dimension: Dimension) -> String {
        func num(_ v: Double) -> String {
            let a = abs(v)
            if a >= 100 || a == a.rounded() && a < 1e6 { return CFormat.text("%.0f", v) }
            if a >= 10 { return CFormat.text("%.1f", v) }
            return CFormat.text("%.2f", v)
        }
        switch dimension {
        case .duration:
            let a = abs(value)
            if a == 0 { return "0s" }
            if a < 1e-6 { return num(value * 1e9) + "ns" }
            if a < 1e-3 { return num(value * 1e6) + "us" }
            if a < 1 { return num(value * 1e3) + "ms" }
            if a < 120 { return num(value) + "s" }
            if a < 7200 { return num(value / 60) + "m" }
            return num(value / 3600) + "h"
        case .bytes, .rate:
            let suffix = dimension == .rate ? "/s" : ""
            let units = ["B", "KiB", "MiB", "GiB", "TiB"]
            var v = value, k = 0
            while abs(v) >= 1024, k < units.count - 1 { v /= 1024; k += 1 }
            return num(v) + units[k] + suffix
        case .percent: return num(value) + "%"
        case .count, .unknown: return num(value)
        }
    }
}

extension Dimension {
    var noun: String {
        switch self {
        case .duration: return "duration"
        case .bytes: return "size"
        case .rate: return "rate"
        case .percent: return "percent"
        case .count: return "count"
        case .unknown: return "quantity"
        }
    }

    var example: String {
        switch self {
        case .duration: return "250ms, 1.5s, 2m"
        case .bytes: return "512MiB, 2GB"
        case .rate: return "20MB/s"
        case .percent: return "80 (percent of one core)"
        case .count: return "64"
        case .unknown: return "42"
        }
    }
}
