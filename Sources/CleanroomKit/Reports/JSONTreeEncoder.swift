import Foundation

/// A fast Encodable → JSON text encoder for report.json: sorted keys, two-space indentation,
/// `"key" : value` like JSONEncoder's pretty printing, `/` not escaped, and arrays of scalars on
/// one line (a run's samples are thousands of numbers: one per line made report.json five times
/// larger and JSONEncoder took 5 s for 10 workloads × 100 runs; this takes a fraction of that).
///
/// It goes through Codable like JSONEncoder, so every field the model types encode is written
/// with their own keys (nothing to keep in sync by hand). Non-finite numbers throw
/// `EncodingError.invalidValue` with the coding path, as JSONEncoder does.
struct JSONTreeEncoder {
    enum Node {
        case null, bool(Bool), int(Int64), double(Double), string(String)
        /// A whole `[Double]` (samples, custom observations) kept as is: no node per number.
        case numbers([Double])
        case array(ArrayBox), object(ObjectBox)
    }
    final class ArrayBox { var items: [Node] = [] }
    final class ObjectBox { var items: [String: Node] = [:] }

    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let node = try makeNode(value, path: nil)
        var out: [UInt8] = []
        out.reserveCapacity(1 << 20)
        write(node, indent: 0, into: &out)
        return Data(out)
    }

    // MARK: building the tree

    /// The coding path as a linked list, turned into `[CodingKey]` only for an error message.
    final class Path {
        let parent: Path?
        let key: CodingKey
        init(_ parent: Path?, _ key: CodingKey) { self.parent = parent; self.key = key }
        static func array(_ p: Path?) -> [CodingKey] {
            var keys: [CodingKey] = []
            var cur = p
            while let c = cur { keys.append(c.key); cur = c.parent }
            return keys.reversed()
        }
    }

    struct IndexKey: CodingKey {
        var intValue: Int?
        var stringValue: String { "Index \(intValue ?? 0)" }
        init(_ i: Int) { intValue = i }
        init?(intValue: Int) { self.intValue = intValue }
        init?(stringValue: String) { return nil }
    }

    static func makeNode<T: Encodable>(_ value: T, path: Path?) throws -> Node {
        // Scalars first: most values in a report are Doubles inside arrays.
        switch value {
        case let d as Double: return try number(d, path)
        case let i as Int: return .int(Int64(i))
        case let s as String: return .string(s)
        case let b as Bool: return .bool(b)
        case let a as [Double]:
            if let bad = a.firstIndex(where: { !$0.isFinite }) { _ = try number(a[bad], Path(path, IndexKey(bad))) }
            return .numbers(a)
        default: break
        }
        let enc = TreeEncoder(path: path)
        try value.encode(to: enc)
        return enc.node ?? .object(ObjectBox())
    }

    static func number(_ d: Double, _ path: Path?) throws -> Node {
        guard d.isFinite else {
            throw EncodingError.invalidValue(d, .init(codingPath: Path.array(path), debugDescription: "non-finite number"))
        }
        return .double(d)
    }

    final class TreeEncoder: Encoder, SingleValueEncodingContainer {
        let path: Path?
        var node: Node?
        init(path: Path?) { self.path = path }
        var codingPath: [CodingKey] { Path.array(path) }
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            let box: ObjectBox
            if case .object(let b)? = node { box = b } else { box = ObjectBox(); node = .object(box) }
            return KeyedEncodingContainer(Keyed<Key>(box: box, path: path))
        }
        func unkeyedContainer() -> UnkeyedEncodingContainer {
            let box: ArrayBox
            if case .array(let b)? = node { box = b } else { box = ArrayBox(); node = .array(box) }
            return Unkeyed(box: box, path: path)
        }
        func singleValueContainer() -> SingleValueEncodingContainer { self }

        func encodeNil() throws { node = .null }
        func encode(_ value: Bool) throws { node = .bool(value) }
        func encode(_ value: String) throws { node = .string(value) }
        func encode(_ value: Double) throws { node = try number(value, path) }
        func encode(_ value: Float) throws { node = try number(Double(value), path) }
        func encode(_ value: Int) throws { node = .int(Int64(value)) }
        func encode(_ value: Int8) throws { node = .int(Int64(value)) }
        func encode(_ value: Int16) throws { node = .int(Int64(value)) }
        func encode(_ value: Int32) throws { node = .int(Int64(value)) }
        func encode(_ value: Int64) throws { node = .int(value) }
        func encode(_ value: UInt) throws { node = .double(Double(value)) }
        func encode(_ value: UInt8) throws { node = .int(Int64(value)) }
        func encode(_ value: UInt16) throws { node = .int(Int64(value)) }
        func encode(_ value: UInt32) throws { node = .int(Int64(value)) }
        func encode(_ value: UInt64) throws { node = value <= UInt64(Int64.max) ? .int(Int64(value)) : .double(Double(value)) }
        func encode<T: Encodable>(_ value: T) throws { node = try makeNode(value, path: path) }
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let box: ObjectBox
        let path: Path?
        var codingPath: [CodingKey] { Path.array(path) }

        mutating func encodeNil(forKey key: Key) throws { box.items[key.stringValue] = .null }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            box.items[key.stringValue] = try makeNode(value, path: Path(path, key))
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            let b = ObjectBox()
            box.items[key.stringValue] = .object(b)
            return KeyedEncodingContainer(Keyed<NestedKey>(box: b, path: Path(path, key)))
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
            let b = ArrayBox()
            box.items[key.stringValue] = .array(b)
            return Unkeyed(box: b, path: Path(path, key))
        }
        mutating func superEncoder() -> Encoder { superEncoder(forKey: Key(stringValue: "super")!) }
        mutating func superEncoder(forKey key: Key) -> Encoder {
            let enc = DeferredEncoder(path: Path(path, key)) { [box] node in box.items[key.stringValue] = node }
            return enc
        }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let box: ArrayBox
        let path: Path?
        var codingPath: [CodingKey] { Path.array(path) }
        var count: Int { box.items.count }

        mutating func encodeNil() throws { box.items.append(.null) }
        mutating func encode(_ value: Double) throws {
            box.items.append(try number(value, Path(path, IndexKey(box.items.count))))
        }
        mutating func encode<T: Encodable>(_ value: T) throws {
            if let d = value as? Double {   // the hot path: samples
                guard d.isFinite else { _ = try number(d, Path(path, IndexKey(box.items.count))); return }
                box.items.append(.double(d))
                return
            }
            box.items.append(try makeNode(value, path: Path(path, IndexKey(box.items.count))))
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            let b = ObjectBox()
            let p = Path(path, IndexKey(box.items.count))
            box.items.append(.object(b))
            return KeyedEncodingContainer(Keyed<NestedKey>(box: b, path: p))
        }
        mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
            let b = ArrayBox()
            let p = Path(path, IndexKey(box.items.count))
            box.items.append(.array(b))
            return Unkeyed(box: b, path: p)
        }
        mutating func superEncoder() -> Encoder {
            let i = box.items.count
            box.items.append(.null)
            return DeferredEncoder(path: Path(path, IndexKey(i))) { [box] node in box.items[i] = node }
        }
    }

    /// For superEncoder(): whatever is encoded into it lands where it was asked for.
    final class DeferredEncoder: Encoder {
        let inner: TreeEncoder
        let store: (Node) -> Void
        init(path: Path?, store: @escaping (Node) -> Void) { inner = TreeEncoder(path: path); self.store = store }
        deinit { store(inner.node ?? .object(ObjectBox())) }
        var codingPath: [CodingKey] { inner.codingPath }
        var userInfo: [CodingUserInfoKey: Any] { [:] }
        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> { inner.container(keyedBy: type) }
        func unkeyedContainer() -> UnkeyedEncodingContainer { inner.unkeyedContainer() }
        func singleValueContainer() -> SingleValueEncodingContainer { inner }
    }

    // MARK: writing text

    static func write(_ node: Node, indent: Int, into out: inout [UInt8]) {
        switch node {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d): writeDouble(d, into: &out)
        case .string(let s): writeString(s, into: &out)
        case .numbers(let a):
            out.append(UInt8(ascii: "["))
            for (i, d) in a.enumerated() {
                if i > 0 { out.append(contentsOf: ", ".utf8) }
                writeDouble(d, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .array(let box):
            if box.items.isEmpty { out.append(contentsOf: "[]".utf8); return }
            let scalars = box.items.allSatisfy {
                switch $0 { case .array, .object: return false; default: return true }
            }
            if scalars {
                out.append(UInt8(ascii: "["))
                for (i, item) in box.items.enumerated() {
                    if i > 0 { out.append(contentsOf: ", ".utf8) }
                    write(item, indent: indent, into: &out)
                }
                out.append(UInt8(ascii: "]"))
                return
            }
            out.append(contentsOf: "[\n".utf8)
            for (i, item) in box.items.enumerated() {
                pad(indent + 1, &out)
                write(item, indent: indent + 1, into: &out)
                out.append(contentsOf: (i + 1 < box.items.count ? ",\n" : "\n").utf8)
            }
            pad(indent, &out)
            out.append(UInt8(ascii: "]"))
        case .object(let box):
            if box.items.isEmpty { out.append(contentsOf: "{}".utf8); return }
            out.append(contentsOf: "{\n".utf8)
            let keys = box.items.keys.sorted()
            for (i, key) in keys.enumerated() {
                pad(indent + 1, &out)
                writeString(key, into: &out)
                out.append(contentsOf: " : ".utf8)
                write(box.items[key]!, indent: indent + 1, into: &out)
                out.append(contentsOf: (i + 1 < keys.count ? ",\n" : "\n").utf8)
            }
            pad(indent, &out)
            out.append(UInt8(ascii: "}"))
        }
    }

    static func pad(_ n: Int, _ out: inout [UInt8]) {
        for _ in 0..<(2 * n) { out.append(UInt8(ascii: " ")) }
    }

    /// Integral values below 2^53 without a fraction; otherwise Swift's shortest round-trip text,
    /// which is valid JSON (`0.1`, `1e-05`, `1.5e+20`).
    static func writeDouble(_ d: Double, into out: inout [UInt8]) {
        if d == d.rounded(), abs(d) < 9_007_199_254_740_992 {
            out.append(contentsOf: String(Int64(d)).utf8)
        } else {
            out.append(contentsOf: d.description.utf8)
        }
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            case 0x08: out.append(contentsOf: "\\b".utf8)
            case 0x0C: out.append(contentsOf: "\\f".utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 0xF)])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
