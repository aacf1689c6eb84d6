import Foundation

/// A `Decoder` over the positioned JSON tree (Config/JSONParser), so report.json is decoded by
/// the model types' own `init(from:)` (nothing to keep in sync by hand) while every error keeps
/// its JSON path and line:column. Arrays of numbers and flat string-keyed maps — most of a big
/// report — are taken in one step instead of a container per element; with the parser this is
/// several times faster than JSONDecoder on an 18 MB report (bench/report-decode).
struct NodeDecoder: Decoder {
    /// Why a value could not be decoded: where (JSON path, line:column) and what was found.
    struct Failure: Error, CustomStringConvertible {
        var path: String
        var position: SourcePosition?
        var message: String
        var description: String {
            let at = position.map { " (line \($0.line), column \($0.column))" } ?? ""
            return (path.isEmpty ? "(top level)" : path) + at + ": " + message
        }
    }

    /// The coding path as a linked list: built into text only for an error.
    final class Path {
        let parent: Path?
        let key: CodingKey
        init(_ parent: Path?, _ key: CodingKey) { self.parent = parent; self.key = key }
        static func keys(_ p: Path?) -> [CodingKey] {
            var out: [CodingKey] = []
            var cur = p
            while let c = cur { out.append(c.key); cur = c.parent }
            return out.reversed()
        }
        static func text(_ p: Path?) -> String {
            var s = ""
            for k in keys(p) {
                if let i = k.intValue { s += "[\(i)]" } else { s += (s.isEmpty ? "" : ".") + k.stringValue }
            }
            return s
        }
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int?
        init(_ s: String) { stringValue = s }
        init(index: Int) { stringValue = "[\(index)]"; intValue = index }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { self.init(index: intValue) }
    }

    let node: JSONNode
    let path: Path?
    var codingPath: [CodingKey] { Path.keys(path) }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    static func decode<T: Decodable>(_ type: T.Type, from root: JSONNode) throws -> T {
        try NodeDecoder(node: root, path: nil).value(T.self)
    }

    func fail(_ message: String) -> Failure {
        Failure(path: Path.text(path), position: node.position, message: message)
    }

    func mismatch(_ expected: String) -> Failure {
        fail("expected \(expected), found \(node.kindName)")
    }

    // MARK: scalars and fast paths

    func value<T: Decodable>(_ type: T.Type) throws -> T {
        switch type {
        case is Double.Type: return try double() as! T
        case is String.Type: return try string() as! T
        case is Int.Type: return try int() as! T
        case is Bool.Type: return try bool() as! T
        case is [Double].Type: return try doubles() as! T
        case is [String].Type: return try items().enumerated().map { try child($1, Key(index: $0)).string() } as! T
        case is [String: Double].Type: return try map { try $0.double() } as! T
        case is [String: String].Type: return try map { try $0.string() } as! T
        case is [String: Int].Type: return try map { try $0.int() } as! T
        default: return try T(from: self)
        }
    }

    func child(_ n: JSONNode, _ key: CodingKey) -> NodeDecoder { NodeDecoder(node: n, path: Path(path, key)) }

    func double() throws -> Double {
        guard case .number(let v, _) = node.value else { throw mismatch("a number") }
        return v
    }

    func int() throws -> Int {
        guard case .number(let v, let raw) = node.value else { throw mismatch("a whole number") }
        guard v == v.rounded(), abs(v) <= 9.007_199_254_740_992e15, let i = Int(exactly: v) else {
            throw fail("expected a whole number, found \(raw)")
        }
        return i
    }

    func string() throws -> String {
        guard case .string(let s, _) = node.value else { throw mismatch("a string") }
        return s
    }

    func bool() throws -> Bool {
        guard case .bool(let b) = node.value else { throw mismatch("true or false") }
        return b
    }

    func items() throws -> [JSONNode] {
        guard let a = node.arrayItems else { throw mismatch("an array") }
        return a
    }

    func members() throws -> [JSONMember] {
        guard case .object(let m) = node.value else { throw mismatch("an object") }
        return m
    }

    func doubles() throws -> [Double] {
        if case .numbers(let packed) = node.value { return packed }
        let a = try items()
        var out = [Double]()
        out.reserveCapacity(a.count)
        for (i, n) in a.enumerated() {
            guard case .number(let v, _) = n.value else { throw child(n, Key(index: i)).mismatch("a number") }
            out.append(v)
        }
        return out
    }

    func map<V>(_ body: (NodeDecoder) throws -> V) throws -> [String: V] {
        let m = try members()
        var out = [String: V](minimumCapacity: m.count)
        for member in m { out[member.key] = try body(child(member.value, Key(member.key))) }
        return out
    }

    // MARK: Decoder

    func container<K: CodingKey>(keyedBy type: K.Type) throws -> KeyedDecodingContainer<K> {
        KeyedDecodingContainer(Keyed<K>(decoder: self, members: try members()))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer { Unkeyed(decoder: self, items: try items()) }

    func singleValueContainer() throws -> SingleValueDecodingContainer { Single(decoder: self) }

    struct Keyed<K: CodingKey>: KeyedDecodingContainerProtocol {
        let decoder: NodeDecoder
        let members: [JSONMember]
        /// Built only for big objects (a dictionary of custom metrics); small ones are searched.
        let index: [String: Int]?

        init(decoder: NodeDecoder, members: [JSONMember]) {
            self.decoder = decoder; self.members = members
            if members.count > 12 {
                var d = [String: Int](minimumCapacity: members.count)
                for (i, m) in members.enumerated() { d[m.key] = i }
                index = d
            } else {
                index = nil
            }
        }

        var codingPath: [CodingKey] { decoder.codingPath }
        var allKeys: [K] { members.compactMap { K(stringValue: $0.key) } }

        func find(_ key: K) -> JSONNode? {
            if let index { return index[key.stringValue].map { members[$0].value } }
            return members.first { $0.key == key.stringValue }?.value
        }

        func contains(_ key: K) -> Bool { find(key) != nil }

        func node(_ key: K) throws -> NodeDecoder {
            guard let n = find(key) else {
                throw Failure(path: NodeDecoder.Path.text(decoder.path), position: decoder.node.position,
                              message: "missing key \"\(key.stringValue)\"")
            }
            return decoder.child(n, key)
        }

        func decodeNil(forKey key: K) throws -> Bool {
            guard let n = find(key) else { return true }
            if case .null = n.value { return true }
            return false
        }

        func decode<T: Decodable>(_ type: T.Type, forKey key: K) throws -> T { try node(key).value(T.self) }

        func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: K) throws -> T? {
            guard let n = find(key) else { return nil }
            if case .null = n.value { return nil }
            return try decoder.child(n, key).value(T.self)
        }

        func nestedContainer<N: CodingKey>(keyedBy type: N.Type, forKey key: K) throws -> KeyedDecodingContainer<N> {
            try node(key).container(keyedBy: N.self)
        }

        func nestedUnkeyedContainer(forKey key: K) throws -> UnkeyedDecodingContainer { try node(key).unkeyedContainer() }
        func superDecoder() throws -> Decoder { decoder }
        func superDecoder(forKey key: K) throws -> Decoder { try node(key) }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        let decoder: NodeDecoder
        let items: [JSONNode]
        var currentIndex = 0

        init(decoder: NodeDecoder, items: [JSONNode]) { self.decoder = decoder; self.items = items }

        var codingPath: [CodingKey] { decoder.codingPath }
        var count: Int? { items.count }
        var isAtEnd: Bool { currentIndex >= items.count }

        mutating func next() throws -> NodeDecoder {
            guard !isAtEnd else { throw decoder.fail("the array has only \(items.count) items") }
            defer { currentIndex += 1 }
            return decoder.child(items[currentIndex], Key(index: currentIndex))
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd else { return false }
            if case .null = items[currentIndex].value { currentIndex += 1; return true }
            return false
        }

        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().value(T.self) }
        mutating func nestedContainer<N: CodingKey>(keyedBy type: N.Type) throws -> KeyedDecodingContainer<N> {
            try next().container(keyedBy: N.self)
        }
        mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer { try next().unkeyedContainer() }
        mutating func superDecoder() throws -> Decoder { try next() }
    }

    struct Single: SingleValueDecodingContainer {
        let decoder: NodeDecoder
        var codingPath: [CodingKey] { decoder.codingPath }
        func decodeNil() -> Bool {
            if case .null = decoder.node.value { return true }
            return false
        }
        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            switch type {
            case is Float.Type: return Float(try decoder.double()) as! T
            case is Int64.Type: return Int64(try decoder.int()) as! T
            case is UInt64.Type:
                let i = try decoder.int()
                guard i >= 0 else { throw decoder.fail("expected a number of 0 or more, found \(i)") }
                return UInt64(i) as! T
            case is Int32.Type:
                let i = try decoder.int()
                guard let v = Int32(exactly: i) else { throw decoder.fail("\(i) is out of range") }
                return v as! T
            default: return try decoder.value(T.self)
            }
        }
    }
}
