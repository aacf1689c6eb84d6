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

    func testSpaceAndNewlinesAgreeWithFoundation() {
        let cases = ["", " ", "\n", "\r\n x \n", "0\n", "  frozen\n\r", "\u{85}a\u{2028}", "\u{2029}\t b \u{0B}\u{0C}",
                     "\u{00A0}x\u{3000}", "é\n", "\n🙂\n", "a\nb"]
        for s in cases {
            XCTAssertEqual(s.trimmingSpaceAndNewlines, s.trimmingCharacters(in: .whitespacesAndNewlines), s.debugDescription)
        }
        var differ: [String] = []
        for v in UInt32(0)...0xFFFF {
            guard let u = Unicode.Scalar(v) else { continue }
            let foundation = String(u).trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            if String.isSpaceOrNewline(u) != foundation { differ.append(String(v, radix: 16)) }
        }
        XCTAssertEqual(differ, [])
    }

    func testAppendingANameAgreesWithNSString() {
        for dir in ["", "/", "//", "out", "out/", "out//", "/tmp/x", "/tmp/x/", "./rel", "a/./b", "../up"] {
            for name in ["report.json", ".cleanroom.lock"] {
                XCTAssertEqual(dir.appendingPathComponentName(name), (dir as NSString).appendingPathComponent(name),
                               "\(dir.debugDescription) + \(name)")
            }
        }
    }
}
