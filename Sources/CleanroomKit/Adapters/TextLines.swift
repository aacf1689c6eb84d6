import Foundation

/// Small helpers the line-oriented formats share.
enum TextLines {
    static func lines(_ data: Data) -> [Substring] {
        String(decoding: data, as: UTF8.self).split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
    }

    /// Whitespace-separated fields.
    static func fields(_ line: Substring) -> [Substring] { line.split(whereSeparator: { $0 == " " || $0 == "\t" }) }

    /// `3.62ms`, `44.21us`, `1.2s`, `500.00ns` → seconds; also wrk's `m` and `h` suffixes.
    static func duration(_ text: Substring) -> Double? {
        var unitStart = text.endIndex
        while unitStart > text.startIndex, let c = text[text.index(before: unitStart)].asciiValue, (c >= 97 && c <= 122) || c == 0xB5 {
            unitStart = text.index(before: unitStart)
        }
        let unitText = text[unitStart...]
        guard let n = Double(text[..<unitStart]), let f = Units.durations[String(unitText)] else { return nil }
        return n * f
    }

    /// `348.83KB`, `1.21MB`, `512B`, `2.5GB` as wrk prints them (powers of 1024, like wrk's own formatting).
    static func binarySize(_ text: Substring) -> Double? {
        let suffixes: [(String, Double)] = [("TB", 1_099_511_627_776), ("GB", 1_073_741_824), ("MB", 1_048_576), ("KB", 1024), ("B", 1)]
        for (s, f) in suffixes where text.hasSuffix(s) {
            return Double(text.dropLast(s.count)).map { $0 * f }
        }
        return Double(text)
    }

    /// `0.89k`, `1.19M`, `247.07` as wrk prints counts.
    static func metricCount(_ text: Substring) -> Double? {
        if text.hasSuffix("k") { return Double(text.dropLast()).map { $0 * 1e3 } }
        if text.hasSuffix("M") { return Double(text.dropLast()).map { $0 * 1e6 } }
        if text.hasSuffix("G") { return Double(text.dropLast()).map { $0 * 1e9 } }
        return Double(text)
    }

    /// Fields of one CSV line (RFC 4180 quoting).
    static func csv(_ line: Substring) -> [String] {
        var out: [String] = [], cur = "", quoted = false
        var it = line.makeIterator()
        var pending: Character? = nil
        while let c = pending ?? it.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let n = it.next() { if n == "\"" { cur.append("\"") } else { quoted = false; pending = n } }
                    else { quoted = false }
                } else { cur.append(c) }
            } else if c == "\"" { quoted = true }
            else if c == "," { out.append(cur); cur = "" }
            else if c != "\r" { cur.append(c) }
        }
        out.append(cur)
        return out
    }
}
