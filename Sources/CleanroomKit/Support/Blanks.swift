/// Foundation's `trimmingCharacters(in: .whitespaces)` (and `.whitespacesAndNewlines`, and
/// NSString's `appendingPathComponent`) in the standard library alone: the config
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
    var trimmingBlanks: String { trimming(String.isBlank) }

    /// Without the leading and trailing scalars `trimmed` says yes to.
    private func trimming(_ trimmed: (Unicode.Scalar) -> Bool) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !trimmed($0) }),
              let last = scalars.lastIndex(where: { !trimmed($0) }) else { return "" }
        return String(scalars[first...last])
    }

    /// Empty, or blanks only.
    var isBlank: Bool { unicodeScalars.allSatisfy(String.isBlank) }

    /// The blanks and the newlines (U+000A–U+000D, U+0085, U+2028, U+2029): the characters of
    /// `CharacterSet.whitespacesAndNewlines` on Linux.
    static func isSpaceOrNewline(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x0A...0x0D, 0x85, 0x2028, 0x2029: return true
        default: return isBlank(u)
        }
    }

    /// `trimmingCharacters(in: .whitespacesAndNewlines)` without NSString: what the kernel's
    /// one-line files (and lock files, console lines) are read through on every command's path.
    var trimmingSpaceAndNewlines: String { trimming(String.isSpaceOrNewline) }

    /// `(self as NSString).appendingPathComponent(name)` for a plain file name, without NSString:
    /// a slash between them unless the directory ends with one (or is empty).
    func appendingPathComponentName(_ name: String) -> String {
        isEmpty ? name : hasSuffix("/") ? self + name : self + "/" + name
    }
}

extension Substring {
    var trimmingBlanks: String { String(self).trimmingBlanks }
    var trimmingSpaceAndNewlines: String { String(self).trimmingSpaceAndNewlines }
}
