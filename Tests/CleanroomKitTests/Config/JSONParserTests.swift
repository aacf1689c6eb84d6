import XCTest
@testable import CleanroomKit

final class JSONParserTests: XCTestCase {
    private func syntaxError(_ text: String) -> JSONParser.SyntaxError? {
        JSONParser.parse(Array(text.utf8)).error
    }

    func testValuesAndPositions() throws {
        let r = JSONParser.parse(Array("{\n  \"a\": [1, \"x\\n\", true, null],\n  \"é\": -2.5e1\n}".utf8))
        XCTAssertNil(r.error)
        let root = try XCTUnwrap(r.root)
        guard case .array(let items) = try XCTUnwrap(root["a"]).value.value else { return XCTFail("not an array") }
        XCTAssertEqual(items.count, 4)
        XCTAssertEqual(items[1].position, SourcePosition(offset: 13, line: 2, column: 12))
        if case .string(let s, let verbatim) = items[1].value { XCTAssertEqual(s, "x\n"); XCTAssertFalse(verbatim) } else { XCTFail() }
        let e = try XCTUnwrap(root["é"])
        XCTAssertEqual(e.keyPosition.line, 3)
        XCTAssertEqual(e.keyPosition.column, 3)
        // The column after a two-byte character counts it once.
        XCTAssertEqual(e.value.position.column, 8)
        if case .number(let v, let raw) = e.value.value { XCTAssertEqual(v, -25); XCTAssertEqual(raw, "-2.5e1") } else { XCTFail() }
    }

    func testSyntaxErrorsHaveLineAndColumn() {
        let table: [(String, Int, Int, String)] = [
            ("{\n  \"a\": 1,\n}", 3, 1, "trailing comma"),
            ("{\"a\": 1 \"b\": 2}", 1, 9, "expected ',' or '}'"),
            ("{\n\n   \"a\" 1}", 3, 8, "expected ':'"),
            ("[1, 2", 1, 6, "end of file inside an array"),
            ("{\"a\": 'x'}", 1, 7, "double quotes"),
            ("{\"a\": tru}", 1, 7, "expected true"),
            ("{\"a\": 01}", 1, 7, "leading zeros"),
            ("{\"a\": \"x\ny\"}", 1, 9, "line break inside a string"),
            ("{\"a\": \"\\q\"}", 1, 8, "invalid escape"),
            ("{\"timeout\": 5m}", 1, 13, "a number with a unit must be a string"),
            ("{} {}", 1, 4, "after the end of the document"),
            ("{\"a\": 1} // c", 1, 10, "after the end"),
            ("{\"a\": \"\\ud800\"}", 1, 8, "unpaired surrogate"),
            ("  \n ", 2, 2, "the file is empty"),
        ]
        for (text, line, column, fragment) in table {
            guard let e = syntaxError(text) else { XCTFail("no error for \(text)"); continue }
            XCTAssertEqual(e.position.line, line, text)
            XCTAssertEqual(e.position.column, column, text)
            XCTAssertTrue(e.message.contains(fragment), "\(text): \(e.message)")
        }
    }

    func testInvalidUTF8IsReportedWhereItIs() {
        let bytes: [UInt8] = Array("{\"a\":\n \"".utf8) + [0xC3, 0x28] + Array("\"}".utf8)
        let e = JSONParser.parse(bytes).error
        XCTAssertEqual(e?.position.line, 2)
        XCTAssertEqual(e?.position.column, 3)
        XCTAssertEqual(e?.message, "invalid UTF-8 (byte 0xC3)")
        XCTAssertNil(JSONParser.firstInvalidUTF8(Array("héllo €𝄞".utf8)))
        XCTAssertEqual(JSONParser.firstInvalidUTF8([0x41, 0xED, 0xA0, 0x80]), 1) // an encoded surrogate
        XCTAssertEqual(JSONParser.firstInvalidUTF8([0xC0, 0x80]), 0) // overlong
        XCTAssertEqual(JSONParser.firstInvalidUTF8([0xE2, 0x82]), 0) // cut short
        // ASCII is skipped eight bytes at a time: a bad byte, a good sequence or a cut-short one
        // at every offset of a long run, from every starting point, is still found where it is.
        for at in 0..<40 {
            for from in 0...min(at, 9) {
                var bytes = [UInt8](repeating: 0x61, count: 48)
                bytes[at] = 0xFF
                XCTAssertEqual(JSONParser.firstInvalidUTF8(bytes, from: from), at, "0xFF at \(at) from \(from)")
                bytes.replaceSubrange(at..<at + 3, with: [0xE2, 0x82, 0xAC])
                XCTAssertNil(JSONParser.firstInvalidUTF8(bytes, from: from), "€ at \(at) from \(from)")
                XCTAssertEqual(JSONParser.firstInvalidUTF8(Array(bytes[..<(at + 2)]), from: from), at, "cut € at \(at)")
            }
        }
    }

    func testDeepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let e = syntaxError(deep)
        XCTAssertEqual(e?.message, "nesting deeper than 512 levels")
        XCTAssertEqual(e?.position.column, 513)
        let ok = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        XCTAssertNil(syntaxError(ok))
    }

    func testDuplicateKeysAreRecordedWithBothPositions() {
        let r = JSONParser.parse(Array("{\"a\": {\"x\": 1,\n \"x\": 2}}".utf8))
        XCTAssertNil(r.error)
        XCTAssertEqual(r.duplicates, [JSONParser.DuplicateKey(key: "x", path: "a.x", position: SourcePosition(offset: 16, line: 2, column: 2),
                                                              first: SourcePosition(offset: 7, line: 1, column: 8))])
    }

    func testSyntaxErrorPathSaysWhereInTheDocument() {
        let e = syntaxError("{\"workloads\": [{\"name\": \"a\"}, {\"command\": [1,]}]}")
        XCTAssertEqual(e?.path, "workloads[1].command[1]")
    }

    func testBOMIsSkipped() {
        XCTAssertNil(JSONParser.parse([0xEF, 0xBB, 0xBF] + Array("{}".utf8)).error)
    }
}
