import Foundation
import XCTest
@testable import CleanroomKit

/// Report timestamps moved from ISO8601DateFormatter (ICU) to FoundationEssentials' ISO 8601 style:
/// the same text for every millisecond-exact time, and the same times read back.
final class TimestampsTests: XCTestCase {
    func testTheSameTextAsTheFormatterItReplaced() {
        let old = ISO8601DateFormatter()
        old.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let oldWhole = ISO8601DateFormatter()
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let ms = Int64.random(in: 0...9_000_000_000_000, using: &rng)
            let d = Date(timeIntervalSince1970: Double(ms) / 1000 + Double.random(in: -0.001...0.001, using: &rng))
            XCTAssertEqual(Timestamps.iso8601(d), old.string(from: d), "\(ms) ms")
            let s = Date(timeIntervalSince1970: Double(ms) / 1000)
            XCTAssertEqual(Timestamps.iso8601Seconds(s), oldWhole.string(from: s), "\(ms / 1000) s")
            XCTAssertEqual(Timestamps.date(Timestamps.iso8601(d))!.timeIntervalSince1970, d.timeIntervalSince1970, accuracy: 0.000501)
        }
        // Rounded to the millisecond like the formatter, into the next second too.
        XCTAssertEqual(Timestamps.iso8601(Date(timeIntervalSince1970: 1_796_310_616.9996)), "2026-12-03T15:10:17.000Z")
        XCTAssertEqual(Timestamps.iso8601(Date(timeIntervalSince1970: 1_549_797_844.419)), "2019-02-10T11:24:04.419Z")
    }

    func testReadsWhatReportsHold() {
        XCTAssertEqual(Timestamps.date("2026-12-03T15:10:16Z")?.timeIntervalSince1970, 1_796_310_616)
        XCTAssertEqual(Timestamps.date("2026-12-03T15:10:16.250Z")?.timeIntervalSince1970, 1_796_310_616.25)
        XCTAssertEqual(Timestamps.date("2026-12-03T15:10:16+01:00")?.timeIntervalSince1970, 1_796_307_016)
        XCTAssertEqual(HistoryTime.epoch("2026-12-03T15:10:16.5Z"), 1_796_310_616.5)
        for bad in ["", "garbage", "2026-12-03 15:10:16Z", "2026-13-03T15:10:16Z", "2026-12-03T25:10:16Z", "2026-12-03",
                    "2026-04-31T00:00:00Z", "2026-12-03T15:10:16.Z", "2026-12-03T15:10:16", "2026-12-03T15:10:16Zx", "2026-12-03T15:10:16+1:00"] {
            XCTAssertNil(Timestamps.date(bad), bad)
        }
        XCTAssertEqual(HTMLReport.duration("2026-12-03T15:10:16Z", "2026-12-03T15:10:18.500Z"), 2.5)
        XCTAssertNil(HTMLReport.duration("2026-12-03T15:10:18Z", "2026-12-03T15:10:16Z"))
    }
}
