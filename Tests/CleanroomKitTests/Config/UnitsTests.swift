import XCTest
@testable import CleanroomKit

private typealias Dim = CleanroomKit.Dimension

private struct Row { let text: String; let value: Double; let dim: Dim; init(_ t: String, _ v: Double, _ d: Dim) { text = t; value = v; dim = d } }

final class UnitsTests: XCTestCase {
    /// Every unit of the contract, with its value in the base unit (s, B, B/s, %).
    func testEveryUnitConvertsToItsBaseUnit() throws {
        let table: [Row] = [
            Row("5ns", 5e-9, .duration), Row("5us", 5e-6, .duration), Row("5µs", 5e-6, .duration), Row("5ms", 0.005, .duration),
            Row("5s", 5, .duration), Row("5m", 300, .duration), Row("5h", 18_000, .duration), Row("1.5s", 1.5, .duration),
            Row("1e3ms", 1, .duration), Row("0.25h", 900, .duration),
            Row("7B", 7, .bytes), Row("2KB", 2_000, .bytes), Row("2MB", 2_000_000, .bytes), Row("2GB", 2_000_000_000, .bytes),
            Row("2TB", 2e12, .bytes),
            Row("2KiB", 2_048, .bytes), Row("2MiB", 2_097_152, .bytes), Row("2GiB", 2_147_483_648, .bytes),
            Row("1.5GiB", 1_610_612_736, .bytes), Row("1TiB", 1_099_511_627_776, .bytes),
            Row("20MB/s", 20_000_000, .rate), Row("20MiB/s", 20_971_520, .rate), Row("5KB/s", 5_000, .rate), Row("9B/s", 9, .rate),
            Row("80%", 80, .percent), Row("10 ms", 0.01, .duration), Row(" 3GB ", 3e9, .bytes),
        ]
        for row in table {
            let q = try Units.parse(row.text)
            XCTAssertEqual(q.dimension, row.dim, row.text)
            XCTAssertEqual(q.value, row.value, accuracy: abs(row.value) * 1e-12, row.text)
        }
    }

    func testDecimalAndBinaryDiffer() throws {
        XCTAssertEqual(try Units.parse("1MB").value, 1_000_000)
        XCTAssertEqual(try Units.parse("1MiB").value, 1_048_576)
        XCTAssertNotEqual(try Units.parse("1GB").value, try Units.parse("1GiB").value)
    }

    func testBareNumbersTakeTheExpectedBaseUnit() throws {
        XCTAssertNil(try Units.parse("42").dimension)
        XCTAssertEqual(try Units.parse("42").value, 42)
        XCTAssertEqual(try Units.parse("42", as: .bytes), 42)
        XCTAssertEqual(try Units.parse("0.5", as: .duration), 0.5)
        XCTAssertEqual(try Units.parse("-3", as: .count), -3)
        XCTAssertEqual(try Units.parse("80", as: .percent), 80)
    }

    func testUnknownUnitsHintTheRightSpelling() {
        let cases: [(String, String)] = [
            ("10 milliseconds", "try 10ms"), ("5 minutes", "try 5m"), ("3secs", "try 3s"), ("1gb", "try 1GB"),
            ("1Gib", "try 1GiB"), ("2 hours", "try 2h"), ("4mb/s", "try 4MB/s"), ("10 bytes", "try 10B"),
        ]
        for (text, hint) in cases {
            XCTAssertThrowsError(try Units.parse(text), text) { error in
                let e = error as! UnitError
                XCTAssertTrue(e.message.hasPrefix("unknown unit"), "\(text): \(e.message)")
                XCTAssertEqual(e.hint, hint, text)
            }
        }
    }

    func testUnknownUnitOffsetPointsAtTheUnit() {
        XCTAssertThrowsError(try Units.parse("10 milliseconds")) { XCTAssertEqual(($0 as! UnitError).offset, 3) }
        XCTAssertThrowsError(try Units.parse("  5 minutes")) { XCTAssertEqual(($0 as! UnitError).offset, 4) }
    }

    func testNotANumber() {
        for text in ["", "fast", "ms", "--1", "."] {
            XCTAssertThrowsError(try Units.parse(text), text) { error in
                XCTAssertEqual((error as! UnitError).hint, "e.g. 250ms, 512MiB, 1.5, 20MB/s", text)
            }
        }
    }

    func testDecimalCommaIsCaught() {
        XCTAssertThrowsError(try Units.parse("1,5s")) { XCTAssertEqual(($0 as! UnitError).hint, "write 1.5s") }
    }

    func testDimensionMismatchNamesTheExpectedDimension() {
        XCTAssertThrowsError(try Units.parse("20MB", as: .rate)) { error in
            let e = error as! UnitError
            XCTAssertEqual(e.message, "\"20MB\" is a size, expected a rate")
            XCTAssertEqual(e.hint, "e.g. 20MB/s")
            XCTAssertEqual(e.offset, 2)
        }
        XCTAssertThrowsError(try Units.parse("10s", as: .bytes)) { error in
            XCTAssertEqual((error as! UnitError).hint, "e.g. 512MiB, 2GB")
        }
    }

    func testEditDistance() {
        XCTAssertEqual(Units.editDistance("repat", "repeat"), 1)
        XCTAssertEqual(Units.editDistance("", "abc"), 3)
        XCTAssertEqual(Units.editDistance("kitten", "sitting"), 3)
        XCTAssertEqual(Units.editDistance("same", "same"), 0)
    }

    func testFormatRoundTripsThroughParse() throws {
        let cases: [(Double, Dim)] = [(1.5, .duration), (0.25, .duration), (1_048_576, .bytes), (3 * 1_073_741_824, .bytes), (20_971_520, .rate)]
        for (value, dim) in cases {
            let text = Units.format(value, dim)
            XCTAssertEqual(try Units.parse(text, as: dim), value, accuracy: value * 0.01, text)
        }
        XCTAssertEqual(Units.format(1.5, .duration), "1.50s")
        XCTAssertEqual(Units.format(1_048_576, .bytes), "1MiB")
    }
}
