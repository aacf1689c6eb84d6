import Foundation

/// One problem found in a config file: where (JSON path and line:column), what, and what to do.
public struct Diagnostic: Equatable, Sendable, CustomStringConvertible {
    /// JSON path of the offending value, e.g. `slos[2].objective`; "" for the document itself.
    public var path: String
    public var message: String
    /// What to write instead, e.g. `try 10ms` or `did you mean "repeat"?`.
    public var hint: String?
    /// 1-based position in the file (columns in Unicode scalars), when known.
    public var line: Int?
    public var column: Int?
    /// The offending text: the objective for objective errors, else the source line (clipped).
    public var excerpt: String?
    /// Where, in Characters of `excerpt`, the caret goes.
    public var caretOffset: Int?

    public init(path: String, message: String, hint: String? = nil, line: Int? = nil, column: Int? = nil,
                excerpt: String? = nil, caretOffset: Int? = nil) {
        self.path = path; self.message = message; self.hint = hint; self.line = line; self.column = column
        self.excerpt = excerpt; self.caretOffset = caretOffset
    }

    /// `path: message (hint)`, without file and position.
    public var description: String {
        var s = path.isEmpty ? "" : path + ": "
        s += message
        if let hint { s += " (\(hint))" }
        return s
    }
}

/// Every diagnostic of one config file; the error side of `ConfigLoader.load`.
public struct ConfigErrors: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file as the user named it (used as the prefix of each rendered line).
    public var file: String
    public var diagnostics: [Diagnostic]

    public init(file: String, diagnostics: [Diagnostic]) {
        self.file = file; self.diagnostics = diagnostics
    }

    public var description: String { renderText() }

    /// Compiler-style text for a terminal:
    ///
    ///     slo.json:12:20: slos[2].objective: "p99(x) < 10 milliseconds": unknown unit "milliseconds" (try 10ms)
    ///         p99(x) < 10 milliseconds
    ///                     ^
    public func renderText() -> String {
        var out: [String] = []
        for d in diagnostics {
            var head = file
            if let line = d.line {
                head += ":\(line)"
                if let col = d.column { head += ":\(col)" }
            }
            // A name or value decoded from a \u001b escape must not reach the terminal as ESC.
            out.append(ConsoleText.escape(head + ": " + d.description))
            if let excerpt = d.excerpt, !excerpt.isEmpty {
                out.append("    " + ConsoleText.escape(excerpt, keepNewlines: true))
                if let caret = d.caretOffset, caret >= 0 {
                    // Keep tabs as tabs so the caret lines up under them.
                    let pad = excerpt.prefix(caret).map { $0 == "\t" ? "\t" : " " }.joined()
                    out.append("    " + pad + "^")
                }
            }
        }
        let n = diagnostics.count
        out.append("\(file): \(n) error\(n == 1 ? "" : "s")")
        return out.joined(separator: "\n")
    }

    /// A JSON array of `{file, path, message, hint, line, column}` for editors and CI annotations.
    /// Absent values are `null`, so every object has the same keys.
    public func renderJSON() -> String {
        let items = diagnostics.map { d -> String in
            func str(_ s: String?) -> String { s.map(ConfigErrors.jsonString) ?? "null" }
            func int(_ v: Int?) -> String { v.map(String.init) ?? "null" }
            return "  {\"file\": \(str(file)), \"path\": \(str(d.path)), \"message\": \(str(d.message)), "
                + "\"hint\": \(str(d.hint)), \"line\": \(int(d.line)), \"column\": \(int(d.column))}"
        }
        return items.isEmpty ? "[]" : "[\n" + items.joined(separator: ",\n") + "\n]"
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += CFormat.text("\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}
