import Foundation
import XCTest
@testable import CleanroomKit

/// `trimmingBlanks`/`isBlank` say what Foundation's `.whitespaces` trimming says (they replaced it
/// on the config path), checked against Foundation itself.
final class BlanksTests: XCTestCase {
    func testTheyAgreeWithFoundationsWhitespaces() {
        let cases = ["", " ", "\t", "\u{00A0}", "\u{2003}x\u{3000}", " 5 MiB\t", "\n", "\r\n x \n", "a b", "\u{200B}",
                     "\t\u{1680} tab and ogham \u{202F}", "é ", " 🙂 "]
        for s in cases {
            XCTAssertEqual(s.trimmingBlanks, s.trimmingCharacters(in: .whitespaces), s.debugDescription)
            XCTAssertEqual(s.isBlank, s.trimmingCharacters(in: .whitespaces).isEmpty, s.debugDescription)
        }
        // Every scalar of the Basic Multilingual Plane, alone.
        var differ: [String] = []
        for v in UInt32(0)...0xFFFF {
            guard let u = Unicode.Scalar(v) else { continue }
            if String.isBlank(u) != String(u).trimmingCharacters(in: .whitespaces).isEmpty { differ.append(String(v, radix: 16)) }
        }
        XCTAssertEqual(differ, [])
    }
}
