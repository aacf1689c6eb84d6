/// The positioned parser's up-front check that a document is UTF-8 (JSONParser.parseDocument).
extension JSONParser {
    /// Index of the first byte that breaks UTF-8 (overlongs, surrogates and > U+10FFFF included).
    static func firstInvalidUTF8(_ bytes: [UInt8], from start: Int = 0) -> Int? {
        bytes.withUnsafeBufferPointer { firstInvalidUTF8(in: $0, from: start) }
    }

    private static func firstInvalidUTF8(in b: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var k = start
        while k < b.count {
            // ASCII (nearly all of a report) eight bytes at a time.
            if k + 8 <= b.count,
               UnsafeRawPointer(b.baseAddress! + k).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                k += 8
                continue
            }
            let c = b[k]
            if c < 0x80 { k += 1; continue }
            var need = 0
            var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
            switch c {
            case 0xC2...0xDF: need = 1
            case 0xE0: need = 2; lo = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: need = 2
            case 0xED: need = 2; hi = 0x9F
            case 0xF0: need = 3; lo = 0x90
            case 0xF1...0xF3: need = 3
            case 0xF4: need = 3; hi = 0x8F
            default: return k
            }
            guard k + need < b.count else { return k }
            if b[k + 1] < lo || b[k + 1] > hi { return k }
            for n in 1..<need + 1 where n > 1 {
                if b[k + n] & 0xC0 != 0x80 { return k }
            }
            k += need + 1
        }
        return nil
    }
}
