/// The shape of report.json (docs/report.schema.json) checked over the positioned tree before
/// anything is decoded, so `check`, `report`, `merge` and `compare` refuse a report that is not
/// one — a deleted `workloads`, a verdict that is not a verdict, a string where a figure goes —
/// naming the JSON path and line:column of each problem, instead of judging what is left.
///
/// Keys the schema does not know are accepted: a newer cleanroom may add some, and the report
/// must still re-render (docs/reports.md, "Reading reports back").
enum ReportShape {
    indirect enum Shape: Sendable {
        case string, number, integer, bool, any
        case choice([String])
        case nullable(Shape)
        case array(Shape)
        /// Any keys, every value of the same shape.
        case map(Shape)
        case object(required: [(String, Shape)], optional: [(String, Shape)])
    }

    struct Problem: CustomStringConvertible {
        var path: String
        var position: SourcePosition
        var message: String
        var description: String { "\(path.isEmpty ? "(top level)" : path) (line \(position.line), column \(position.column)): \(message)" }
    }

    static let outcomes = Outcome.allCases.map(\.rawValue)

    static let figures = Shape.map(.number)
    static let stats = Shape.object(required: ["n", "min", "max", "mean", "median", "stddev", "p50", "p90", "p95", "p99"].map {
        ($0, $0 == "n" ? .integer : .number)
    }, optional: [("unit", .string)])
    static let service = Shape.object(required: [("metrics", figures)],
                                      optional: [("unmeasured", .map(.string)), ("outcome", .choice(outcomes)), ("detail", .string)])
    static let run = Shape.object(required: [
        ("index", .integer), ("warmup", .bool), ("outcome", .choice(outcomes)), ("exit_code", .nullable(.integer)),
        ("signal", .nullable(.string)), ("metrics", figures),
    ], optional: [
        ("detail", .string),
        ("unmeasured", .map(.string)), ("sources", .map(.string)),
        ("samples", .object(required: [("t", .array(.number)), ("cpu_percent", .array(.number)), ("memory", .array(.number))], optional: [])),
        ("seccomp_denied", .map(.integer)),
        ("custom", .map(.object(required: [("unit", .string), ("values", .array(.number))], optional: []))),
        ("custom_malformed", .object(required: [("count", .integer), ("examples", .array(.string))], optional: [])),
        ("output", .object(required: [("stdout", .string), ("stderr", .string), ("truncated", .bool)], optional: [])),
        ("services", .map(service)),
    ])
    static let workload = Shape.object(required: [("name", .string), ("command", .array(.string)), ("runs", .array(run)), ("stats", .map(stats))],
                                       optional: [("error", .string)])
    static let objective = Shape.object(required: [
        ("name", .string), ("workload", .string), ("objective", .string), ("level", .choice(Level.allCases.map(\.rawValue))),
        ("unit", .string), ("status", .choice(ObjectiveStatus.allCases.map(\.rawValue))),
    ], optional: [
        ("observed", .nullable(.number)), ("threshold", .nullable(.number)), ("margin", .nullable(.number)),
        ("ci", .nullable(.array(.number))), ("runs_added", .nullable(.integer)), ("reason", .nullable(.string)),
    ])
    static let alert = Shape.object(required: [("target", .string), ("format", .string), ("status", .string), ("attempts", .integer)],
                                    optional: [("error", .nullable(.string))])
    static let report = Shape.object(required: [
        ("schema", .choice([Report.schemaID])), ("verdict", .choice(Verdict.allCases.map(\.rawValue))),
        ("started_at", .string), ("finished_at", .string),
        ("host", .object(required: [("kernel", .string), ("cpus", .integer), ("cgroup", .string), ("degraded", .array(.string))], optional: [])),
        ("workloads", .array(workload)), ("slos", .array(objective)), ("alerts", .array(alert)),
    ], optional: [
        ("labels", .map(.string)), ("parallel", .integer), ("shard", .string),
        ("config", .string), ("cleanroom_version", .string), ("output_errors", .array(.string)),
    ])

    /// Up to `limit` problems, in document order (a broken generated file must not print 10 000 lines).
    static func check(_ root: JSONNode, limit: Int = 20) -> [Problem] {
        var problems: [Problem] = []
        walk(root, report, path: "", into: &problems, limit: limit)
        return problems
    }

    static func walk(_ n: JSONNode, _ shape: Shape, path: String, into out: inout [Problem], limit: Int) {
        guard out.count < limit else { return }
        func bad(_ message: String) { out.append(Problem(path: path, position: n.position, message: message)) }
        switch shape {
        case .any: return
        case .string: if case .string = n.value {} else { bad("expected a string, found \(n.kindName)") }
        case .bool: if case .bool = n.value {} else { bad("expected true or false, found \(n.kindName)") }
        case .number: if case .number = n.value {} else { bad("expected a number, found \(n.kindName)") }
        case .integer:
            if case .number(let v, let raw) = n.value {
                if v != v.rounded() || abs(v) > 9e15 { bad("expected a whole number, found \(raw)") }
            } else { bad("expected a whole number, found \(n.kindName)") }
        case .choice(let words):
            let list = words.map { "\"\($0)\"" }.joined(separator: ", ")
            if case .string(let s, _) = n.value {
                if !words.contains(s) { bad("\"\(ConsoleText.escape(s))\" is not one of \(list)") }
            } else { bad("expected one of \(list), found \(n.kindName)") }
        case .nullable(let inner):
            if case .null = n.value { return }
            walk(n, inner, path: path, into: &out, limit: limit)
        case .array(let item):
            // Arrays of numbers are most of a report: the parser packed them, nothing to check.
            if case .numbers = n.value, case .number = item { return }
            guard let items = n.arrayItems else { return bad("expected an array, found \(n.kindName)") }
            if case .number = item {
                for (i, x) in items.enumerated() {
                    if case .number = x.value { continue }
                    walk(x, item, path: path + "[\(i)]", into: &out, limit: limit)
                }
                return
            }
            for (i, x) in items.enumerated() where out.count < limit { walk(x, item, path: path + "[\(i)]", into: &out, limit: limit) }
        case .map(let value):
            guard case .object(let members) = n.value else { return bad("expected an object, found \(n.kindName)") }
            for m in members where out.count < limit { walk(m.value, value, path: join(path, m.key), into: &out, limit: limit) }
        case .object(let required, let optional):
            guard case .object(let members) = n.value else { return bad("expected an object, found \(n.kindName)") }
            for (key, s) in required where out.count < limit {
                if let m = members.first(where: { $0.key == key }) {
                    walk(m.value, s, path: join(path, key), into: &out, limit: limit)
                } else {
                    out.append(Problem(path: join(path, key), position: n.position,
                                       message: "missing key \"\(key)\" (every report has it; was the file edited or cut short?)"))
                }
            }
            for (key, s) in optional where out.count < limit {
                if let m = members.first(where: { $0.key == key }) { walk(m.value, s, path: join(path, key), into: &out, limit: limit) }
            }
        }
    }

    static func join(_ path: String, _ key: String) -> String {
        // ASCII keys (all of cleanroom's own) are judged byte by byte: Character's Unicode
        // properties were a tenth of checking a big report's shape.
        let ascii = key.utf8.allSatisfy { $0 < 0x80 }
        let simple = !key.isEmpty && (ascii
            ? key.utf8.allSatisfy { ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F || $0 == 0x2D || $0 == 0x2E }
            : key.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." })
        let part = simple ? key : "[\(ConfigErrors.jsonString(ConsoleText.escape(key)))]"
        if path.isEmpty { return part }
        return simple ? path + "." + key : path + part
    }
}
