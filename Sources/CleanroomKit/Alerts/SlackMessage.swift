import Foundation

/// The body of a `slack` webhook: a Slack incoming-webhook message in Block Kit — a header with
/// the verdict, one section per failed or inconclusive objective (and per failed workload), a
/// context line with the host, labels and time. `text` is the notification fallback.
///
/// Slack's limits are respected: at most 50 blocks (sections beyond `maxSections` are folded
/// into one "… and N more" section), header text ≤ 150 characters, section text ≤ 3000.
public struct SlackMessage: Encodable, Equatable, Sendable {
    public var text: String
    public var blocks: [Block]

    static let maxSections = 40

    public enum Block: Encodable, Equatable, Sendable {
        case header(String)
        case section(String)
        case context([String])

        enum Keys: String, CodingKey { case type, text, elements }
        struct Text: Encodable { var type: String; var text: String }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            switch self {
            case .header(let t):
                try c.encode("header", forKey: .type)
                try c.encode(Text(type: "plain_text", text: SlackMessage.clip(t, 150)), forKey: .text)
            case .section(let t):
                try c.encode("section", forKey: .type)
                try c.encode(Text(type: "mrkdwn", text: SlackMessage.clip(t, 3000)), forKey: .text)
            case .context(let items):
                try c.encode("context", forKey: .type)
                try c.encode(items.map { Text(type: "mrkdwn", text: SlackMessage.clip($0, 3000)) }, forKey: .elements)
            }
        }
    }

    public init(report: Report, hostname: String) {
        let summary = AlertPayload.summary(report)
        text = "cleanroom " + summary
        var blocks: [Block] = [.header("cleanroom: \(report.verdict.rawValue.uppercased())")]
        var sections: [String] = [SlackMessage.escape(summary)]
        for r in report.slos where r.status == .fail || r.status == .inconclusive {
            sections.append(SlackMessage.objectiveText(r))
        }
        for w in AlertPayload.failedWorkloads(report) {
            let o = w.outcomes.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            var t = "*workload \(SlackMessage.escape(w.name))* failed: \(w.runs) run\(w.runs == 1 ? "" : "s")"
            if !o.isEmpty { t += ", \(o)" }
            if let e = w.error { t += "\n\(SlackMessage.escape(e))" }
            sections.append(t)
        }
        if sections.count > SlackMessage.maxSections {
            let extra = sections.count - (SlackMessage.maxSections - 1)
            sections = Array(sections.prefix(SlackMessage.maxSections - 1)) + ["… and \(extra) more in the report"]
        }
        blocks += sections.map { .section($0) }
        var ctx = "host *\(SlackMessage.escape(hostname))* · kernel \(SlackMessage.escape(report.host.kernel)) · cgroup \(report.host.cgroup)"
        if !report.labels.isEmpty {
            ctx += " · " + report.labels.sorted { $0.key < $1.key }
                .map { "\(SlackMessage.escape($0.key))=\(SlackMessage.escape($0.value))" }.joined(separator: " ")
        }
        if let shard = report.shard { ctx += " · shard \(SlackMessage.escape(shard))" }
        ctx += " · \(report.startedAt) → \(report.finishedAt)"
        blocks.append(.context([ctx]))
        self.blocks = blocks
    }

    public func encoded() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try enc.encode(self)
    }

    /// `*Name* · workload` / `` `max(wall_time) <= 15s` `` → *FAIL* / observed, threshold, why.
    static func objectiveText(_ r: ObjectiveResult) -> String {
        var t = "*\(escape(r.name))* · \(escape(r.workload)) · \(r.level.rawValue)\n"
        t += "`\(escape(r.objective))` → *\(r.status.rawValue.uppercased())*"
        var figures: [String] = []
        if let o = r.observed { figures.append("observed \(UnitText.value(o, unit: r.unit))") }
        if let th = r.threshold { figures.append("threshold \(UnitText.value(th, unit: r.unit))") }
        if let ci = r.ci, ci.count == 2 {
            figures.append("95% CI [\(UnitText.value(ci[0], unit: r.unit)), \(UnitText.value(ci[1], unit: r.unit))]")
        }
        if !figures.isEmpty { t += "\n" + figures.joined(separator: " · ") }
        if let why = r.reason { t += "\n_\(escape(why))_" }
        return t
    }

    /// Slack's mrkdwn needs exactly these three escaped (`<=` in an objective would otherwise
    /// start a link).
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    static func clip(_ s: String, _ n: Int) -> String {
        s.count <= n ? s : String(s.prefix(n - 1)) + "…"
    }
}
