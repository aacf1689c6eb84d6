import Foundation

/// Typed readers over the positioned JSON tree. Each reader either returns a value or records a
/// diagnostic (with JSON path, line:column, excerpt and hint) and returns nil, so decoding goes
/// on and every error of the file is found in one pass.
final class ConfigDecoder {
    let bytes: [UInt8]
    let baseDirectory: String
    private(set) var diagnostics: [Diagnostic] = []

    init(bytes: [UInt8], baseDirectory: String) {
        self.bytes = bytes; self.baseDirectory = baseDirectory
    }

    // MARK: - Reporting

    /// Past this many diagnostics nothing more is recorded (a generated 5 MB file of mistakes
    /// must not take minutes to reject); `saturated` tells loops to stop early.
    var limit = ConfigLoader.maxDiagnostics
    var saturated: Bool { diagnostics.count >= limit }

    func report(_ path: String, at pos: SourcePosition?, _ message: String, hint: @autoclosure () -> String? = nil) {
        guard !saturated else { return }
        var d = Diagnostic(path: path, message: message, hint: hint(), line: pos?.line, column: pos?.column)
        if let pos {
            let (text, caret) = excerpt(at: pos)
            d.excerpt = text; d.caretOffset = caret
        }
        diagnostics.append(d)
    }

    func report(_ path: String, _ node: JSONNode, _ message: String, hint: @autoclosure () -> String? = nil) {
        report(path, at: node.position, message, hint: hint())
    }

    /// An error inside a string value (an objective): the caret goes under the bad token, and the
    /// column points into the file when the string had no escapes.
    func reportInString(_ path: String, _ node: JSONNode, text: String, _ e: ObjectiveError, prefixText: Bool = true) {
        guard !saturated else { return }
        var column = node.position.column
        if case .string(_, let verbatim) = node.value, verbatim {
            column += 1 + String(text.prefix(e.offset)).unicodeScalars.count
        }
        let message = prefixText ? "\"\(text)\": \(e.message)" : e.message
        diagnostics.append(Diagnostic(path: path, message: message, hint: e.hint, line: node.position.line,
                                      column: column, excerpt: text, caretOffset: e.offset))
    }

    /// The source line around `pos`, clipped to about 60 bytes either side so that a 5 MB
    /// one-line file does not end up in a terminal, and the caret's offset within it.
    func excerpt(at pos: SourcePosition) -> (String, Int) {
        let window = 60
        var start = pos.offset, end = pos.offset
        while start > 0, bytes[start - 1] != 0x0A, pos.offset - start < window { start -= 1 }
        while end < bytes.count, bytes[end] != 0x0A, bytes[end] != 0x0D, end - pos.offset < window { end += 1 }
        // Do not cut a UTF-8 sequence in half.
        while start < pos.offset, start < bytes.count, bytes[start] & 0xC0 == 0x80 { start += 1 }
        while end < bytes.count, end > pos.offset, bytes[end] & 0xC0 == 0x80 { end -= 1 }
        let clippedLeft = start > 0 && bytes[start - 1] != 0x0A
        let clippedRight = end < bytes.count && bytes[end] != 0x0A && bytes[end] != 0x0D
        let before = String(decoding: bytes[start..<min(pos.offset, bytes.count)], as: UTF8.self)
        let after = String(decoding: bytes[min(pos.offset, bytes.count)..<end], as: UTF8.self)
        let prefix = clippedLeft ? "…" : ""
        let text = prefix + before + after + (clippedRight ? "…" : "")
        return (text, prefix.count + before.count)
    }

    // MARK: - Shapes

    /// An object whose keys must all be in `allowed`; unknown keys are reported with a hint.
    func object(_ node: JSONNode, _ path: String, allowed: [String], kind: String, example: String? = nil) -> [String: JSONMember]? {
        guard case .object(let members) = node.value else {
            report(path, node, "expected an object, found \(node.kindName)", hint: example)
            return nil
        }
        var out: [String: JSONMember] = [:]
        for m in members {
            if allowed.contains(m.key) {
                out[m.key] = m
            } else {
                report(join(path, m.key), at: m.keyPosition, "unknown key \"\(m.key)\"",
                       hint: ConfigKeys.hint(for: m.key, allowed: allowed, in: kind))
            }
        }
        return out
    }

    func array(_ node: JSONNode, _ path: String, example: String? = nil) -> [JSONNode]? {
        guard case .array(let items) = node.value else {
            report(path, node, "expected an array, found \(node.kindName)", hint: example)
            return nil
        }
        return items
    }

    func string(_ node: JSONNode, _ path: String, nonEmpty: Bool = true, example: String? = nil) -> String? {
        guard case .string(let s, _) = node.value else {
            var hint = example
            if case .number(_, let raw) = node.value { hint = hint ?? "write \"\(raw)\"" }
            report(path, node, "expected a string, found \(node.kindName)", hint: hint)
            return nil
        }
        if s.utf8.contains(0) {
            report(path, node, "contains a NUL byte (\\u0000)", hint: "names, paths and commands are C strings to the kernel: remove it")
            return nil
        }
        if nonEmpty, s.isBlank {
            report(path, node, "must not be empty", hint: example)
            return nil
        }
        return s
    }

    /// A whole number in `range`. `"3"` is refused (with a hint) rather than guessed.
    func int(_ node: JSONNode, _ path: String, _ range: ClosedRange<Int>, what: String = "a whole number") -> Int? {
        switch node.value {
        case .number(let v, let raw):
            guard v == v.rounded() else {
                report(path, node, "\(raw) is not \(what)", hint: "e.g. \(range.lowerBound == 0 ? 0 : range.lowerBound)")
                return nil
            }
            guard abs(v) < 1e15, let n = Int(exactly: v) else {
                report(path, node, "\(raw) is out of range", hint: rangeHint(range))
                return nil
            }
            guard range.contains(n) else {
                report(path, node, "\(n) is out of range", hint: rangeHint(range))
                return nil
            }
            return n
        case .string(let s, _):
            let hint = Int(s.trimmingBlanks).map { "write \($0) without quotes" } ?? "e.g. \(range.lowerBound)"
            report(path, node, "expected \(what), found a string", hint: hint)
            return nil
        default:
            report(path, node, "expected \(what), found \(node.kindName)", hint: "e.g. \(range.lowerBound)")
            return nil
        }
    }

    func rangeHint(_ range: ClosedRange<Int>) -> String {
        if range.upperBound == Int.max { return "must be at least \(range.lowerBound)" }
        return "must be between \(range.lowerBound) and \(range.upperBound)"
    }

    /// A quantity of `dimension`: a JSON number (already in the base unit) or a string with a
    /// unit ("5m", "1GiB", "20MB/s"). `minimum` is inclusive, in the base unit.
    func quantity(_ node: JSONNode, _ path: String, _ dimension: Dimension, minimum: Double, exclusiveMinimum: Bool = false) -> Double? {
        let value: Double
        switch node.value {
        case .number(let v, _):
            value = v
        case .string(let s, _):
            do {
                value = try Units.parse(s, as: dimension)
            } catch let e as UnitError {
                reportInString(path, node, text: s, ObjectiveError(message: e.message, hint: e.hint, offset: e.offset),
                               prefixText: !e.message.contains("\"\(s)\""))
                return nil
            } catch {
                report(path, node, "\(error)")
                return nil
            }
        default:
            report(path, node, "expected a \(dimension.noun), found \(node.kindName)", hint: "e.g. \(dimension.example)")
            return nil
        }
        // Past these no limit, period or rate means anything, and converting one to the
        // kernel's integers would overflow.
        let maximum = dimension == .duration ? 365 * 86400.0 : 1e18
        if value > maximum {
            var shown = Units.format(value, dimension)
            if case .string(let s, _) = node.value { shown = s } else if case .number(_, let raw) = node.value { shown = raw }
            report(path, node, "\(shown) is too large",
                   hint: "must be at most \(dimension == .duration ? "365 days (8760h)" : "10^18 bytes\(dimension == .rate ? "/s" : "")")")
            return nil
        }
        if value < minimum || (exclusiveMinimum && value == minimum) {
            let bound = Units.format(minimum, dimension)
            report(path, node, "\(Units.format(value, dimension)) is too small",
                   hint: exclusiveMinimum ? "must be above \(bound)" : "must be at least \(bound)")
            return nil
        }
        return value
    }

    /// One of a fixed set of words, with "did you mean" for near misses.
    func choice<T>(_ node: JSONNode, _ path: String, _ options: [(String, T)]) -> T? {
        let names = options.map(\.0)
        guard case .string(let s, _) = node.value else {
            report(path, node, "expected one of \(names.map { "\"\($0)\"" }.joined(separator: ", ")), found \(node.kindName)",
                   hint: "e.g. \"\(names[0])\"")
            return nil
        }
        if let hit = options.first(where: { $0.0 == s }) { return hit.1 }
        let norm = s.lowercased().replacingOccurrences(of: "_", with: "-")
        let hint = names.first(where: { $0 == norm || (norm.count >= 3 && ($0.hasPrefix(norm) || norm.hasPrefix($0))) })
            .map { "did you mean \"\($0)\"?" }
            ?? ObjectiveParser.closest(s, among: names, maxDistance: 2).map { "did you mean \"\($0)\"?" }
            ?? "one of: " + names.joined(separator: ", ")
        report(path, node, "unknown value \"\(s)\"", hint: hint)
        return nil
    }

    /// `"on"` / `"off"`.
    func noise(_ node: JSONNode, _ path: String) -> Bool? {
        if case .bool(let b) = node.value {
            report(path, node, "expected \"on\" or \"off\", found a boolean", hint: "write \"\(b ? "on" : "off")\"")
            return nil
        }
        return choice(node, path, [("on", true), ("off", false)])
    }

    /// An argv: a non-empty array of strings whose first element names a program.
    func argv(_ node: JSONNode, _ path: String) -> [String]? {
        if case .string(let s, _) = node.value {
            let words = s.split(separator: " ").map { "\"\($0)\"" }.joined(separator: ", ")
            report(path, node, "expected an array of strings (an argv), found a string",
                   hint: "write [\(words)]; for shell syntax use [\"sh\", \"-c\", \"...\"]")
            return nil
        }
        guard let items = array(node, path, example: "e.g. [\"swift\", \"build\"]") else { return nil }
        guard !items.isEmpty else {
            report(path, node, "the command is empty", hint: "e.g. [\"swift\", \"build\"]")
            return nil
        }
        var out: [String] = []
        var ok = true
        for (i, item) in items.enumerated() {
            let p = path + "[\(i)]"
            switch item.value {
            case .string(let s, _):
                if i == 0, s.isEmpty { report(p, item, "the program name is empty", hint: "e.g. \"swift\""); ok = false }
                if s.utf8.contains(0) {
                    // execve would stop at it and run a different argv than the one reported.
                    report(p, item, "contains a NUL byte (\\u0000), which the kernel cannot pass in an argument",
                           hint: "remove it; to pass binary data, use a file or an environment variable holding base64")
                    ok = false
                }
                out.append(s)
            case .number(_, let raw):
                report(p, item, "arguments must be strings", hint: "write \"\(raw)\""); ok = false
            default:
                report(p, item, "arguments must be strings, found \(item.kindName)"); ok = false
            }
        }
        return ok ? out : nil
    }

    /// Extra environment variables: names without `=`, string values.
    func env(_ node: JSONNode, _ path: String) -> [String: String]? {
        guard case .object(let members) = node.value else {
            report(path, node, "expected an object of NAME: \"value\", found \(node.kindName)", hint: "e.g. {\"RUST_LOG\": \"info\"}")
            return nil
        }
        var out: [String: String] = [:]
        var ok = true
        for m in members {
            let p = join(path, m.key)
            if m.key.isEmpty || m.key.utf8.contains(UInt8(ascii: "=")) || m.key.utf8.contains(0) {
                report(p, at: m.keyPosition, "invalid environment variable name \"\(m.key)\"", hint: "names cannot be empty or contain '='")
                ok = false
                continue
            }
            switch m.value.value {
            case .string(let s, _):
                if s.utf8.contains(0) { report(p, m.value, "value contains a NUL byte (\\u0000)", hint: "environment values are C strings to the kernel: remove it"); ok = false }
                out[m.key] = s
            case .number(_, let raw):
                report(p, m.value, "environment values must be strings", hint: "write \"\(raw)\""); ok = false
            case .bool(let b):
                report(p, m.value, "environment values must be strings", hint: "write \"\(b ? "1" : "0")\" or \"\(b)\""); ok = false
            default:
                report(p, m.value, "environment values must be strings, found \(m.value.kindName)"); ok = false
            }
        }
        return ok ? out : nil
    }

    /// A path relative to the config file's directory, made absolute and tidy.
    private lazy var resolvedBase: String = resolvePath(".")

    func resolve(_ path: String) -> String {
        path == "." ? resolvedBase : resolvePath(path)
    }

    private func resolvePath(_ path: String) -> String { Self.tidyPath(path, base: baseDirectory) }

    /// `path` made absolute against `base` (itself against the working directory when relative),
    /// `.` and empty names dropped, no trailing slash; with a `..` in it, the path's links are
    /// resolved first (when the whole path exists) so that `..` means the real parent, as the
    /// kernel takes it, else `..` is taken lexically. That is what
    /// `URL(fileURLWithPath:).standardizedFileURL.path` gives on Linux (`ConfigPathTests` compares
    /// the two), without its URL parsing and percent-encoding, which were a twentieth of
    /// `cleanroom exec`'s CPU before the run (docs/BENCHMARKS.md). A path without `..` keeps its
    /// links: it stays as the user wrote it.
    static func tidyPath(_ path: String, base: String) -> String {
        var full = path
        if !path.hasPrefix("/") {
            var dir = base
            if !dir.hasPrefix("/") { dir = FileManager.default.currentDirectoryPath + "/" + dir }
            full = dir + "/" + path
        }
        if full.split(separator: "/").contains("..") {
            full = SysFS.realPathIfExists(full) ?? full
        }
        return "/" + OutputRoots.components(full).joinedText(separator: "/")
    }

    func join(_ path: String, _ key: String) -> String {
        let simple = !key.isEmpty && key.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "$" }
        let part = simple ? key : "[\(ConfigErrors.jsonString(key))]"
        if path.isEmpty { return simple ? key : part }
        return simple ? path + "." + key : path + part
    }
}
