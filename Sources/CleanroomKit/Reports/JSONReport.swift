import Foundation

/// report.json: the contract's document, encoded exactly as `Report`'s Codable says, pretty and
/// with sorted keys so two reports diff line by line, `/` unescaped (see JSONTreeEncoder: the
/// same shape as JSONEncoder's `.prettyPrinted, .sortedKeys, .withoutEscapingSlashes`, arrays
/// of numbers on one line, several times faster). docs/report.schema.json describes it.
public enum JSONReport {
    /// Encodes the report. Throws `ReportError.nonFinite` naming the first NaN/infinity found
    /// (JSON has no spelling for them; `sanitized(_:)` removes them first).
    public static func encode(_ report: Report) throws -> Data {
        do {
            var data = try JSONTreeEncoder.encode(report)
            data.append(0x0A)
            return data
        } catch let EncodingError.invalidValue(value, context) where value is Double || value is Float {
            throw ReportError.nonFinite(path: pathText(context.codingPath))
        }
    }

    /// Reports above this are refused while reading (an 18 MB report is a big one).
    public static let maxFileSize = 1 << 30

    /// Decodes report.json: parsed by the positioned parser, checked against the report's shape
    /// (ReportShape, docs/report.schema.json), then decoded by the model types' own Codable.
    /// Errors name the file, the JSON path and line:column of each problem.
    public static func decode(_ data: Data, path: String = "report.json") throws -> Report {
        try decode(bytes: [UInt8](data), path: path)
    }

    public static func decode(bytes: [UInt8], path: String = "report.json") throws -> Report {
        if ProcessInfo.processInfo.environment["CLEANROOM_REPORT_DECODER"] == "foundation" {
            return try decodeWithFoundation(Data(bytes), path: path)   // for bench/report-decode only
        }
        let parsed = JSONParser.parse(bytes, packNumbers: true)
        if let e = parsed.error {
            let hint = e.message.contains("empty") ? "a report.json written by cleanroom run" : e.hint.map { $0.contains("config") ? "is the file cut short?" : $0 }
            // 512 levels of `[0]` say nothing a reader can use: keep both ends of a long path.
            let shown = e.path.count > 120 ? e.path.prefix(60) + "…" + e.path.suffix(40) : e.path
            let at = e.path.isEmpty ? "" : " in \(shown)"
            throw ReportError.invalid(path: path, reason: "not valid JSON at line \(e.position.line), column \(e.position.column)\(at): "
                                      + e.message + (hint.map { " (\($0))" } ?? ""))
        }
        guard let root = parsed.root else { throw ReportError.invalid(path: path, reason: "not valid JSON") }
        if let dup = parsed.duplicates.first {
            throw ReportError.invalid(path: path, reason: "\(dup.path) (line \(dup.position.line), column \(dup.position.column)): "
                                      + "duplicate key \"\(ConsoleText.escape(dup.key))\" (first at line \(dup.first.line); a report has each key once)")
        }
        let problems = ReportShape.check(root)
        if !problems.isEmpty {
            let more = problems.count >= 20 ? "\n  (only the first 20 problems are shown)" : ""
            throw ReportError.invalid(path: path, reason: "does not have the shape of a \(Report.schemaID) report (docs/report.schema.json):\n  "
                                      + problems.map(\.description).joined(separator: "\n  ") + more)
        }
        do {
            return try NodeDecoder.decode(Report.self, from: root)
        } catch let e as NodeDecoder.Failure {
            throw ReportError.invalid(path: path, reason: e.description)
        } catch let DecodingError.dataCorrupted(ctx) {
            throw ReportError.invalid(path: path, reason: "\(pathText(ctx.codingPath)): \(ctx.debugDescription)")
        } catch let e as DecodingError {
            throw ReportError.invalid(path: path, reason: "\(e)")
        }
    }

    /// The JSONDecoder path this replaced; kept for bench/report-decode's before/after.
    static func decodeWithFoundation(_ data: Data, path: String) throws -> Report {
        let report: Report
        do {
            report = try JSONDecoder().decode(Report.self, from: data)
        } catch let DecodingError.dataCorrupted(ctx) {
            let at = ctx.codingPath.isEmpty ? "" : " at \(pathText(ctx.codingPath))"
            let why = (ctx.underlyingError as NSError?)?.localizedDescription ?? ctx.debugDescription
            throw ReportError.invalid(path: path, reason: ctx.codingPath.isEmpty ? "not valid JSON (\(why))" : "\(ctx.debugDescription)\(at)")
        } catch let DecodingError.keyNotFound(key, ctx) {
            throw ReportError.invalid(path: path, reason: "missing \"\(key.stringValue)\" at \(pathText(ctx.codingPath + [key]))")
        } catch let DecodingError.typeMismatch(_, ctx) {
            throw ReportError.invalid(path: path, reason: "\(ctx.debugDescription) at \(pathText(ctx.codingPath))")
        } catch let DecodingError.valueNotFound(_, ctx) {
            throw ReportError.invalid(path: path, reason: "null where a value is needed at \(pathText(ctx.codingPath))")
        }
        guard report.schema == Report.schemaID else {
            throw ReportError.invalid(path: path, reason: "schema is \"\(report.schema)\", expected \"\(Report.schemaID)\"")
        }
        return report
    }

    /// Reads and decodes a report file (a regular file, at most `maxFileSize`, capped while reading).
    public static func read(path: String) throws -> Report {
        let bytes: [UInt8]
        do {
            bytes = try BoundedRead.read(path, cap: maxFileSize, what: "report")
        } catch let e as InputFileError {
            throw ReportError.unreadable(path: path, reason: e.description)
        }
        return try decode(bytes: bytes, path: path)
    }

    /// `workloads[0].runs[2].metrics.wall_time` from a coding path.
    static func pathText(_ path: [CodingKey]) -> String {
        var out = ""
        for key in path {
            if let i = key.intValue { out += "[\(i)]" } else { out += (out.isEmpty ? "" : ".") + key.stringValue }
        }
        return out.isEmpty ? "(top level)" : out
    }

    /// The report with every non-finite number removed, so it can always be written. A run's
    /// metric that is not finite moves to `unmeasured` with the reason (absent, never 0, never
    /// invented); a sample point with a non-finite value is dropped from all three series so they
    /// stay aligned; a non-finite statistic drops that metric's stats; an objective's non-finite
    /// observed/threshold/margin/CI becomes null.
    public static func sanitized(_ report: Report) -> Report {
        var r = report
        for w in r.workloads.indices {
            for i in r.workloads[w].runs.indices {
                var run = r.workloads[w].runs[i]
                for (k, v) in run.metrics where !v.isFinite {
                    run.metrics[k] = nil
                    run.unmeasured[k] = "the computed value was not a finite number (\(v))"
                }
                if var s = run.samples {
                    let n = min(s.t.count, s.cpuPercent.count, s.memory.count)
                    if (0..<n).contains(where: { !s.t[$0].isFinite || !s.cpuPercent[$0].isFinite || !s.memory[$0].isFinite })
                        || s.t.count != n || s.cpuPercent.count != n || s.memory.count != n {
                        let keep = (0..<n).filter { s.t[$0].isFinite && s.cpuPercent[$0].isFinite && s.memory[$0].isFinite }
                        s = Samples(t: keep.map { s.t[$0] }, cpuPercent: keep.map { s.cpuPercent[$0] }, memory: keep.map { s.memory[$0] },
                                    interval: s.interval, missedIntervals: s.missedIntervals)
                        run.samples = s
                    }
                }
                for (k, series) in run.custom where series.values.contains(where: { !$0.isFinite }) {
                    run.custom[k] = CustomSeries(unit: series.unit, values: series.values.filter(\.isFinite))
                }
                for (name, svc) in run.services {
                    var s = svc
                    for (k, v) in s.metrics where !v.isFinite {
                        s.metrics[k] = nil
                        var u = s.unmeasured ?? [:]
                        u[k] = "the computed value was not a finite number (\(v))"
                        s.unmeasured = u
                    }
                    run.services[name] = s
                }
                r.workloads[w].runs[i] = run
            }
            for (k, st) in r.workloads[w].stats {
                let values = [st.min, st.max, st.mean, st.median, st.stddev, st.p50, st.p90, st.p95, st.p99]
                if values.contains(where: { !$0.isFinite }) { r.workloads[w].stats[k] = nil }
            }
        }
        func finite(_ v: Double?) -> Double? { v.flatMap { $0.isFinite ? $0 : nil } }
        for i in r.slos.indices {
            r.slos[i].observed = finite(r.slos[i].observed)
            r.slos[i].threshold = finite(r.slos[i].threshold)
            r.slos[i].margin = finite(r.slos[i].margin)
            if let ci = r.slos[i].ci, ci.contains(where: { !$0.isFinite }) { r.slos[i].ci = nil }
        }
        return r
    }
}
