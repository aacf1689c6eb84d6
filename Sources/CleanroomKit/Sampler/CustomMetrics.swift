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
        builder.current.reserveCapacity(1024)
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
        // The previous good line's name and unit, raw, and what they resolved to.
        var lastNameBytes: [UInt8] = [], lastName = ""
        var lastUnitBytes: [UInt8] = [], lastFactor = 1.0
        var hasLast = false
        var lastTagged = false
        /// Values of `lastName` not yet moved into `values`.
        var current: [Double] = []

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
                if let k = l.unknownKey {
                    return reject(line, lineNo, "unknown key \"\(k)\" (a line holds name, value, unit and tags: {\"op\": \"set\"})")
                }
                guard let nameText = l.name else { return reject(line, lineNo, "no \"name\"") }
                guard let value = l.value else { return reject(line, lineNo, "no numeric \"value\"") }
                guard value.isFinite else { return reject(line, lineNo, "\"value\" is not a finite number") }
                // Fast path: same name and unit as the previous good line (byte comparison only).
                if hasLast, !lastTagged, l.tags == nil, nameText.equals(lastNameBytes, in: line),
                   l.unit.map({ $0.equals(lastUnitBytes, in: line) }) ?? lastUnitBytes.isEmpty {
                    current.append(value * lastFactor)
                    return
                }
                let base = nameText.string(line)
                guard !base.isEmpty else { return reject(line, lineNo, "empty \"name\"") }
                if base.contains(where: { "{},=".contains($0) }) {
                    return reject(line, lineNo, "\"name\" may not contain { } , = (tags go in \"tags\")")
                }
                let name: String
                switch CustomTags.seriesName(base, tags: l.tags ?? []) {
                case .success(let n): name = n
                case .failure(let e): return reject(line, lineNo, e.message)
                }
                let unit = l.unit?.string(line) ?? ""
                guard let conv = convert(unit) else { return reject(line, lineNo, "unit \"\(unit)\" is not a unit") }
                if let known = units[name], known != conv.base {
                    return reject(line, lineNo, "unit \"\(unit)\" (\(conv.base.isEmpty ? "none" : conv.base)) does not match this metric's earlier \"\(known)\"")
                }
                flush()
                units[name] = conv.base
                // A tagged series is never continued by the fast path (its name is not the bytes).
                lastName = name; lastNameBytes = Array(base.utf8); lastTagged = l.tags != nil
                lastUnitBytes = Array(unit.utf8); lastFactor = conv.factor
                hasLast = true
                current.append(value * conv.factor)
            }
        }

        /// Moves the run of values of the previous name into its series.
        mutating func flush() {
            guard hasLast, !current.isEmpty else { return }
            values[lastName, default: []].append(contentsOf: current)
            current.removeAll(keepingCapacity: true)
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

        mutating func result() -> CustomMetrics {
            flush()
            var out = CustomMetrics()
            for (name, v) in values { out.series[name] = CustomSeries(unit: units[name] ?? "", values: v) }
            if bad > 0 { out.malformed = CustomMalformed(count: bad, examples: examples) }
            return out
        }
    }

    /// One parsed line. Strings stay as byte ranges of the line until needed: most lines repeat
    /// the previous line's name and unit, which are then not decoded again.
    struct Line {
        var name: Text?
        var value: Double?
        var unit: Text?
        /// `"tags": {"op": "set"}`, decoded (nil: no tags key).
        var tags: [(String, String)]?
        /// The first key that is none of name, value, unit, tags.
        var unknownKey: String?
    }

    enum Text {
        case raw(Range<Int>)      // no escapes: the bytes are the string
        case decoded(String)

        func string(_ b: UnsafeBufferPointer<UInt8>) -> String {
            switch self {
            case .raw(let r): return String(decoding: UnsafeBufferPointer(rebasing: b[r]), as: UTF8.self)
            case .decoded(let s): return s
            }
        }

        /// Whether this text equals `bytes` without building a String.
        func equals(_ bytes: [UInt8], in b: UnsafeBufferPointer<UInt8>) -> Bool {
            guard case .raw(let r) = self, r.count == bytes.count else { return false }
            var k = r.lowerBound
            for c in bytes { if b[k] != c { return false }; k += 1 }
            return true
        }
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
        ws(b, &i)
        guard i < b.count, b[i] == 123 else { return .failure(LineError(message: "not a JSON object")) }   // {
        i += 1
        ws(b, &i)
        if i < b.count, b[i] == 125 { i += 1; return trailing(b, &i, line) }
        while true {
            ws(b, &i)
            guard let keyText = text(b, &i) else { return .failure(LineError(message: "invalid JSON (key)")) }
            let key = Key(keyText, b)
            ws(b, &i)
            guard i < b.count, b[i] == 58 else { return .failure(LineError(message: "invalid JSON (missing ':')")) }
            i += 1
            ws(b, &i)
            guard i < b.count else { return .failure(LineError(message: "invalid JSON (truncated)")) }
            let c = b[i]
            if c == 34 {   // "
                guard let s = text(b, &i) else { return .failure(LineError(message: "invalid JSON (string)")) }
                switch key {
                case .name: line.name = s
                case .unit: line.unit = s
                case .value: return .failure(LineError(message: "\"value\" is a string, not a number"))
                case .tags: return .failure(LineError(message: "\"tags\" must be an object of strings"))
                case .other: line.unknownKey = line.unknownKey ?? keyText.string(b)
                }
            } else if c == 45 || KernelText.isDigit(c) {
                guard let v = number(b, &i) else { return .failure(LineError(message: "invalid JSON (number)")) }
                switch key {
                case .value: line.value = v
                case .name, .unit, .tags: return .failure(LineError(message: "\"\(key)\" is not a string"))
                case .other: line.unknownKey = line.unknownKey ?? keyText.string(b)
                }
            } else if c == 123, key == .tags {
                guard let tags = tagObject(b, &i) else {
                    return .failure(LineError(message: "\"tags\" must be an object of strings"))
                }
                line.tags = tags
            } else if c == 123 || c == 91 {
                return .failure(.nested)
            } else if literal(b, &i, "true") || literal(b, &i, "false") || literal(b, &i, "null") {
                if key == .value || key == .name || key == .tags { return .failure(LineError(message: "\"\(key)\" has the wrong type")) }
                if key == .other { line.unknownKey = line.unknownKey ?? keyText.string(b) }
            } else {
                return .failure(LineError(message: "invalid JSON (value)"))
            }
            ws(b, &i)
            guard i < b.count else { return .failure(LineError(message: "invalid JSON (truncated)")) }
            if b[i] == 44 { i += 1; continue }   // ,
            if b[i] == 125 { i += 1; break }     // }
            return .failure(LineError(message: "invalid JSON (expected ',' or '}')"))
        }
        return trailing(b, &i, line)
    }

    // Plain static functions, not nested closures: a closure capturing `i` makes every access a
    // dynamic exclusivity check, which dominated debug builds.
    @inline(__always)
    static func ws(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) {
        while i < b.count, b[i] == 32 || b[i] == 9 || b[i] == 13 { i += 1 }
    }

    static func trailing(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ line: Line) -> Result<Line, LineError> {
        ws(b, &i)
        return i == b.count ? .success(line) : .failure(LineError(message: "text after the JSON object"))
    }

    static func literal(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ word: StaticString) -> Bool {
        guard KernelText.hasPrefix(b, i, word) else { return false }
        i += word.utf8CodeUnitCount
        return true
    }

    enum Key: String {
        case name, value, unit, tags, other

        init(_ t: CustomMetrics.Text, _ b: UnsafeBufferPointer<UInt8>) {
            switch t {
            case .decoded(let s): self = Key(rawValue: s) ?? .other
            case .raw(let r):
                let sub = UnsafeBufferPointer(rebasing: b[r])
                if sub.count == 4, KernelText.hasPrefix(sub, 0, "name") { self = .name }
                else if sub.count == 5, KernelText.hasPrefix(sub, 0, "value") { self = .value }
                else if sub.count == 4, KernelText.hasPrefix(sub, 0, "unit") { self = .unit }
                else if sub.count == 4, KernelText.hasPrefix(sub, 0, "tags") { self = .tags }
                else { self = .other }
            }
        }
    }

    /// A flat object of strings at b[i] (the opening brace): the tags of a line.
    static func tagObject(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> [(String, String)]? {
        i += 1
        var out: [(String, String)] = []
        ws(b, &i)
        if i < b.count, b[i] == 125 { i += 1; return out }
        while true {
            ws(b, &i)
            guard let k = text(b, &i) else { return nil }
            ws(b, &i)
            guard i < b.count, b[i] == 58 else { return nil }
            i += 1
            ws(b, &i)
            guard let v = text(b, &i) else { return nil }
            out.append((k.string(b), v.string(b)))
            ws(b, &i)
            guard i < b.count else { return nil }
            if b[i] == 44 { i += 1; continue }
            if b[i] == 125 { i += 1; return out }
            return nil
        }
    }

    /// A JSON string at b[i] (the opening quote): its byte range, or the decoded text if it has escapes.
    static func text(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> CustomMetrics.Text? {
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
        let range = start..<i
        i += 1
        if !escaped { return .raw(range) }
        // Rare: let Foundation decode the escapes.
        let quoted = Data([34]) + Data(UnsafeBufferPointer(rebasing: b[range])) + Data([34])
        return ((try? JSONSerialization.jsonObject(with: quoted, options: [.fragmentsAllowed])) as? String).map { .decoded($0) }
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
        l.unknownKey = obj.keys.sorted().first { !["name", "value", "unit", "tags"].contains($0) }
        if let t = obj["tags"] {
            guard let d = t as? [String: Any], d.values.allSatisfy({ $0 is String }) else {
                return .failure(LineError(message: "\"tags\" must be an object of strings"))
            }
            l.tags = d.map { ($0.key, $0.value as! String) }
        }
        l.name = (obj["name"] as? String).map { .decoded($0) }
        l.unit = (obj["unit"] as? String).map { .decoded($0) }
        if let v = obj["value"], !(v is Bool), let n = v as? NSNumber { l.value = n.doubleValue }
        return .success(l)
    }
}

/// Tagged custom metrics: `{"name": "request_latency", "tags": {"op": "set"}, …}` is the series
/// `request_latency{op=set}` (objectives: `p99(custom.request_latency{op=set})`). Tags are sorted
/// by key, so the same set always gives the same name.
public enum CustomTags {
    /// The series name of `base` with `tags`; a failure when a key or value holds a character of
    /// the name syntax (`{ } , =`), a key is empty or repeated.
    static func seriesName(_ base: String, tags: [(String, String)]) -> Result<String, CustomMetrics.LineError> {
        guard !tags.isEmpty else { return .success(base) }
        var seen = Set<String>()
        for (k, v) in tags {
            guard !k.isEmpty else { return .failure(.init(message: "a tag has an empty key")) }
            guard seen.insert(k).inserted else { return .failure(.init(message: "tag \"\(k)\" is repeated")) }
            if (k + v).contains(where: { "{},=".contains($0) }) {
                return .failure(.init(message: "tag \"\(k)\": keys and values may not contain { } , ="))
            }
        }
        return .success(base + "{" + tags.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "}")
    }

    /// `NAME{b=2, a=1}` as written in an objective → `NAME{a=1,b=2}`, the name the series has;
    /// nil when the braces do not hold `k=v` pairs.
    public static func canonical(_ name: String) -> String? {
        guard let open = name.firstIndex(of: "{") else { return name }
        guard name.hasSuffix("}"), name.firstIndex(of: "}") == name.index(before: name.endIndex) else { return nil }
        let base = String(name[..<open])
        let inner = name[name.index(after: open)..<name.index(before: name.endIndex)]
        var tags: [(String, String)] = []
        for pair in inner.split(separator: ",", omittingEmptySubsequences: false) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard kv.count == 2 else { return nil }
            tags.append((kv[0].trimmingCharacters(in: .whitespaces), kv[1].trimmingCharacters(in: .whitespaces)))
        }
        guard !base.isEmpty, case .success(let n) = seriesName(base, tags: tags) else { return nil }
        return n
    }
}
