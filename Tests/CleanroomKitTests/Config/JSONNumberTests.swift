import XCTest
@testable import CleanroomKit

/// The parser's strtod-free number path (JSONNumber.swift) must give the very double strtod gives,
/// bit for bit, or hand the number to strtod: a report's figures are read back through it.
final class JSONNumberTests: XCTestCase {
    func parsed(_ text: String) -> Double? {
        guard case .number(let v, let raw)? = JSONParser.parse(Array(text.utf8)).root?.value else { return nil }
        XCTAssertEqual(raw, text)
        return v
    }

    func testEdgeCasesMatchStrtod() {
        let cases = ["0", "-0", "0.0", "-0.0", "1", "-1", "0.1", "0.05", "3.415", "30.1343642441124", "27.120927819701162",
                     "200563972.0", "1e22", "1e23", "1E-22", "1e-23", "4.94e-324", "1.7976931348623157e308", "9007199254740992",
                     "9007199254740993", "123456789012345678", "1234567890123456789", "0.30000000000000004", "2.5e+3",
                     "1e0005", "-12.5e-2", "0.000000000000000000001", "100e-2"]
        for text in cases {
            let expected = Double(text)!
            let got = parsed(text)
            XCTAssertEqual(got?.bitPattern, expected.bitPattern, "\(text): \(String(describing: got)) vs strtod \(expected)")
        }
    }

    func testRandomNumbersMatchStrtod() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let intDigits = Int.random(in: 1...10, using: &rng)
            let fracDigits = Int.random(in: 0...12, using: &rng)
            var text = Bool.random(using: &rng) ? "-" : ""
            text += String(Int.random(in: 1...9, using: &rng))
            for _ in 1..<intDigits { text += String(Int.random(in: 0...9, using: &rng)) }
            if fracDigits > 0 {
                text += "."
                for _ in 0..<fracDigits { text += String(Int.random(in: 0...9, using: &rng)) }
            }
            if Int.random(in: 0..<4, using: &rng) == 0 { text += "e\(Int.random(in: -30...30, using: &rng))" }
            let expected = Double(text)!
            guard let got = parsed(text) else { return XCTFail("\(text) did not parse") }
            XCTAssertEqual(got.bitPattern, expected.bitPattern, "\(text)")
        }
    }

    func testTheFastPathIsTakenOnlyWhenExact() {
        XCTAssertEqual(JSONParser.exactValue(3415, power: -3), 3.415)
        XCTAssertEqual(JSONParser.exactValue(0, power: 400), 0)
        XCTAssertEqual(JSONParser.exactValue(1 << 53, power: 0), 9_007_199_254_740_992)
        XCTAssertNil(JSONParser.exactValue((1 << 53) + 1, power: 0), "above 2^53: strtod rounds it")
        XCTAssertNil(JSONParser.exactValue(1, power: 23), "10^23 is not an exact double")
        XCTAssertNil(JSONParser.exactValue(1, power: -23))
    }

    func testPositionsAndPathsStayRightAroundNumbers() {
        let r = JSONParser.parse(Array("{\"a\": [1, 2.5e3,\n  -0.25, [7]], \"b\": 12x}".utf8))
        XCTAssertEqual(r.error?.position.line, 2)
        XCTAssertEqual(r.error?.path, "b")
        XCTAssertEqual(r.error?.message, "a number with a unit must be a string")
        guard case .object(let m)? = JSONParser.parse(Array("{\"a\": [1, 2.5e3,\n  -0.25, [7]]}".utf8)).root?.value,
              case .array(let items) = m[0].value.value else { return XCTFail("not parsed") }
        XCTAssertEqual(items.map(\.position.column), [8, 11, 3, 10])
        XCTAssertEqual(items.map(\.position.line), [1, 1, 2, 2])
        guard case .number(let v, _) = items[2].value, case .array(let inner) = items[3].value else { return XCTFail("kinds") }
        XCTAssertEqual(v, -0.25)
        XCTAssertEqual(inner.count, 1)
    }
}
