/// A strict RFC 8259 parser over raw bytes that records positions (see PositionedJSON.swift).
///
/// Robustness is the point: any input (garbage, invalid UTF-8, 100 000 nested brackets, an
/// empty file) yields either a tree or one syntax error with line:column — never a crash.
/// Nesting is capped at `maxDepth` so that recursion stays far inside any thread's stack.
struct JSONParser {
    struct SyntaxError: Error, Equatable {
        var message: String
        var hint: String?
        var position: SourcePosition
        /// JSON path of the value being read when the error was found ("" at the top).
        var path: String
    }

    /// A key that appeared twice in one object (RFC 8259 leaves the meaning open; we refuse it).
    struct DuplicateKey: Equatable {
        var key: String
        var path: String
        var position: SourcePosition
        var first: SourcePosition
    }

    static let maxDepth = 512

    // Not private: JSONNumber.swift reads numbers with the same cursor.
    let bytes: [UInt8]
    var i = 0
    var line = 1
    var column = 1
    private var depth = 0
    /// Rendered to text only for an error: one string per array element made a big report slow.
    enum PathPart { case key(String), index(Int) }
    private var pathStack: [PathPart] = []
    private(set) var duplicates: [DuplicateKey] = []
    /// Items of the arrays being read, one growing buffer per nesting level, reused: each array is
    /// then copied once at its exact size (appending to a fresh array reallocated and copied a
    /// 600-sample series ten times, most of the page faults of reading a big report).
    private var scratch: [[JSONNode]] = []
    /// Report mode: arrays holding only numbers become `.numbers` (JSONNumber.swift).
    let packNumbers: Bool
    var numberScratch: [Double] = []

    init(bytes: [UInt8], packNumbers: Bool = false) { self.bytes = bytes; self.packNumbers = packNumbers }

    /// Parses one JSON document (an optional UTF-8 byte-order mark is skipped).
    /// `packNumbers`: arrays of numbers only are kept as `.numbers` (a report's sample series);
    /// what is accepted and every error stay the same.
    static func parse(_ bytes: [UInt8], packNumbers: Bool = false) -> (root: JSONNode?, error: SyntaxError?, duplicates: [DuplicateKey]) {
        var p = JSONParser(bytes: bytes, packNumbers: packNumbers)
        do {
            let root = try p.parseDocument()
            return (root, nil, p.duplicates)
        } catch let e as SyntaxError {
            return (nil, e, p.duplicates)
        } catch {
            return (nil, SyntaxError(message: "\(error)", hint: nil, position: p.here, path: ""), p.duplicates)
        }
    }

    // MARK: - Positions

    var here: SourcePosition { SourcePosition(offset: i, line: line, column: column) }

    private var currentPath: String { JSONParser.render(pathStack) }

    static func render(_ components: [PathPart]) -> String {
        var s = ""
        for c in components {
            switch c {
            case .index(let i): s += "[\(i)]"
            case .key(let k): s += s.isEmpty ? k : "." + k
            }
        }
        return s
    }

    /// Moves one byte forward, keeping line and column right. Continuation bytes of a
    /// multi-byte UTF-8 sequence do not advance the column.
    mutating func advance() {
        let b = bytes[i]
        i += 1
        if b == 0x0A { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
    }

    func fail(_ message: String, hint: String? = nil, at pos: SourcePosition? = nil) -> SyntaxError {
        SyntaxError(message: message, hint: hint, position: pos ?? here, path: currentPath)
    }

    mutating func skipWhitespace() {
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x09, 0x0A, 0x0D: advance()
            default: return
            }
        }
    }

    /// Describes the byte at the cursor for "unexpected …" messages.
    private func describeHere() -> String {
        guard i < bytes.count else { return "end of file" }
        let b = bytes[i]
        if b >= 0x21 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        if b == 0x20 { return "a space" }
        return CFormat.text("byte 0x%02X", b)
    }

    // MARK: - Grammar

    private mutating func parseDocument() throws -> JSONNode {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { i = 3 }
        if let bad = JSONParser.firstInvalidUTF8(bytes, from: i) {
            // Report where the bad byte is, with a position computed the same way as everywhere else.
            while i < bad { advance() }
            throw fail(CFormat.text("invalid UTF-8 (byte 0x%02X)", bytes[bad]),
                       hint: "save the file as UTF-8")
        }
        skipWhitespace()
        guard i < bytes.count else {
            throw fail("the file is empty", hint: "a config is a JSON object: {\"version\": 1, \"workloads\": [...]}")
        }
        let root = try parseValue()
        skipWhitespace()
        if i < bytes.count {
            throw fail("unexpected \(describeHere()) after the end of the document",
                       hint: "a config holds exactly one JSON object")
        }
        return root
    }

    private mutating func parseValue() throws -> JSONNode {
        skipWhitespace()
        guard i < bytes.count else {
            throw fail("unexpected end of file", hint: "the document is cut short: a value is missing")
        }
        let start = here
        switch bytes[i] {
        case UInt8(ascii: "{"): return JSONNode(value: try parseObject(), position: start)
        case UInt8(ascii: "["): return JSONNode(value: try parseArray(), position: start)
        case UInt8(ascii: "\""):
            let (s, verbatim) = try parseString()
            return JSONNode(value: .string(s, verbatim: verbatim), position: start)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return JSONNode(value: try parseNumber(), position: start)
        case UInt8(ascii: "t"): try literal("true"); return JSONNode(value: .bool(true), position: start)
        case UInt8(ascii: "f"): try literal("false"); return JSONNode(value: .bool(false), position: start)
        case UInt8(ascii: "n"): try literal("null"); return JSONNode(value: .null, position: start)
        case UInt8(ascii: "'"):
            throw fail("strings must use double quotes", hint: "write \"text\", not 'text'")
        case UInt8(ascii: "/"):
            throw fail("comments are not allowed in JSON", hint: "remove the comment")
        case UInt8(ascii: "]"), UInt8(ascii: "}"):
            throw fail("unexpected \(describeHere()): a value is missing", hint: "remove the trailing comma, if there is one")
        default:
            throw fail("unexpected \(describeHere()): expected a value", hint: "a value is an object, array, \"string\", number, true, false or null")
        }
    }

    private mutating func literal(_ word: String) throws {
        let start = here
        for b in word.utf8 {
            guard i < bytes.count, bytes[i] == b else {
                throw fail("invalid literal: expected \(word)", hint: "strings must be quoted: \"...\"", at: start)
            }
            advance()
        }
    }

    private mutating func enter() throws {
        depth += 1
        if depth > JSONParser.maxDepth {
            throw fail("nesting deeper than \(JSONParser.maxDepth) levels", hint: "a config never needs to nest this deep")
        }
    }

    private mutating func parseObject() throws -> JSONValue {
        try enter(); defer { depth -= 1 }
        advance() // {
        var members: [JSONMember] = []
        var seen: [String: SourcePosition] = [:]
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { advance(); return .object(members) }
        while true {
            skipWhitespace()
            guard i < bytes.count else {
                throw fail("unexpected end of file inside an object", hint: "a '}' is missing")
            }
            guard bytes[i] == UInt8(ascii: "\"") else {
                if bytes[i] == UInt8(ascii: "}") {
                    throw fail("trailing comma before '}'", hint: "remove the last comma")
                }
                throw fail("unexpected \(describeHere()): expected a \"key\"", hint: "object keys must be double-quoted strings")
            }
            let keyPos = here
            let (key, _) = try parseString()
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else {
                throw fail("unexpected \(describeHere()) after key \"\(key)\": expected ':'", hint: "write \"\(key)\": VALUE")
            }
            advance()
            pathStack.append(.key(key))
            let value = try parseValue()
            pathStack.removeLast()
            if let first = members.count < 16 ? members.first(where: { $0.key == key })?.keyPosition : seen[key] {
                duplicates.append(DuplicateKey(key: key, path: JSONParser.render(pathStack + [.key(key)]),
                                               position: keyPos, first: first))
            } else {
                members.append(JSONMember(key: key, keyPosition: keyPos, value: value))
                // Small objects (nearly all) are searched; from 16 members on a table is kept.
                if members.count == 16 { for m in members { seen[m.key] = m.keyPosition } } else if members.count > 16 { seen[key] = keyPos }
            }
            skipWhitespace()
            guard i < bytes.count else {
                throw fail("unexpected end of file inside an object", hint: "a '}' is missing")
            }
            if bytes[i] == UInt8(ascii: ",") { advance(); continue }
            if bytes[i] == UInt8(ascii: "}") { advance(); return .object(members) }
            throw fail("unexpected \(describeHere()) after the value of \"\(key)\": expected ',' or '}'",
                       hint: "a comma is probably missing")
        }
    }

    private mutating func parseArray() throws -> JSONValue {
        try enter(); defer { depth -= 1 }
        advance() // [
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") { advance(); return .array([]) }
        if packNumbers, i < bytes.count, bytes[i] == UInt8(ascii: "-") || (bytes[i] &- 0x30) < 10 {
            let (i0, line0, column0) = (i, line, column)
            if let numbers = packedNumbers() { return .numbers(numbers) }
            // Not numbers only, or a bad one: read again item by item, for the same errors.
            (i, line, column) = (i0, line0, column0)
        }
        let level = depth - 1
        while scratch.count <= level { scratch.append([]) }   // depth counts objects too
        var count = 0
        while true {
            pathStack.append(.index(count))
            skipWhitespace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
                throw fail("trailing comma before ']'", hint: "remove the last comma")
            }
            let item = try parseValue()
            scratch[level].append(item)
            count += 1
            pathStack.removeLast()
            skipWhitespace()
            guard i < bytes.count else {
                throw fail("unexpected end of file inside an array", hint: "a ']' is missing")
            }
            if bytes[i] == UInt8(ascii: ",") { advance(); continue }
            if bytes[i] == UInt8(ascii: "]") {
                advance()
                let items = Array(scratch[level])
                scratch[level].removeAll(keepingCapacity: true)
                return .array(items)
            }
            throw fail("unexpected \(describeHere()) in an array: expected ',' or ']'", hint: "a comma is probably missing")
        }
    }

    private mutating func parseString() throws -> (String, Bool) {
        let open = here
        advance() // "
        var out: [UInt8] = []
        var verbatim = true
        while true {
            guard i < bytes.count else {
                throw fail("unterminated string", hint: "a closing '\"' is missing", at: open)
            }
            let b = bytes[i]
            if b == UInt8(ascii: "\"") { advance(); break }
            if b < 0x20 {
                throw fail(b == 0x0A ? "line break inside a string" : CFormat.text("control character 0x%02X inside a string", b),
                           hint: b == 0x0A ? "a closing '\"' is missing, or write \\n" : "escape it as \\u00XX")
            }
            if b != UInt8(ascii: "\\") { out.append(b); advance(); continue }
            verbatim = false
            let escPos = here
            advance()
            guard i < bytes.count else { throw fail("unterminated string", hint: "a closing '\"' is missing", at: open) }
            let e = bytes[i]
            advance()
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4(escPos)
                if (0xD800...0xDBFF).contains(scalar) {
                    // A high surrogate must be followed by an escaped low surrogate.
                    guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                        throw fail("unpaired surrogate in \\u escape", hint: "write the character itself", at: escPos)
                    }
                    advance(); advance()
                    let low = try hex4(escPos)
                    guard (0xDC00...0xDFFF).contains(low) else {
                        throw fail("unpaired surrogate in \\u escape", hint: "write the character itself", at: escPos)
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw fail("unpaired surrogate in \\u escape", hint: "write the character itself", at: escPos)
                }
                out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
            default:
                throw fail("invalid escape \\\(Character(Unicode.Scalar(e)))", hint: "valid escapes: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX", at: escPos)
            }
        }
        // The whole file was checked for valid UTF-8 up front, and escapes only add valid scalars.
        return (String(decoding: out, as: UTF8.self), verbatim)
    }

    private mutating func hex4(_ escPos: SourcePosition) throws -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard i < bytes.count, let d = JSONParser.hexValue(bytes[i]) else {
                throw fail("invalid \\u escape: expected 4 hex digits", hint: "e.g. \\u00e9", at: escPos)
            }
            v = v * 16 + d
            advance()
        }
        return v
    }

    private static func hexValue(_ b: UInt8) -> UInt32? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(b - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(b - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }
}
