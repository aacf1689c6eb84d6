/// A JSON document that remembers where every value and key stood in the file, so that every
/// diagnostic can say `slo.json:12:20`. Foundation's JSONSerialization forgets positions and
/// silently keeps one of two duplicate keys; both matter for a config checker.
///
/// Stored as 32-bit numbers: every value of a parsed report carries one, and 12 bytes instead of
/// 24 make the tree of an 18 MB report a quarter smaller (files over 2 GiB are refused earlier).
struct SourcePosition: Equatable, Sendable {
    private var offset32: Int32
    private var line32: Int32
    private var column32: Int32

    init(offset: Int, line: Int, column: Int) {
        offset32 = Int32(clamping: offset); line32 = Int32(clamping: line); column32 = Int32(clamping: column)
    }

    /// Byte offset into the file.
    var offset: Int { Int(offset32) }
    /// 1-based line.
    var line: Int { Int(line32) }
    /// 1-based column, counted in Unicode scalars (what an editor shows for most text).
    var column: Int { Int(column32) }
}

struct JSONMember {
    var key: String
    var keyPosition: SourcePosition
    var value: JSONNode
}

enum JSONValue {
    case object([JSONMember])
    case array([JSONNode])
    /// An array of numbers only, as the report reader asks for (`JSONParser.parse(_:packNumbers:)`):
    /// no position or source text per item. Config parsing never makes one.
    case numbers([Double])
    /// `verbatim` is true when the string had no escapes, so a character offset inside it maps
    /// one-to-one onto the file's columns (used to put a caret under a bad token in an objective).
    case string(String, verbatim: Bool)
    /// The number's exact source text is kept: `3` and `3.0` are different to a count.
    case number(Double, raw: String)
    case bool(Bool)
    case null
}

struct JSONNode {
    var value: JSONValue
    var position: SourcePosition

    /// What the value is, in words, for "expected X, found Y" messages.
    var kindName: String {
        switch value {
        case .object: return "an object"
        case .array, .numbers: return "an array"
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }

    subscript(key: String) -> JSONMember? {
        if case .object(let members) = value { return members.first { $0.key == key } }
        return nil
    }

    /// The items of an array, packed or not. A packed number's node stands at the array's own
    /// position and its text is the shortest that reads back as the same double.
    var arrayItems: [JSONNode]? {
        switch value {
        case .array(let items): return items
        case .numbers(let numbers):
            return numbers.map { v in
                let whole = v == v.rounded() && abs(v) < 1e15
                return JSONNode(value: .number(v, raw: whole ? String(Int64(v)) : "\(v)"), position: position)
            }
        default: return nil
        }
    }
}
