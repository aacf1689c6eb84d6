/// Numbers of the positioned parser (JSONParser) read without strtod where that is exact.
extension JSONParser {
    static let powersOfTen: [Double] = (0...22).map { Double("1e\($0)")! }

    /// The value of a checked JSON number in `b[start..<end]` without strtod, when it is exact:
    /// at most 2^53 as an integer mantissa and a power of ten up to 10^22 (both exact doubles, so one
    /// IEEE multiplication or division rounds correctly, the same double strtod gives — Clinger's
    /// fast path). Most figures in a report are such; nil sends the rest to strtod. Half the time of
    /// reading a big report.json went to strtod (docs/BENCHMARKS.md "Report decoding").
    static func exactDouble(_ b: [UInt8], _ start: Int, _ end: Int) -> Double? {
        var k = start
        let negative = b[k] == UInt8(ascii: "-")
        if negative { k += 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var scale = 0
        var inFraction = false
        while k < end {
            let c = b[k]
            if c &- 0x30 < 10 {
                digits += 1
                if digits > 18 { return nil }   // UInt64 cannot overflow below 19 digits
                mantissa = mantissa * 10 + UInt64(c &- 0x30)
                if inFraction { scale += 1 }
            } else if c == UInt8(ascii: ".") {
                inFraction = true
            } else {
                break   // 'e' or 'E'
            }
            k += 1
        }
        var exponent = 0
        if k < end {
            k += 1
            var expNegative = false
            if b[k] == UInt8(ascii: "-") { expNegative = true; k += 1 } else if b[k] == UInt8(ascii: "+") { k += 1 }
            if end - k > 3 { return nil }
            while k < end { exponent = exponent * 10 + Int(b[k] &- 0x30); k += 1 }
            if expNegative { exponent = -exponent }
        }
        guard mantissa <= 1 << 53 else { return nil }
        let power = exponent - scale
        let m = Double(mantissa)
        let v: Double
        if mantissa == 0 { v = 0 } else if power >= 0 && power <= 22 { v = m * powersOfTen[power] } else if power < 0 && power >= -22 { v = m / powersOfTen[-power] } else { return nil }
        return negative ? -v : v
    }
}
