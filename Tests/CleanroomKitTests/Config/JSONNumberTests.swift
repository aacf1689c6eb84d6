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
        func fast(_ t: String) -> Double? { let b = Array(t.utf8); return JSONParser.exactDouble(b, 0, b.count) }
        XCTAssertEqual(fast("3.415"), 3.415)
        XCTAssertEqual(fast("-0")?.sign, .minus)
        XCTAssertNil(fast("9007199254740993"), "above 2^53: strtod rounds it")
        XCTAssertNil(fast("1e23"), "10^23 is not an exact double")
        XCTAssertNil(fast("1234567890123456789"), "19 digits")
    }
}
