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

extension JSONParser {
    /// A number's digits as an integer mantissa and a power of ten (for `exactValue`), or where
    /// RFC 8259's grammar broke. The cursor stops after what was read.
    enum NumberScan {
        case parts(negative: Bool, mantissa: UInt64, digits: Int, scale: Int, exponent: UInt64,
                   exponentNegative: Bool, exponentDigits: Int)
        case noDigitAfterMinus, leadingZero, noDigitAfterPoint, noDigitAfterExponent
    }

    /// Scans one number from the cursor (at a '-' or a digit). Its bytes are ASCII and never a
    /// line break: the column moves one per byte.
    mutating func scanNumber() -> NumberScan {
        func digitHere() -> Bool { i < bytes.count && (bytes[i] &- 0x30) < 10 }
        var mantissa: UInt64 = 0, digits = 0, scale = 0, exponent: UInt64 = 0, exponentDigits = 0
        let negative = i < bytes.count && bytes[i] == UInt8(ascii: "-")
        var exponentNegative = false
        if negative { i += 1; column += 1 }
        guard digitHere() else { return .noDigitAfterMinus }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1; column += 1
            if digitHere() { return .leadingZero }
        } else {
            scanDigits(&mantissa, &digits)
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1; column += 1
            guard digitHere() else { return .noDigitAfterPoint }
            let before = digits
            scanDigits(&mantissa, &digits)
            scale = digits - before
        }
        if i < bytes.count, bytes[i] | 0x20 == UInt8(ascii: "e") {
            i += 1; column += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
                exponentNegative = bytes[i] == UInt8(ascii: "-")
                i += 1; column += 1
            }
            guard digitHere() else { return .noDigitAfterExponent }
            scanDigits(&exponent, &exponentDigits)
        }
        return .parts(negative: negative, mantissa: mantissa, digits: digits, scale: scale, exponent: exponent,
                      exponentNegative: exponentNegative, exponentDigits: exponentDigits)
    }

    /// The double of scanned parts whose text is `bytes[start..<i]`: exact without strtod where
    /// `exactValue` can, else strtod; nil when out of range.
    func numberValue(_ scan: NumberScan, from start: Int) -> Double? {
        guard case .parts(let negative, let mantissa, let digits, let scale, let exponent, let exponentNegative, let exponentDigits) = scan else { return nil }
        // Up to 18 digits cannot have wrapped the UInt64; 4 exponent digits cannot wrap an Int.
        if digits <= 18, exponentDigits <= 4,
           let v = JSONParser.exactValue(mantissa, power: (exponentNegative ? -Int(exponent) : Int(exponent)) - scale) {
            return negative ? -v : v
        }
        guard let v = Double(String(decoding: bytes[start..<i], as: UTF8.self)), v.isFinite else { return nil }
        return v
    }

    mutating func parseNumber() throws -> JSONValue {
        let start = i
        let startPos = here
        let scan = scanNumber()
        switch scan {
        case .noDigitAfterMinus: throw fail("invalid number: a digit must follow '-'", hint: "e.g. -1.5", at: startPos)
        case .leadingZero: throw fail("invalid number: leading zeros are not allowed", hint: "write 7, not 07", at: startPos)
        case .noDigitAfterPoint: throw fail("invalid number: a digit must follow '.'", hint: "write 1.0, not 1.", at: startPos)
        case .noDigitAfterExponent: throw fail("invalid number: a digit must follow the exponent", hint: "e.g. 1e6", at: startPos)
        case .parts: break
        }
        // A unit glued to a number (`"timeout": 5m`) is a common slip: say what to do.
        if i < bytes.count, (bytes[i] >= 0x41 && bytes[i] <= 0x5A) || (bytes[i] >= 0x61 && bytes[i] <= 0x7A) || bytes[i] == UInt8(ascii: "%") {
            var j = i
            while j < bytes.count, (bytes[j] >= 0x41 && bytes[j] <= 0x5A) || (bytes[j] >= 0x61 && bytes[j] <= 0x7A) || bytes[j] == UInt8(ascii: "/") || bytes[j] == UInt8(ascii: "%") { j += 1 }
            let text = String(decoding: bytes[start..<j], as: UTF8.self)
            throw fail("a number with a unit must be a string", hint: "write \"\(text)\"", at: startPos)
        }
        let raw = String(decoding: bytes[start..<i], as: UTF8.self)
        guard let v = numberValue(scan, from: start) else {
            throw fail("number \(raw) is out of range", hint: nil, at: startPos)
        }
        return .number(v, raw: raw)
    }

    /// Reads a run of digits into `value` (wrapping: the caller checks `count`). Digits are one
    /// byte each and never a line break: the column moves by their count.
    mutating func scanDigits(_ value: inout UInt64, _ count: inout Int) {
        let from = i
        while i < bytes.count {
            let d = bytes[i] &- 0x30
            guard d < 10 else { break }
            value = value &* 10 &+ UInt64(d)
            i += 1
        }
        count += i - from
        column += i - from
    }

    /// An array of numbers only, read straight into doubles: no node, position or source text per
    /// item (a report's sample series are most of its bytes; each node was ~48 bytes and a string).
    /// nil when an item is not a number or anything would be an error: the caller then reads the
    /// array again item by item, so what is accepted and every message stay the same.
    mutating func packedNumbers() -> [Double]? {
        numberScratch.removeAll(keepingCapacity: true)
        while true {
            let start = i
            let scan = scanNumber()
            // Only a separator may follow (a unit glued on, or garbage: parseNumber words the error).
            guard i < bytes.count else { return nil }
            switch bytes[i] {
            case UInt8(ascii: ","), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D: break
            default: return nil
            }
            guard let v = numberValue(scan, from: start) else { return nil }
            numberScratch.append(v)
            skipWhitespace()
            guard i < bytes.count else { return nil }
            if bytes[i] == UInt8(ascii: ",") { advance(); skipWhitespace(); continue }
            if bytes[i] == UInt8(ascii: "]") { advance(); return Array(numberScratch) }
            return nil
        }
    }
}
