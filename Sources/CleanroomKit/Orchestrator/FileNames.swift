/// File and directory names derived from workload names, which may be any non-empty string
/// (spaces, slashes, `..`, markup). Sanitised names stay readable; a short hash keeps two
/// names that sanitise alike apart.
public enum FileNames {
    public static func sanitise(_ name: String) -> String {
        var out = ""
        for scalar in name.unicodeScalars {
            let c = Character(scalar)
            if scalar.isASCII, c.isLetter || c.isNumber || c == "-" || c == "_" || c == "." {
                out.append(c)
            } else if !out.hasSuffix("_") {
                out.append("_")
            }
        }
        while out.hasPrefix(".") { out.removeFirst() }
        if out.count > 60 { out = String(out.prefix(60)) }
        if out.isEmpty { out = "workload" }
        if out != name {
            let h = Shard.stableHash(name) & 0xffff_ffff
            out += "-" + String(h, radix: 16)
        }
        return out
    }
}
