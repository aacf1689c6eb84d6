import Foundation
import XCTest
@testable import CleanroomKit

/// CFormat.text writes what `String(format:)` writes, for every format the project uses.
final class CFormatTests: XCTestCase {
    func testSameTextAsFoundationForTheProjectsFormats() {
        let doubleFormats = ["%.0f", "%.1f", "%.2f", "%.3f", "%+.1f%%", ", %+.1f%%", "%.6g", "%.3g", "%g%%", "%g",
                             "%.4g", "%.1f %%", "  %8.3f ms  %+8.3f  "]
        var values: [Double] = [0, -0.0, 1, -1, 0.5, 1.5, 2.5, 0.125, 1e-7, 123456789.123, -9.995, 99.95, 1e300,
                                5e-324, 0.1 + 0.2, 1024, 1_048_576, 3.14159265358979, -2.675]
        var g = SystemRandomNumberGenerator()
        for _ in 0..<300 { values.append(Double.random(in: -1e6...1e6, using: &g)) }
        for _ in 0..<100 { values.append(Double(bitPattern: UInt64.random(in: 0...0x7FEF_FFFF_FFFF_FFFF, using: &g))) }
        // Two arguments each (the variadic path): a format reads what it names and leaves the rest, in both.
        for f in doubleFormats {
            for v in values {
                XCTAssertEqual(CFormat.text(f, v, -v), String(format: f, v, -v), "\(f) \(v)")
            }
        }
        // One Double (the fixed-signature path every number takes), below and above its 64-byte buffer.
        for f in doubleFormats where f != "  %8.3f ms  %+8.3f  " {
            for v in values {
                XCTAssertEqual(CFormat.text(f, v), String(format: f, v), "\(f) \(v)")
            }
        }
        XCTAssertEqual(CFormat.text("%.1f", 1e62).count, 65)
        XCTAssertEqual(CFormat.text("%.1f", 1e62), String(format: "%.1f", 1e62))
        for v in [1e61, 1e62, 1e63, 1e64] {   // 62, 63 (the buffer's last byte is the NUL), 64, 65 digits
            XCTAssertEqual(CFormat.text("%.0f", v), String(format: "%.0f", v), "\(v)")
        }
        for b in [UInt8(0), 7, 0x1F, 0x7F, 0x80, 0xFF] {
            XCTAssertEqual(CFormat.text("byte 0x%02X", b), String(format: "byte 0x%02X", b))
            XCTAssertEqual(CFormat.text("control character 0x%02X inside a string", b),
                           String(format: "control character 0x%02X inside a string", b))
        }
        for u in [UInt16(0), 0x1F, 0xD800, 0xFFFF] {
            XCTAssertEqual(CFormat.text("\\u%04x", u), String(format: "\\u%04x", u))
        }
        // Longer than the first buffer: rendered again at its length.
        XCTAssertEqual(CFormat.text("%.0f", 1e300), String(format: "%.0f", 1e300))
        XCTAssertEqual(CFormat.text("%.0f", 1e300).count, 301)
    }
}
