import Foundation
import XCTest
@testable import CleanroomKit

/// BoundedRead reads through an uninitialised 64 KiB chunk: every byte must still be the file's,
/// across chunk boundaries, and nothing past the limit.
final class BoundedReadTests: XCTestCase {
    private func file(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "/cleanroom-boundedread-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        addTeardownBlock { unlink(path) }
        return path
    }

    func testEveryByteAcrossChunksAndNothingPastTheLimit() throws {
        // A pattern that differs from its neighbour at every offset and is never all zeros, so a
        // byte taken from the chunk's old contents (or left unset) cannot pass for the file's.
        let size = 3 * 65536 + 7
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ ($0 >> 16) &+ 1) }
        let path = try file(bytes)
        XCTAssertEqual(try BoundedRead.prefix(path, upTo: size + 10, what: "test", followingLinks: false), bytes)
        XCTAssertEqual(try BoundedRead.prefix(path, upTo: 65536 + 3, what: "test", followingLinks: false),
                       Array(bytes.prefix(65536 + 3)))
        XCTAssertEqual(try BoundedRead.prefix(path, upTo: 5, what: "test", followingLinks: false), Array(bytes.prefix(5)))
    }

    func testAnEmptyFileIsEmpty() throws {
        XCTAssertEqual(try BoundedRead.prefix(try file([]), upTo: 1 << 20, what: "test", followingLinks: false), [])
    }
}
