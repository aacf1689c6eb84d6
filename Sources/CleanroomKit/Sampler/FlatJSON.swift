import Foundation

// The per-line hot path of custom metrics (200k lines a run is ordinary): byte-level code,
// kept apart from the series bookkeeping in CustomMetrics.swift so each reads on its own.

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
