/// Foundation's `trimmingCharacters(in: .whitespaces)` in the standard library alone: the config
/// and unit parsers run on every `cleanroom exec`, and Foundation's version goes through NSString,
/// whose first use in a process looks protocol conformances up at run time (a scan of the whole
/// binary's table; docs/BENCHMARKS.md "Where exec's time goes").
extension String {
    /// Tab, the Unicode space separators (category Zs) and U+200B ZERO WIDTH SPACE: the
    /// characters of `CharacterSet.whitespaces` on Linux (CoreFoundation's list). Not newlines.
    static func isBlank(_ u: Unicode.Scalar) -> Bool {
        u == "\t" || u == "\u{200B}" || u.properties.generalCategory == .spaceSeparator
    }

    /// Without its leading and trailing blanks.
    var trimmingBlanks: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !String.isBlank($0) }),
              let last = scalars.lastIndex(where: { !String.isBlank($0) }) else { return "" }
        return String(scalars[first...last])
    }

    /// Empty, or blanks only.
    var isBlank: Bool { unicodeScalars.allSatisfy(String.isBlank) }
}
