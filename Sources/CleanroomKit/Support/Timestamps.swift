import Foundation

/// Report timestamps (RFC 3339, UTC): written with milliseconds, read with or without a fraction
/// and with `Z` or an offset. Done with gmtime_r/timegm rather than `ISO8601DateFormatter`, which
/// goes through CFDateFormatter into ICU: its locale and calendar set-up paged in ~1.5 MB of code
/// and data in every `run` (docs/BENCHMARKS.md "Peak RSS"). The text is the formatter's, rounding
/// to the millisecond included (TimestampsTests compares them); FoundationEssentials' ISO 8601
/// style truncates the binary fraction instead (…16.419 written as …16.418).
enum Timestamps {
    /// `2026-12-03T15:10:16.123Z`.
    static func iso8601(_ d: Date) -> String {
        let (seconds, ms) = split(d)
        return civil(seconds) + "." + pad(ms, 3) + "Z"
    }

    /// `2026-12-03T15:10:16Z` (the output lock's "started"): the millisecond, rounded, cut off.
    static func iso8601Seconds(_ d: Date) -> String { civil(split(d).seconds) + "Z" }

    /// Rounded to the millisecond, then whole seconds (floored, also before 1970) and the rest.
    private static func split(_ d: Date) -> (seconds: Int64, ms: Int) {
        let total = Int64((d.timeIntervalSince1970 * 1000).rounded())
        let ms = ((total % 1000) + 1000) % 1000
        return ((total - ms) / 1000, Int(ms))
    }

    private static func civil(_ seconds: Int64) -> String {
        var t = time_t(seconds), tm = tm()
        guard gmtime_r(&t, &tm) != nil else { return "1970-01-01T00:00:00" }
        return pad(Int(tm.tm_year) + 1900, 4) + "-" + pad(Int(tm.tm_mon) + 1, 2) + "-" + pad(Int(tm.tm_mday), 2)
            + "T" + pad(Int(tm.tm_hour), 2) + ":" + pad(Int(tm.tm_min), 2) + ":" + pad(Int(tm.tm_sec), 2)
    }

    private static func pad(_ v: Int, _ width: Int) -> String {
        let digits = String(v)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, fields in range, or nil.
    static func date(_ text: String) -> Date? {
        let b = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var v = 0
            for k in from..<from + count {
                guard b[k] >= 0x30, b[k] <= 0x39 else { return nil }
                v = v * 10 + Int(b[k] - 0x30)
            }
            return v
        }
        func byte(_ k: Int, _ c: Character) -> Bool { k < b.count && b[k] == c.asciiValue! }
        guard let year = number(0, 4), byte(4, "-"), let month = number(5, 2), byte(7, "-"), let day = number(8, 2),
              byte(10, "T") || byte(10, "t"), let hour = number(11, 2), byte(13, ":"), let minute = number(14, 2),
              byte(16, ":"), let second = number(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var k = 19
        var fraction = 0.0
        if byte(k, ".") {
            var scale = 0.1
            k += 1
            let start = k
            while let d = number(k, 1) { fraction += Double(d) * scale; scale /= 10; k += 1 }
            guard k > start else { return nil }
        }
        var offset = 0
        if byte(k, "Z") || byte(k, "z") {
            k += 1
        } else if byte(k, "+") || byte(k, "-") {
            guard let h = number(k + 1, 2), byte(k + 3, ":"), let m = number(k + 4, 2), h < 24, m < 60 else { return nil }
            offset = (h * 3600 + m * 60) * (byte(k, "-") ? -1 : 1)
            k += 6
        } else {
            return nil
        }
        guard k == b.count else { return nil }
        var tm = tm()
        tm.tm_year = Int32(year - 1900); tm.tm_mon = Int32(month - 1); tm.tm_mday = Int32(day)
        tm.tm_hour = Int32(hour); tm.tm_min = Int32(minute); tm.tm_sec = Int32(second)
        let t = timegm(&tm)
        guard tm.tm_mday == Int32(day) else { return nil }   // 31 April rolled into May
        return Date(timeIntervalSince1970: Double(t - offset) + fraction)
    }
}
