/// Text from untrusted sources (workload names, commands, a service's output, error details
/// that quote them) made safe for a terminal: control characters — ESC, BEL, backspace, carriage
/// return, DEL and the C1 controls (a terminal treats U+009B as ESC [) — are shown as `\xNN`
/// escapes, so a workload cannot retitle the window, clear the screen or paint a fake verdict.
public enum ConsoleText {
    /// `keepNewlines` keeps line feeds and tabs (multi-line output such as a service's stderr).
    public static func escape(_ s: String, keepNewlines: Bool = false) -> String {
        guard s.unicodeScalars.contains(where: { needsEscape($0, keepNewlines: keepNewlines) }) else { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count + 8)
        for u in s.unicodeScalars {
            if needsEscape(u, keepNewlines: keepNewlines) {
                out += u.value <= 0xFF ? "\\x" + hex(u.value, 2) : "\\u{" + hex(u.value, 4) + "}"
            } else {
                out.unicodeScalars.append(u)
            }
        }
        return out
    }

    static func needsEscape(_ u: Unicode.Scalar, keepNewlines: Bool) -> Bool {
        let v = u.value
        if keepNewlines, v == 0x0A || v == 0x09 { return false }
        // C0, DEL, C1; and the bidi overrides that reorder what follows them on screen.
        return v < 0x20 || (0x7F...0x9F).contains(v) || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
    }

    private static func hex(_ v: UInt32, _ width: Int) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
}
