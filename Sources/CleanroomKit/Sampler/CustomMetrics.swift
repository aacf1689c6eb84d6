import Foundation

/// Metrics a workload reports itself: one JSON object per line appended to the file named by
/// `$CLEANROOM_METRICS`, e.g. `{"name": "request_latency", "value": 0.0021, "unit": "s"}`.
///
/// Values are stored in the base unit of their unit's dimension (`ms` → `s`, `KiB` → `B`), so one
/// series may mix `ms` and `s`. A unit cleanroom does not know (`req/s`, `ops`) is kept as written,
/// values untouched; a line without `unit` has unit "". A line that cannot be read, or whose unit
/// contradicts the series' earlier lines, is counted in `malformed` and skipped: never fatal.
///
/// A small hand parser for this flat object (JSONSerialization per line is several times slower
/// on 200k lines); lines with nested values fall back to JSONSerialization.
public struct CustomMetrics: Equatable, Sendable {
    public var series: [String: CustomSeries] = [:]
    /// nil when every line was good.
    public var malformed: CustomMalformed?

    /// How many malformed lines are quoted in `malformed.examples`.
    public static let exampleLimit = 5
    /// The most of the file that is read (a runaway workload must not exhaust cleanroom's memory).
    public static let defaultByteLimit = 256 << 20

    public init(series: [String: CustomSeries] = [:], malformed: CustomMalformed? = nil) {
        self.series = series; self.malformed = malformed
    }

    /// Parses the file at `path`; a missing or empty file gives no series and no malformed lines.
    public static func parse(contentsOf path: String, byteLimit: Int = defaultByteLimit) -> CustomMetrics {
        guard let h = FileHandle(forReadingAtPath: path) else { return CustomMetrics() }
        defer { try? h.close() }
        let data = (try? h.read(upToCount: byteLimit + 1)) ?? Data()
        var result = parse(data.prefix(byteLimit))
        if data.count > byteLimit {
            var m = result.malformed ?? CustomMalformed(count: 0, examples: [])
            m.count += 1
            if m.examples.count < exampleLimit {
                m.examples.append("file larger than \(Units.format(Double(byteLimit), .bytes)): the rest was not read")
            }
            result.malformed = m
        }
        return result
    }

    public static func parse(_ text: String) -> CustomMetrics { parse(Data(text.utf8)) }

    public static func parse(_ data: Data) -> CustomMetrics {
        var builder = Builder()
        data.withUnsafeBytes { raw in
            let b = raw.bindMemory(to: UInt8.self)
            var lineNo = 0
            var start = 0
            while start < b.count {
                var end = start
                while end < b.count, b[end] != 10 { end += 1 }
                lineNo += 1
                let line = UnsafeBufferPointer(rebasing: b[start..<end])
                builder.add(line, lineNo: lineNo)
                start = end + 1
            }
        }
        return builder.result()
    }

    /// Accumulates lines into series; caches unit conversions and the last series touched.
    struct Builder {
        var values: [String: [Double]] = [:]
        var units: [String: String] = [:]
        var unitCache: [String: (factor: Double, base: String)] = [:]
        var bad = 0
        var examples: [String] = []

        mutating func add(_ line: UnsafeBufferPointer<UInt8>, lineNo: Int) {
            var i = 0
            while i < line.count, KernelText.isBlank(line[i]) || line[i] == 13 { i += 1 }
            if i == line.count { return }   // blank lines are not observations and not errors
            let parsed: Result<Line, LineError>
            switch FlatJSON.parse(line) {
            case .success(let l): parsed = .success(l)
            case .failure(.nested): parsed = FlatJSON.parseWithFoundation(line)
            case .failure(let e): parsed = .failure(e)
            }
            switch parsed {
            case .failure(let e):
                reject(line, lineNo, e.message)
            case .success(let l):
                guard let name = l.name, !name.isEmpty else { return reject(line, lineNo, "no \"name\"") }
                guard let value = l.value else { return reject(line, lineNo, "no numeric \"value\"") }
                guard value.isFinite else { return reject(line, lineNo, "\"value\" is not a finite number") }
                let unit = l.unit ?? ""
                guard let conv = convert(unit) else { return reject(line, lineNo, "unit \"\(unit)\" is not a unit") }
                if let known = units[name], known != conv.base {
                    return reject(line, lineNo, "unit \"\(unit)\" (\(conv.base.isEmpty ? "none" : conv.base)) does not match this metric's earlier \"\(known)\"")
                }
                units[name] = conv.base
                values[name, default: []].append(value * conv.factor)
            }
        }

        /// (factor to the base unit, base unit) of `unit`; unknown units stay as written.
        mutating func convert(_ unit: String) -> (factor: Double, base: String)? {
            if let c = unitCache[unit] { return c }
            let c: (factor: Double, base: String)
            if unit.isEmpty {
                c = (1, "")
            } else if let q = try? Units.parse("1" + unit), let d = q.dimension {
                c = (q.value, d.baseUnit)
            } else if let q = try? Units.parse("1 " + unit), let d = q.dimension {
                c = (q.value, d.baseUnit)
            } else {
                c = (1, unit)   // a unit of the workload's own ("req/s", "ops"): kept as is
            }
            unitCache[unit] = c
            return c
        }

        mutating func reject(_ line: UnsafeBufferPointer<UInt8>, _ lineNo: Int, _ why: String) {
            bad += 1
            guard examples.count < CustomMetrics.exampleLimit else { return }
            var text = String(decoding: line, as: UTF8.self)
            if text.count > 120 { text = String(text.prefix(120)) + "…" }
            examples.append("line \(lineNo): \(why): \(text)")
        }

        func result() -> CustomMetrics {
            var out = CustomMetrics()
            for (name, v) in values { out.series[name] = CustomSeries(unit: units[name] ?? "", values: v) }
            if bad > 0 { out.malformed = CustomMalformed(count: bad, examples: examples) }
            return out
        }
    }

    struct Line {
        var name: String?
        var value: Double?
        var unit: String?
    }

    struct LineError: Error {
        var message: String
        static let nested = LineError(message: "nested")
    }
}

extension CustomMetrics.LineError: Equatable {
    static func == (a: Self, b: Self) -> Bool { a.message == b.message }
}

/// Parser of one flat JSON object: string, number, true/false/null values; anything nested is
/// reported as `.nested` so the caller can hand it to JSONSerialization.
enum FlatJSON {
    typealias Line = CustomMetrics.Line
    typealias LineError = CustomMetrics.LineError

    static func parse(_ b: UnsafeBufferPointer<UInt8>) -> Result<Line, LineError> {
        var i = 0
        var line = Line()
        func ws() { while i < b.count, b[i] == 32 || b[i] == 9 || b[i] == 13 { i += 1 } }
        ws()
        guard i < b.count, b[i] == 123 else { return .failure(LineError(message: "not a JSON object")) }   // {
        i += 1
        ws()
        if i < b.count, b[i] == 125 { i += 1; return trailing() }
        while true {
            ws()
            guard let key = string(b, &i) else { return .failure(LineError(message: "invalid JSON (key)")) }
            ws()
            guard i < b.count, b[i] == 58 else { return .failure(LineError(message: "invalid JSON (missing ':')")) }
            i += 1
            ws()
            guard i < b.count else { return .failure(LineError(message: "invalid JSON (truncated)")) }
            let c = b[i]
            if c == 34 {   // "
                guard let s = string(b, &i) else { return .failure(LineError(message: "invalid JSON (string)")) }
                if key == "name" { line.name = s } else if key == "unit" { line.unit = s }
                else if key == "value" { return .failure(LineError(message: "\"value\" is a string, not a number")) }
            } else if c == 45 || KernelText.isDigit(c) {
                guard let v = number(b, &i) else { return .failure(LineError(message: "invalid JSON (number)")) }
                if key == "value" { line.value = v }
                else if key == "name" || key == "unit" { return .failure(LineError(message: "\"\(key)\" is not a string")) }
            } else if c == 123 || c == 91 {
                return .failure(.nested)
            } else if literal(b, &i, "true") || literal(b, &i, "false") || literal(b, &i, "null") {
                if key == "value" || key == "name" { return .failure(LineError(message: "\"\(key)\" has the wrong type")) }
            } else {
                return .failure(LineError(message: "invalid JSON (value)"))
            }
            ws()
            guard i < b.count else { return .failure(LineError(message: "invalid JSON (truncated)")) }
            if b[i] == 44 { i += 1; continue }   // ,
            if b[i] == 125 { i += 1; break }     // }
            return .failure(LineError(message: "invalid JSON (expected ',' or '}')"))
        }
        func trailing() -> Result<Line, LineError> {
            ws()
            return i == b.count ? .success(line) : .failure(LineError(message: "text after the JSON object"))
        }
        return trailing()
    }

    static func literal(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ word: StaticString) -> Bool {
        guard KernelText.hasPrefix(b, i, word) else { return false }
        i += word.utf8CodeUnitCount
        return true
    }

    /// A JSON string at b[i] (the opening quote), escapes decoded.
    static func string(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> String? {
        guard i < b.count, b[i] == 34 else { return nil }
        i += 1
        let start = i
        var escaped = false
        while i < b.count, b[i] != 34 {
            if b[i] == 92 { escaped = true; i += 1 }
            if i < b.count, b[i] < 32 { return nil }
            i += 1
        }
        guard i < b.count else { return nil }
        let raw = UnsafeBufferPointer(rebasing: b[start..<i])
        i += 1
        if !escaped { return String(decoding: raw, as: UTF8.self) }
        // Rare: let Foundation decode the escapes.
        let quoted = Data([34]) + Data(raw) + Data([34])
        return (try? JSONSerialization.jsonObject(with: quoted, options: [.fragmentsAllowed])) as? String
    }

    /// A JSON number at b[i].
    static func number(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> Double? {
        let start = i
        if i < b.count, b[i] == 45 { i += 1 }
        while i < b.count, KernelText.isDigit(b[i]) || b[i] == 46 || b[i] == 101 || b[i] == 69 || b[i] == 43 || b[i] == 45 {
            i += 1
        }
        guard i > start else { return nil }
        // strtod on a small stack copy: no String allocation.
        var buf = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        let n = i - start
        guard n < 63 else { return Double(String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)) }
        return withUnsafeMutableBytes(of: &buf) { raw -> Double? in
            let p = raw.bindMemory(to: CChar.self)
            for k in 0..<n { p[k] = CChar(bitPattern: b[start + k]) }
            p[n] = 0
            var endp: UnsafeMutablePointer<CChar>?
            let v = strtod(p.baseAddress!, &endp)
            return endp == p.baseAddress! + n ? v : nil
        }
    }

    static func parseWithFoundation(_ b: UnsafeBufferPointer<UInt8>) -> Result<Line, LineError> {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(b)) as? [String: Any] else {
            return .failure(LineError(message: "invalid JSON"))
        }
        var l = Line()
        l.name = obj["name"] as? String
        l.unit = obj["unit"] as? String
        if let v = obj["value"], !(v is Bool), let n = v as? NSNumber { l.value = n.doubleValue }
        return .success(l)
    }
}
