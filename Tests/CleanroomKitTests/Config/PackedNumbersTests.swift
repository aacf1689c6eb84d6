import XCTest
@testable import CleanroomKit

/// Report mode's packed arrays (`JSONParser.parse(_:packNumbers:)`, JSONNumber.swift) read the same
/// doubles as the item-by-item parser, bit for bit, and accept and refuse exactly what it does,
/// with the same message, line:column and path.
final class PackedNumbersTests: XCTestCase {
    /// Every number of the document in order, from either tree.
    func numbers(_ n: JSONNode) -> [Double] {
        switch n.value {
        case .numbers(let a): return a
        case .number(let v, _): return [v]
        case .array(let items): return items.flatMap(numbers)
        case .object(let members): return members.flatMap { numbers($0.value) }
        default: return []
        }
    }

    func both(_ text: String) -> (packed: (root: JSONNode?, error: JSONParser.SyntaxError?), plain: (root: JSONNode?, error: JSONParser.SyntaxError?)) {
        let p = JSONParser.parse(Array(text.utf8), packNumbers: true)
        let q = JSONParser.parse(Array(text.utf8))
        return ((p.root, p.error), (q.root, q.error))
    }

    func testNumberArraysArePackedWithTheSameBits() throws {
        let items = ["0", "-0", "0.0", "1", "-1", "0.1", "30.1343642441124", "27.120927819701162", "1e22", "1e23", "1E-22",
                     "4.94e-324", "1.7976931348623157e308", "9007199254740993", "1234567890123456789", "0.30000000000000004",
                     "2.5e+3", "1e0005", "-12.5e-2", "100e-2", "123456789012345678901234567890"]
        let text = "{\"t\": [" + items.joined(separator: ",\n  ") + " ], \"n\": [[1, 2], [3],[]]}"
        let (packed, plain) = both(text)
        XCTAssertNil(packed.error); XCTAssertNil(plain.error)
        guard case .numbers(let a)? = packed.root?["t"]?.value.value else { return XCTFail("t was not packed: \(String(describing: packed.root?["t"]?.value))") }
        XCTAssertEqual(a.map(\.bitPattern), items.map { Double($0)!.bitPattern })
        XCTAssertEqual(numbers(packed.root!).map(\.bitPattern), numbers(plain.root!).map(\.bitPattern))
        // Nested: the outer array holds arrays, each inner one is packed; an empty one stays an array.
        guard case .array(let outer)? = packed.root?["n"]?.value.value, outer.count == 3 else { return XCTFail("n") }
        if case .numbers(let first) = outer[0].value { XCTAssertEqual(first, [1, 2]) } else { XCTFail("[1, 2] not packed") }
        if case .array(let empty) = outer[2].value { XCTAssertTrue(empty.isEmpty) } else { XCTFail("[] changed kind") }
        // Items read back from a packed array carry the array's position and a source-like text.
        let expanded = try XCTUnwrap(outer[0].arrayItems)
        XCTAssertEqual(expanded.map(\.position), [outer[0].position, outer[0].position])
        if case .number(_, let raw) = expanded[0].value { XCTAssertEqual(raw, "1") } else { XCTFail() }
    }

    func testMixedArraysKeepEveryItemAndPosition() {
        let text = "[1, 2,\n \"x\", 3, [4], null]"
        let (packed, plain) = both(text)
        guard case .array(let a)? = packed.root?.value, case .array(let b)? = plain.root?.value else { return XCTFail("not arrays") }
        XCTAssertEqual(a.count, 6)
        XCTAssertEqual(a.map(\.position), b.map(\.position))
        XCTAssertEqual(a.map(\.kindName), b.map(\.kindName))
        XCTAssertEqual(numbers(packed.root!), [1, 2, 3, 4])
    }

    func testEveryBadArrayGetsTheSameError() {
        let bad = ["[1, 07]", "[1, 2,]", "[1 2]", "[1, 5m]", "[1, 5%]", "[1, -]", "[1, 1.]", "[1, 1e]", "[1, 1e+]", "[1, 1e999]",
                   "[1,", "[1", "[1, 2", "[-", "[0x10]", "[1, .5]", "[1, +1]", "[1, 2}", "[1, 2]]", "[1, NaN]", "[1, 2, \u{7}]",
                   "{\"a\": [3,\n 4,\n 05]}", "[[1, 2], [3, 4x]]", "[1,\n\n  2.5e3, -0.25,\n 1.2.3]", "[1, 2 // c\n]"]
        for text in bad {
            let (packed, plain) = both(text)
            XCTAssertNotNil(plain.error, text)
            XCTAssertEqual(packed.error, plain.error, text)
        }
    }

    func testRandomArraysMatch() {
        var rng = SystemRandomNumberGenerator()
        let spaces = ["", " ", "\n", "\t", "  \r\n "]
        for _ in 0..<300 {
            var parts: [String] = []
            for _ in 0..<Int.random(in: 1...40, using: &rng) {
                var n = Bool.random(using: &rng) ? "-" : ""
                n += String(Int.random(in: 0...999_999_999, using: &rng))
                if Bool.random(using: &rng) { n += "." + String(Int.random(in: 0...999_999, using: &rng)) }
                if Int.random(in: 0..<4, using: &rng) == 0 { n += "e" + String(Int.random(in: -320...308, using: &rng)) }
                parts.append(spaces.randomElement(using: &rng)! + n + spaces.randomElement(using: &rng)!)
            }
            let text = "[" + parts.joined(separator: ",") + "]"
            let (packed, plain) = both(text)
            XCTAssertEqual(packed.error, plain.error, text)
            guard let p = packed.root, let q = plain.root else { continue }
            XCTAssertEqual(numbers(p).map(\.bitPattern), numbers(q).map(\.bitPattern), text)
        }
    }
}
