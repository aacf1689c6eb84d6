import Foundation

/// summary.md: for `$GITHUB_STEP_SUMMARY` or a pull-request comment. A verdict line in words
/// (no emoji: it must read the same in a plain terminal and to a screen reader), the objectives
/// table, the worst regressions, runs that did not end as expected, and what the host could not
/// enforce or measure. Every name from the config is escaped so it cannot break the table or
/// inject markup.
public enum MarkdownReport {
    /// How many objectives "worst regressions" lists.
    public static let worstCount = 5
    /// How many passing objectives "closest passes" lists.
    public static let closestPassCount = 3

    private static func list(_ slos: [ObjectiveResult]) -> String {
        var md = ""
        for (i, s) in slos.enumerated() {
            md += "\(i + 1). **\(escape(s.name))** on \(escape(s.workload)): \(ReportText.margin(s.margin)) "
            md += "(\(ReportText.objectiveValue(s.observed, s)) vs "
            md += "\(ReportText.objectiveValue(s.threshold, s)), \(statusWord(s)))\n"
        }
        return md
    }

    public static func render(_ report: Report) -> String {
        var md = "## cleanroom: \(report.verdict.rawValue.uppercased())\n\n"
        md += "**Verdict: \(report.verdict.rawValue.uppercased())** (exit \(report.verdict.exitCode)): "
        md += escape(ReportText.verdictSentence(report)) + ".\n\n"
        let runs = report.workloads.reduce(0) { $0 + ReportText.measured($1).count }
        md += "\(report.workloads.count) workload\(report.workloads.count == 1 ? "" : "s"), \(runs) measured run\(runs == 1 ? "" : "s") · "
        md += "kernel \(escape(report.host.kernel)), \(report.host.cpus) CPUs, cgroup \(escape(report.host.cgroup))"
        if let shard = report.shard { md += " · shard \(escape(shard))" }
        md += "\n"
        let labels = report.labels.sorted { $0.key < $1.key }
        if !labels.isEmpty {
            md += "Labels: " + labels.map { "\(escape($0.key))=\(escape($0.value))" }.joined(separator: ", ") + "\n"
        }

        if !report.slos.isEmpty {
            md += "\n### Objectives\n\n"
            md += "| Status | Objective | Workload | Observed | Threshold | Margin | 95% CI | Level |\n"
            md += "|---|---|---|--:|--:|--:|---|---|\n"
            let split = ResultGroups.split(report.slos)
            for s in split.listed { md += objectiveRow(s) }
            // Passing results of objectives with many (a glob, `*`): folded, one line each.
            for g in split.folded {
                md += "\n<details><summary>pass: \(escape(ResultGroups.title(g)))</summary>\n\n"
                md += "| Status | Objective | Workload | Observed | Threshold | Margin | 95% CI | Level |\n"
                md += "|---|---|---|--:|--:|--:|---|---|\n"
                for s in g.results { md += objectiveRow(s) }
                md += "\n</details>\n"
            }
            let folded = Set(split.folded.flatMap { $0.results.map { "\($0.name)\u{0}\($0.workload)\u{0}\($0.objective)" } })
            let notes = report.slos.filter { ($0.reason != nil || ($0.runsAdded ?? 0) > 0 || $0.baseline != nil) && !folded.contains("\($0.name)\u{0}\($0.workload)\u{0}\($0.objective)") }
            if !notes.isEmpty {
                md += "\n"
                for s in notes {
                    var parts: [String] = []
                    if let n = s.runsAdded, n > 0 { parts.append("\(n) run\(n == 1 ? "" : "s") added to beat the noise") }
                    if let r = s.reason { parts.append(escape(r)) }
                    if let b = ReportText.baselineLine(s) { parts.append(escape(b)) }
                    md += "- **\(escape(s.name))** (\(escape(s.workload))): \(parts.joined(separator: "; "))\n"
                }
            }

            // Only what did not pass is a regression; the passes nearest their line are listed
            // apart, so a reader never takes a comfortable pass for a problem.
            let ranked = ReportText.objectivesByUrgency(report.slos)
            let worst = ranked.filter { $0.status == .fail || $0.status == .inconclusive }.prefix(worstCount)
            if !worst.isEmpty {
                md += "\n### Worst regressions\n\nFailing, inconclusive and warning objectives, the most urgent first.\n\n"
                md += list(Array(worst))
            }
            let closest = report.slos.filter { $0.status == .pass && $0.margin?.isFinite == true }
                .sorted { $0.margin! < $1.margin! }.prefix(closestPassCount)
            if !closest.isEmpty {
                md += "\n### Closest passes\n\nPassing objectives nearest their threshold.\n\n"
                md += list(Array(closest))
            }
        }

        let bad = report.workloads.flatMap { w in w.runs.filter { $0.outcome != .ok }.map { (w, $0) } }
        if !bad.isEmpty {
            md += "\n### Runs that did not end as expected\n\n"
            md += "| Workload | Run | Outcome | Exit | Detail |\n|---|--:|---|--:|---|\n"
            for (w, r) in bad {
                let exit = r.exitCode.map(String.init) ?? r.signal.map(escape) ?? "—"
                md += "| \(escape(w.name)) | \(r.index)\(r.warmup ? " (warmup)" : "") | \(r.outcome.rawValue) | \(exit) | \(escape(r.detail ?? "")) |\n"
            }
        }

        let contended = ReportText.contentionLines(report)
        if !contended.isEmpty {
            md += "\n### Measured under host contention\n\nOther work on the host competed for CPU during these runs: "
            md += "their timing figures may be inflated (threshold in docs/metrics.md, \"Contention\").\n\n"
            md += contended.map { "- \(escape($0))" }.joined(separator: "\n") + "\n"
        }

        let denied = report.workloads.compactMap { w -> String? in
            var total: [String: Int] = [:]
            for r in w.runs { for (k, v) in r.seccompDenied { total[k, default: 0] += v } }
            guard !total.isEmpty else { return nil }
            return "- \(escape(w.name)): " + total.sorted { $0.key < $1.key }.map { "\(escape($0.key)) ×\($0.value)" }.joined(separator: ", ")
        }
        if !denied.isEmpty {
            md += "\n### Denied syscalls (seccomp)\n\n" + denied.joined(separator: "\n") + "\n"
        }

        if !report.host.degraded.isEmpty {
            md += "\n### Degraded\n\nThis host could not enforce or measure everything that was asked for:\n\n"
            md += report.host.degraded.map { "- \(escape($0))" }.joined(separator: "\n") + "\n"
        }
        let failedAlerts = report.alerts.filter { $0.status != "delivered" }
        if !failedAlerts.isEmpty {
            md += "\n### Alerts not delivered\n\n"
            md += failedAlerts.map { "- \(escape($0.target)) (\(escape($0.format))): \(escape($0.status)) after \($0.attempts) attempt\($0.attempts == 1 ? "" : "s")\($0.error.map { ": " + escape($0) } ?? "")" }
                .joined(separator: "\n") + "\n"
        }
        md += "\n<sub>cleanroom \(escape(report.cleanroomVersion ?? "")) · \(escape(report.startedAt)) – \(escape(report.finishedAt)) · full report: report.html</sub>\n"
        return md
    }

    static func objectiveRow(_ s: ObjectiveResult) -> String {
        "| " + [statusWord(s), "**\(escape(ResultGroups.label(s)))** \(escape(s.objective))", escape(s.workload),
                ReportText.objectiveValue(s.observed, s),
                ReportText.objectiveValue(s.threshold, s),
                ReportText.margin(s.margin), ci(s), escape(s.level.rawValue)]
            .joined(separator: " | ") + " |\n"
    }

    /// The status in words; a failed `warn` objective is a "warning" (it does not fail the gate).
    static func statusWord(_ o: ObjectiveResult) -> String {
        if o.status == .fail && o.level == .warn { return "warning" }
        switch o.status {
        case .pass: return "pass"
        case .fail: return "**FAIL**"
        case .inconclusive: return "**inconclusive**"
        case .noData: return "no data"
        }
    }

    private static func ci(_ s: ObjectiveResult) -> String {
        guard let ci = s.ci, ci.count == 2 else { return "—" }
        return "\(ReportText.objectiveValue(ci[0], s)) – \(ReportText.objectiveValue(ci[1], s))"
    }

    /// Makes text inert in Markdown and in a GitHub table cell: the characters that carry
    /// meaning (backslash, backtick, `* _ { } [ ] < > ( ) # + - ! | ~ & @ :`) are backslash-escaped (CommonMark
    /// allows that for every ASCII punctuation character), so `|` cannot end a cell, `<script>`,
    /// `[x](y)` and `@someone` render as typed; a leading `1.` cannot start a list; line breaks
    /// become spaces. Our own numbers are not passed through this.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        var onlyDigitsSoFar = true
        for u in s.unicodeScalars {
            switch u {
            case "\n", "\r", "\u{2028}", "\u{2029}": out += " "
            case "\\", "`", "*", "_", "{", "}", "[", "]", "<", ">", "(", ")", "#", "+", "-", "!", "|", "~", "&", "@", ":":
                out += "\\"; out.unicodeScalars.append(u)
            case "." where onlyDigitsSoFar && !out.isEmpty:
                out += "\\."
            default:
                if u.value < 0x20 || u.value == 0x7F { out += " " } else { out.unicodeScalars.append(u) }
            }
            if !("0"..."9").contains(u) { onlyDigitsSoFar = false }
        }
        return out
    }
}
