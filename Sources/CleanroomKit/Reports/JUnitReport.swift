import Foundation

/// junit.xml: one `<testsuite>` per workload, one `<testcase>` per objective (classname = the
/// workload; a name that occurs for several workloads, as `workload: "*"` makes it, is written
/// `NAME[workload]`; a glob objective's results `NAME[workload/metric]`), plus one `runs` test case per workload that fails when a run did not end as
/// expected (the other half of the gate, so the CI's test view agrees with the exit code).
///
/// - `fail` (level error) → `<failure type="fail" message="observed X vs threshold Y unit">`
/// - `inconclusive` (level error) → `<error type="inconclusive">`: the measurement could not
///   decide, which is neither a pass nor a proven failure, and exit code 4 is not exit code 1.
/// - `no_data` → `<skipped message="reason">`
/// - level `warn` objectives never fail the gate, so they never fail here either: a warn that
///   failed or was inconclusive passes with the finding in `<system-out>`.
public enum JUnitReport {
    public static func render(_ report: Report) -> String {
        let nameCounts = Dictionary(report.slos.map { ($0.name, 1) }, uniquingKeysWith: +)
        var suiteNames = report.workloads.map(\.name)
        for s in report.slos where !suiteNames.contains(s.workload) { suiteNames.append(s.workload) }

        var suites: [String] = []
        var totals = (tests: 0, failures: 0, errors: 0, skipped: 0, time: 0.0)
        for suite in suiteNames {
            var cases: [String] = []
            var c = (tests: 0, failures: 0, errors: 0, skipped: 0)
            for s in report.slos where s.workload == suite {
                // A glob objective's results: NAME[workload/metric], one per matching metric.
                let name = s.metric.map { "\(s.name)[\(s.workload)/\($0)]" }
                    ?? ((nameCounts[s.name] ?? 0) > 1 ? "\(s.name)[\(s.workload)]" : s.name)
                var body = ""
                let finding = message(s)
                switch (s.status, s.level) {
                case (.fail, .error):
                    body = "<failure type=\"fail\" message=\"\(attr(finding))\">\(text(detail(s)))</failure>"
                    c.failures += 1
                case (.inconclusive, .error):
                    body = "<error type=\"inconclusive\" message=\"\(attr(finding))\">\(text(detail(s)))</error>"
                    c.errors += 1
                case (.noData, _):
                    body = "<skipped message=\"\(attr(s.reason ?? "no data"))\"/>"
                    c.skipped += 1
                case (.fail, .warn), (.inconclusive, .warn):
                    body = "<system-out>\(text("warning (level warn, does not fail the gate): \(s.status.rawValue): \(finding)\n\(detail(s))"))</system-out>"
                case (.pass, _):
                    body = "<system-out>\(text(detail(s)))</system-out>"
                }
                c.tests += 1
                cases.append("    <testcase name=\"\(attr(name))\" classname=\"\(attr(s.workload))\" time=\"0\">\n      \(body)\n    </testcase>")
            }
            var suiteTime = 0.0
            if let w = report.workloads.first(where: { $0.name == suite }) {
                suiteTime = w.runs.compactMap { $0.metrics[Metric.wallTime.rawValue] }.filter(\.isFinite).reduce(0, +)
                let bad = w.runs.filter { $0.outcome != .ok }
                var body = ""
                if !bad.isEmpty {
                    let list = bad.map { r in
                        "run \(r.index)\(r.warmup ? " (warmup)" : ""): \(r.outcome.rawValue)"
                            + (r.exitCode.map { ", exit \($0)" } ?? "") + (r.signal.map { ", \($0)" } ?? "")
                            + (r.detail.map { ": \($0)" } ?? "")
                    }
                    let msg = "\(bad.count) of \(w.runs.count) runs did not end as expected"
                    body = "\n      <failure type=\"outcome\" message=\"\(attr(msg))\">\(text(list.joined(separator: "\n")))</failure>\n    "
                    c.failures += 1
                }
                c.tests += 1
                cases.append("    <testcase name=\"runs\" classname=\"\(attr(w.name))\" time=\"\(ReportText.number(suiteTime))\">\(body)</testcase>")
            }
            totals.tests += c.tests; totals.failures += c.failures; totals.errors += c.errors
            totals.skipped += c.skipped; totals.time += suiteTime
            suites.append("""
              <testsuite name="\(attr(suite))" tests="\(c.tests)" failures="\(c.failures)" errors="\(c.errors)" skipped="\(c.skipped)" time="\(ReportText.number(suiteTime))" timestamp="\(attr(report.startedAt))">
            \(cases.joined(separator: "\n"))
              </testsuite>
            """)
        }
        var props = [("verdict", report.verdict.rawValue), ("kernel", report.host.kernel),
                     ("cgroup", report.host.cgroup), ("cpus", String(report.host.cpus))]
        props += report.host.degraded.map { ("degraded", $0) }
        props += report.labels.sorted { $0.key < $1.key }.map { ("label.\($0.key)", $0.value) }
        let propXML = props.map { "    <property name=\"\(attr($0.0))\" value=\"\(attr($0.1))\"/>" }.joined(separator: "\n")
        return """
        <?xml version="1.0" encoding="UTF-8"?>
        <testsuites name="cleanroom" tests="\(totals.tests)" failures="\(totals.failures)" errors="\(totals.errors)" skipped="\(totals.skipped)" time="\(ReportText.number(totals.time))">
          <properties>
        \(propXML)
          </properties>
        \(suites.joined(separator: "\n"))
        </testsuites>

        """
    }

    /// "observed 1.3 vs threshold 1 s" (base units, as in report.json).
    static func message(_ s: ObjectiveResult) -> String {
        let obs = s.observed.map(ReportText.number) ?? "nothing"
        let thr = s.threshold.map(ReportText.number) ?? "none"
        let unit = (s.unit.isEmpty || s.unit == "count") ? "" : " \(s.unit)"
        return "observed \(obs) vs threshold \(thr)\(unit): \(s.objective)"
    }

    /// The human-unit detail under a finding.
    static func detail(_ s: ObjectiveResult) -> String {
        var lines = ["objective: \(s.objective) (level \(s.level.rawValue))"]
        if let o = s.observed { lines.append("observed: \(ReportText.objectiveValue(o, s))") }
        if let t = s.threshold { lines.append("threshold: \(ReportText.objectiveValue(t, s))") }
        if s.margin != nil { lines.append("margin: \(ReportText.margin(s.margin))") }
        if let ci = s.ci, ci.count == 2 {
            lines.append("95% CI: [\(ReportText.objectiveValue(ci[0], s)), \(ReportText.objectiveValue(ci[1], s))]")
        }
        if let n = s.runsAdded, n > 0 { lines.append("runs added: \(n)") }
        if let r = s.reason { lines.append("reason: \(r)") }
        return lines.joined(separator: "\n")
    }

    /// Escapes text content. Characters XML 1.0 cannot hold at all (most C0 controls) become U+FFFD.
    static func text(_ s: String) -> String { escape(s, attribute: false) }

    /// Escapes an attribute value; newlines and tabs become character references so a parser
    /// gives them back instead of normalising them to spaces.
    static func attr(_ s: String) -> String { escape(s, attribute: true) }

    private static func escape(_ s: String, attribute: Bool) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where attribute: out += "&quot;"
            case "'" where attribute: out += "&apos;"
            case "\n" where attribute: out += "&#10;"
            case "\r": out += "&#13;"
            case "\t" where attribute: out += "&#9;"
            case "\n", "\t": out.unicodeScalars.append(u)
            default:
                let v = u.value
                if v < 0x20 || v == 0xFFFE || v == 0xFFFF { out += "\u{FFFD}" } else { out.unicodeScalars.append(u) }
            }
        }
        return out
    }
}
