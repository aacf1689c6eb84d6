/// Why an objective could not be read, pointing at the bad token.
public struct ObjectiveError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public var hint: String?
    /// Character offset of the offending token within the objective text (for a caret).
    public var offset: Int
    /// Its length in Characters (0 at the end of the text).
    public var length: Int

    public init(message: String, hint: String? = nil, offset: Int, length: Int = 1) {
        self.message = message; self.hint = hint; self.offset = offset; self.length = length
    }

    public var description: String { hint.map { "\(message) (\($0))" } ?? message }
}

/// The objective language (SPEC "slo.json" → objective), by recursive descent over
/// `ObjectiveLexer`'s tokens:
///
///     objective  := aggregate "(" metric ")" comparison value END
///     aggregate  := min | max | mean | median | stddev | count | p<number>    (0 < number < 100)
///     metric     := builtin | custom.NAME | svc.NAME.METRIC
///     comparison := < | <= | > | >= | ≤ | ≥
///     value      := quantity | baseline [ ("+" | "-") (NUMBER "%" | quantity) ]
///     quantity   := ["-"] NUMBER [UNIT]
///
/// The threshold comes out in the base unit of the metric (s, B, B/s, %, count); a bare number
/// is already in it. Semantic slips (unknown metric, wrong unit) are all collected; a syntax
/// error stops the parse, since nothing after it can be trusted.
public enum ObjectiveParser {
    /// Every aggregate name, for hints.
    static let aggregateNames = ["min", "max", "mean", "median", "stddev", "count"]

    /// The parsed objective and where its metric was written (for checks that need the config,
    /// like "does service `api` exist").
    struct Parsed {
        var objective: Objective?
        var errors: [ObjectiveError]
        var metricOffset: Int
        var metricLength: Int
    }

    /// Parses `text`, throwing the first error (see `diagnose` for all of them).
    public static func parse(_ text: String) throws -> Objective {
        let r = diagnose(text)
        if let e = r.errors.first { throw e }
        return r.objective!
    }

    /// Parses `text` and returns every error found (empty when `objective` is non-nil).
    public static func diagnose(_ text: String) -> (objective: Objective?, errors: [ObjectiveError]) {
        let p = parseDetailed(text)
        return (p.objective, p.errors)
    }

    static func parseDetailed(_ text: String) -> Parsed {
        var p = Parser(text: text, tokens: ObjectiveLexer.tokenize(text))
        let objective: Objective?
        do {
            objective = try p.objective()
        } catch let e as ObjectiveError {
            p.errors.append(e)
            objective = nil
        } catch {
            p.errors.append(ObjectiveError(message: "\(error)", offset: 0))
            objective = nil
        }
        return Parsed(objective: p.errors.isEmpty ? objective : nil, errors: p.errors,
                      metricOffset: p.metricOffset, metricLength: p.metricLength)
    }

    private struct Parser {
        let text: String
        let tokens: [ObjectiveToken]
        var k = 0
        var errors: [ObjectiveError] = []
        var metricOffset = 0
        var metricLength = 0

        init(text: String, tokens: [ObjectiveToken]) { self.text = text; self.tokens = tokens }

        var tok: ObjectiveToken { tokens[k] }

        static let example = "e.g. max(wall_time) <= 15s"

        func describe(_ t: ObjectiveToken) -> String {
            switch t.kind {
            case .word(let w): return "\"\(w)\""
            case .number(let n): return "\"\(n)\""
            case .lparen: return "'('"
            case .rparen: return "')'"
            case .comparison(let c): return "'\(c.rawValue)'"
            case .plus: return "'+'"
            case .minus: return "'-'"
            case .plusMinus: return "'±'"
            case .percent: return "'%'"
            case .other(let s): return "'\(s)'"
            case .end: return "the end"
            }
        }

        func error(_ t: ObjectiveToken, _ message: String, hint: String? = nil) -> ObjectiveError {
            ObjectiveError(message: message, hint: hint, offset: t.offset, length: t.length)
        }

        mutating func objective() throws -> Objective? {
            if case .end = tok.kind {
                throw error(tok, "the objective is empty", hint: Parser.example)
            }
            let aggregate = try parseAggregate()
            guard tok.kind == .lparen else {
                throw error(tok, "expected '(' after the aggregate, found \(describe(tok))", hint: "write AGG(METRIC), \(Parser.example)")
            }
            k += 1
            let metric = try parseMetric()
            guard tok.kind == .rparen else {
                throw error(tok, "expected ')' after the metric, found \(describe(tok))", hint: Parser.example)
            }
            k += 1
            let comparison = try parseComparison()
            // What the threshold is compared with: count() counts, everything else keeps the metric's dimension.
            let dimension: Dimension? = aggregate == .count ? .count : metric?.dimension
            let subject = aggregate == .count ? "count(\(metric?.key ?? "..."))" : metric?.key
            let threshold = try parseThreshold(dimension: dimension, subject: subject)
            guard case .end = tok.kind else {
                throw error(tok, "unexpected \(describe(tok)) after the objective", hint: "one comparison per objective: write a second objective for another bound")
            }
            // nil parts have their errors recorded already.
            guard let aggregate, let metric, let threshold else { return nil }
            return Objective(aggregate: aggregate, metric: metric, comparison: comparison, threshold: threshold, text: text)
        }

        // MARK: aggregate

        mutating func parseAggregate() throws -> Aggregate? {
            let t = tok
            guard case .word(let w) = t.kind else {
                throw error(t, "expected an aggregate, found \(describe(t))",
                            hint: "aggregates: min max mean median stddev count p50 p90 p95 p99 p99.9")
            }
            k += 1
            switch w {
            case "min": return .min
            case "max": return .max
            case "mean": return .mean
            case "median": return .median
            case "stddev": return .stddev
            case "count": return .count
            default: break
            }
            if w.hasPrefix("p"), w.count > 1 {
                let rest = w.dropFirst()
                if rest.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), rest.first != ".", rest.last != ".",
                   rest.filter({ $0 == "." }).count <= 1, let p = Double(rest) {
                    if p <= 0 {
                        errors.append(error(t, "percentile \(w) is out of range: it must be above 0 and below 100", hint: "use min(...)"))
                        return nil
                    }
                    if p >= 100 {
                        errors.append(error(t, "percentile \(w) is out of range: it must be above 0 and below 100", hint: "use max(...)"))
                        return nil
                    }
                    return .percentile(p)
                }
            }
            errors.append(error(t, "unknown aggregate \"\(w)\"", hint: Parser.aggregateHint(w)))
            return nil
        }

        static func aggregateHint(_ w: String) -> String {
            let aliases = ["avg": "mean", "average": "mean", "med": "median", "std": "stddev", "stdev": "stddev",
                           "sd": "stddev", "minimum": "min", "maximum": "max", "n": "count", "num": "count"]
            let lower = w.lowercased()
            if let a = aliases[lower] { return "did you mean \(a)?" }
            if ObjectiveParser.aggregateNames.contains(lower) { return "write \(lower) in lower case" }
            if lower.hasPrefix("p"), Double(lower.dropFirst()) != nil { return "write \(lower)" }
            if lower.hasPrefix("percentile") || lower.hasPrefix("pct") { return "percentiles are written pNN, e.g. p95 or p99.9" }
            if let c = closest(w, among: ObjectiveParser.aggregateNames, maxDistance: 2) { return "did you mean \(c)?" }
            return "aggregates: min max mean median stddev count, or a percentile like p95 or p99.9"
        }

        // MARK: metric

        mutating func parseMetric() throws -> MetricRef? {
            let t = tok
            guard case .word(let w) = t.kind else {
                if t.kind == .rparen {
                    throw error(t, "the metric is missing", hint: "e.g. max(wall_time), p99(custom.latency), max(svc.api.memory_peak)")
                }
                throw error(t, "expected a metric, found \(describe(t))", hint: "e.g. wall_time, custom.NAME, svc.NAME.METRIC")
            }
            k += 1
            metricOffset = t.offset
            metricLength = t.length
            if let ref = MetricRef(key: w) {
                if case .service(_, let m) = ref, !Metric.serviceMetrics.contains(m) {
                    errors.append(error(t, "\(m.rawValue) is not measured for services",
                                        hint: "service metrics: " + Metric.serviceMetrics.map(\.rawValue).joined(separator: " ")))
                    return nil
                }
                return ref
            }
            errors.append(metricError(t, w))
            return nil
        }

        func metricError(_ t: ObjectiveToken, _ w: String) -> ObjectiveError {
            let builtins = Metric.allCases.map(\.rawValue)
            if w == "custom" || w == "custom." {
                return error(t, "a custom metric needs a name", hint: "write custom.NAME, the name the workload reports")
            }
            if w.hasPrefix("svc.") {
                let parts = w.split(separator: ".", omittingEmptySubsequences: false)
                let serviceNames = Metric.serviceMetrics.map(\.rawValue)
                if parts.count < 3 || parts[1].isEmpty {
                    return error(t, "\"\(w)\" is not a service metric", hint: "write svc.NAME.METRIC, e.g. svc.api.memory_peak")
                }
                let m = String(parts.last!)
                let hint = closest(m, among: serviceNames, maxDistance: 3).map { "did you mean \(parts.dropLast().joined(separator: ".")).\($0)?" }
                    ?? "service metrics: " + serviceNames.joined(separator: " ")
                return error(t, "unknown service metric \"\(m)\"", hint: hint)
            }
            if w.hasPrefix("custom.") {
                return error(t, "invalid custom metric name \"\(w)\"", hint: "write custom.NAME")
            }
            if let c = closest(w, among: builtins, maxDistance: max(2, w.count / 3)) {
                return error(t, "unknown metric \"\(w)\"", hint: "did you mean \(c)?")
            }
            return error(t, "unknown metric \"\(w)\"",
                         hint: "metrics the workload reports itself are written custom.\(w); see docs/slo.md for the built-in ones")
        }

        // MARK: comparison

        mutating func parseComparison() throws -> Comparison {
            let t = tok
            switch t.kind {
            case .comparison(let c):
                k += 1
                return c
            case .other(let s) where ["=", "==", "!=", "!", "<>", "≠"].contains(s):
                throw error(t, "'\(s)' is not a comparison an objective can use", hint: "use one of < <= > >=")
            case .other("=<"):
                throw error(t, "'=<' is not a comparison", hint: "write <=")
            case .other("=>"):
                throw error(t, "'=>' is not a comparison", hint: "write >=")
            case .end:
                throw error(t, "the comparison is missing", hint: "e.g. max(wall_time) <= 15s")
            default:
                throw error(t, "expected a comparison (< <= > >= ≤ ≥), found \(describe(t))", hint: Parser.example)
            }
        }

        // MARK: threshold

        mutating func parseThreshold(dimension: Dimension?, subject: String?) throws -> Threshold? {
            let t = tok
            if case .word("baseline") = t.kind {
                k += 1
                let sign: Double
                switch tok.kind {
                case .end:
                    // `<= baseline`: no worse than the baseline at all.
                    return .baselinePercent(0)
                case .plus: sign = 1
                case .minus: sign = -1
                case .plusMinus:
                    throw error(tok, "'±' is ambiguous here: an objective has one bound",
                                hint: "write baseline + N% for an upper bound or baseline - N% for a lower one")
                default:
                    throw error(tok, "expected + or - after baseline, found \(describe(tok))", hint: "e.g. baseline + 10% or baseline + 50ms")
                }
                k += 1
                guard case .number(let n) = tok.kind else {
                    throw error(tok, "expected a number after baseline \(sign > 0 ? "+" : "-"), found \(describe(tok))",
                                hint: "e.g. baseline + 10% or baseline + 50ms")
                }
                let numberToken = tok
                k += 1
                if tok.kind == .percent {
                    k += 1
                    return .baselinePercent(sign * (Double(n) ?? 0))
                }
                guard let v = quantity(n, numberToken, dimension: dimension, subject: subject) else { return nil }
                return .baselineDelta(sign * v)
            }
            if case .word(let w) = t.kind, w.lowercased() == "baseline" || closest(w, among: ["baseline"], maxDistance: 2) != nil {
                throw error(t, "unknown word \"\(w)\"", hint: "write baseline, in lower case")
            }
            var sign = 1.0
            if t.kind == .minus { sign = -1; k += 1 } else if t.kind == .plus { k += 1 }
            guard case .number(let n) = tok.kind else {
                if tok.kind == .plusMinus {
                    throw error(tok, "'±' needs a baseline", hint: "write baseline + N% or baseline - N%")
                }
                throw error(tok, "expected a threshold, found \(describe(tok))", hint: "e.g. 15s, 512MiB, 80, or baseline + 10%")
            }
            let numberToken = tok
            k += 1
            guard let v = quantity(n, numberToken, dimension: dimension, subject: subject) else { return nil }
            return .absolute(sign * v)
        }

        /// Reads the unit after a number (a word, or `%`) and converts to the metric's base unit.
        mutating func quantity(_ number: String, _ numberToken: ObjectiveToken, dimension: Dimension?, subject: String?) -> Double? {
            var unitText: String?
            var unitToken = numberToken
            if case .word(let u) = tok.kind { unitText = u; unitToken = tok; k += 1 }
            else if tok.kind == .percent { unitText = "%"; unitToken = tok; k += 1 }
            let what = subject ?? "the metric"
            guard let unitText else {
                // A bare number is in the base unit of whatever it is compared with.
                return Double(number)
            }
            let q: Quantity
            do {
                q = try Units.parse(number + unitText)
            } catch let e as UnitError {
                errors.append(error(unitToken, e.message, hint: e.hint))
                return nil
            } catch {
                errors.append(self.error(unitToken, "\(error)"))
                return nil
            }
            guard let dimension, let qd = q.dimension else { return q.value }
            if dimension == .unknown || qd == dimension { return q.value }
            // The whole quantity is wrong, not just its unit: point at its start.
            let whole = ObjectiveToken(kind: numberToken.kind, offset: numberToken.offset,
                                       length: unitToken.offset + unitToken.length - numberToken.offset)
            if dimension == .count {
                errors.append(error(whole, "\(number)\(unitText) is a \(qd.noun), but \(what) is a count",
                                    hint: "write a bare number, e.g. \(number)"))
                return nil
            }
            errors.append(error(whole, "\(number)\(unitText) is a \(qd.noun), but \(what) is a \(dimension.noun)",
                                hint: "e.g. \(dimension.example)"))
            return nil
        }
    }

    /// The candidate nearest to `word` within `maxDistance` edits, if there is a single best one.
    static func closest(_ word: String, among candidates: [String], maxDistance: Int) -> String? {
        var best: (String, Int)?
        var tie = false
        for c in candidates {
            let d = Units.editDistance(word.lowercased(), c.lowercased())
            guard d <= maxDistance else { continue }
            if let b = best {
                if d < b.1 { best = (c, d); tie = false } else if d == b.1 { tie = true }
            } else { best = (c, d) }
        }
        return tie ? nil : best?.0
    }
}

private func closest(_ word: String, among candidates: [String], maxDistance: Int) -> String? {
    ObjectiveParser.closest(word, among: candidates, maxDistance: maxDistance)
}
