import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import CleanroomKit

/// Sources/CSpawn/glibc_compat.c: the arc4random the statically linked C++ runtime binds to, so
/// that the binary imports nothing newer than glibc 2.35 (Tests/dist/run checks the imports).
final class GlibcCompatTests: XCTestCase {
    func testArc4randomIsOursAndUniform() throws {
        // Bound in the executable (this test binary links CSpawn), not in libc.so.6.
        let fn = UInt(bitPattern: unsafeBitCast(arc4random as @convention(c) () -> UInt32, to: UnsafeRawPointer.self))
        let maps = try String(contentsOfFile: "/proc/self/maps", encoding: .utf8)
        let object = maps.split(separator: "\n").first { line in
            let range = line.prefix { $0 != " " }.split(separator: "-").compactMap { UInt($0, radix: 16) }
            return range.count == 2 && range[0] <= fn && fn < range[1]
        }.map { String($0.split(separator: " ", omittingEmptySubsequences: true).last ?? "") }
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        XCTAssertEqual(object, exe, "arc4random resolved outside the executable")

        // Each bit set in half the draws: 64 000 draws, binomial σ 0.2 %, allowed ±1.5 %.
        let draws = 64_000
        var ones = [Int](repeating: 0, count: 32)
        var repeats = 0, previous: UInt32 = 0
        for _ in 0..<draws {
            let v = arc4random()
            if v == previous { repeats += 1 }
            previous = v
            for bit in 0..<32 where v & (1 << bit) != 0 { ones[bit] += 1 }
        }
        for (bit, n) in ones.enumerated() {
            XCTAssertEqual(Double(n) / Double(draws), 0.5, accuracy: 0.015, "bit \(bit)")
        }
        XCTAssertLessThanOrEqual(repeats, 2, "consecutive equal 32-bit draws")
    }
}
