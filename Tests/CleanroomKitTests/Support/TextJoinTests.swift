import XCTest
@testable import CleanroomKit

/// joinedText writes what the standard library's joined(separator:) writes.
final class TextJoinTests: XCTestCase {
    func testSameTextAsJoined() {
        let cases: [[String]] = [[], [""], ["a"], ["a", "b"], ["", "", ""], ["x·y", "", "é", "long text with spaces"]]
        for parts in cases {
            for sep in ["", " ", ", ", " · ", "/"] {
                XCTAssertEqual(parts.joinedText(separator: sep), parts.joined(separator: sep), "\(parts) \(sep)")
                let subs = parts.map { Substring($0) }
                XCTAssertEqual(subs.joinedText(separator: sep), subs.joined(separator: sep), "\(parts) \(sep)")
            }
        }
        let path = "/a//b/./c/"
        XCTAssertEqual(path.split(separator: "/").joinedText(separator: "/"), "a/b/./c")
    }
}
