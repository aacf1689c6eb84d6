/// Numbers of the positioned parser (JSONParser) read without strtod where that is exact.
extension JSONParser {
    static let powersOfTen: [Double] = (0...22).map { Double("1e\($0)")! }

    /// `mantissa × 10^power` without strtod, when that is exact: a mantissa of at most 2^53 and a
    /// power of ten up to 10^22 are both exact doubles, so one IEEE multiplication or division rounds
    /// correctly, to the double strtod gives (Clinger's fast path). Most figures in a report are
    /// such; nil sends the rest to strtod, where half the time of reading a big report.json went
    /// (docs/BENCHMARKS.md "Report decoding").
    static func exactValue(_ mantissa: UInt64, power: Int) -> Double? {
        guard mantissa <= 1 << 53 else { return nil }
        if mantissa == 0 { return 0 }
        let m = Double(mantissa)
        if power >= 0 && power <= 22 { return m * powersOfTen[power] }
        if power < 0 && power >= -22 { return m / powersOfTen[-power] }
        return nil
    }
}
