// `joined(separator:)` for the few joins on `exec`'s path: the standard library's generic `joined`
// is not specialised into this module, and its first call looks its types up by mangled name, each
// such lookup a scan of every protocol-conformance record of the static binary (docs/BENCHMARKS.md,
// "2026-12-05 morning"). Same text; one overload per element type, so that each append is the
// concrete one.
extension Array where Element == String {
    public func joinedText(separator: String) -> String {
        var out = ""
        for (i, s) in enumerated() {
            if i > 0 { out += separator }
            out += s
        }
        return out
    }
}

extension Array where Element == Substring {
    public func joinedText(separator: String) -> String {
        var out = ""
        for (i, s) in enumerated() {
            if i > 0 { out += separator }
            out.append(contentsOf: s)
        }
        return out
    }
}
