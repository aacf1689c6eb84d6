/// Tokens of the objective language (`p99(custom.latency) <= baseline + 10%`), each with the
/// Character offset where it starts in the objective text, so errors can point at it.
struct ObjectiveToken: Equatable {
    enum Kind: Equatable {
        /// Aggregates, metric names, units and `baseline`: letters, digits, `_ . : /`, and `-`
        /// when a letter follows (`svc.my-api.cpu_time`, but `baseline-10%` is three tokens).
        case word(String)
        /// The exact text of a number: `10`, `1.5`, `2e3`.
        case number(String)
        case lparen, rparen
        case comparison(Comparison)
        case plus, minus
        /// `±`: read so that it can be rejected with a hint, not silently guessed.
        case plusMinus
        case percent
        /// Anything the language has no use for (`=`, `!=`, `,`, a Unicode dash...), kept verbatim.
        case other(String)
        case end
    }

    var kind: Kind
    var offset: Int
    var length: Int
}

enum ObjectiveLexer {
    static func tokenize(_ text: String) -> [ObjectiveToken] {
        let c = Array(text)
        var tokens: [ObjectiveToken] = []
        var i = 0
        func isWordStart(_ ch: Character) -> Bool { ch.isLetter || ch == "_" }
        func isDigit(_ k: Int) -> Bool { k < c.count && c[k].isASCII && c[k].isNumber }
        func isWordBody(_ k: Int) -> Bool {
            guard k < c.count else { return false }
            let ch = c[k]
            if ch.isLetter || ch.isNumber || ch == "_" || ch == "." || ch == ":" || ch == "/" { return true }
            // Glob characters: `custom.BM_*.real_time` names many metrics (Orchestrator/MetricGlobs).
            if ch == "*" || ch == "?" || ch == "[" || ch == "]" { return true }
            if ch == "-", k + 1 < c.count, c[k + 1].isLetter || c[k + 1] == "_" { return true }
            return false
        }
        while i < c.count {
            let ch = c[i]
            if ch.isWhitespace { i += 1; continue }
            let start = i
            func add(_ kind: ObjectiveToken.Kind, _ len: Int) {
                tokens.append(ObjectiveToken(kind: kind, offset: start, length: len)); i = start + len
            }
            if isWordStart(ch) {
                var j = i + 1
                while true {
                    if isWordBody(j) { j += 1; continue }
                    // A custom metric's tag set, `custom.latency{op=set}`: one word up to its `}`.
                    if j < c.count, c[j] == "{", let close = c[j...].firstIndex(of: "}") { j = close + 1; continue }
                    break
                }
                add(.word(String(c[i..<j])), j - i)
            } else if isDigit(i) || (ch == "." && isDigit(i + 1)) {
                var j = i
                while isDigit(j) { j += 1 }
                if j < c.count, c[j] == ".", isDigit(j + 1) {
                    j += 1
                    while isDigit(j) { j += 1 }
                }
                // An exponent only when digits follow: in `10e` the `e` is a (bad) unit, not a number.
                if j < c.count, c[j] == "e" || c[j] == "E" {
                    var k = j + 1
                    if k < c.count, c[k] == "+" || c[k] == "-" { k += 1 }
                    if isDigit(k) {
                        while isDigit(k) { k += 1 }
                        j = k
                    }
                }
                add(.number(String(c[i..<j])), j - i)
            } else {
                let next: Character? = i + 1 < c.count ? c[i + 1] : nil
                switch ch {
                case "(": add(.lparen, 1)
                case ")": add(.rparen, 1)
                case "<":
                    if next == "=" { add(.comparison(.lessOrEqual), 2) }
                    else if next == ">" { add(.other("<>"), 2) }
                    else { add(.comparison(.lessThan), 1) }
                case ">": next == "=" ? add(.comparison(.greaterOrEqual), 2) : add(.comparison(.greaterThan), 1)
                case "≤": add(.comparison(.lessOrEqual), 1)
                case "≥": add(.comparison(.greaterOrEqual), 1)
                case "=":
                    if let n = next, n == "=" || n == "<" || n == ">" { add(.other("=" + String(n)), 2) }
                    else { add(.other("="), 1) }
                case "!": next == "=" ? add(.other("!="), 2) : add(.other("!"), 1)
                case "+": add(.plus, 1)
                case "-": add(.minus, 1)
                case "±": add(.plusMinus, 1)
                case "%": add(.percent, 1)
                default: add(.other(String(ch)), 1)
                }
            }
        }
        tokens.append(ObjectiveToken(kind: .end, offset: c.count, length: 0))
        return tokens
    }
}
