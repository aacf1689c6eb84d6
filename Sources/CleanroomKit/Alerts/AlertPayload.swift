import Foundation

/// The body of a `json` webhook (`schema: "cleanroom/alert@1"`, docs/alerts.md): enough to act
/// on without opening the report — the verdict and why, every objective as in report.json, the
/// workloads that failed, the labels (branch, commit) and where the HTML report is.
public struct AlertPayload: Codable, Equatable, Sendable {
    public static let schemaID = "cleanroom/alert@1"

    public var schema: String = AlertPayload.schemaID
    public var verdict: Verdict
    /// The exit code cleanroom gives this verdict.
    public var exitCode: Int32
    /// One sentence, e.g. "fail: 1 of 4 objectives failed; workload api ran 1 failed run".
    public var summary: String
    public var startedAt: String
    public var finishedAt: String
    public var labels: [String: String]
    public var shard: String?
    public var host: Host
    /// Objectives per status (`pass`, `fail`, `inconclusive`, `no_data`), all four always present.
    public var counts: [String: Int]
    /// Every objective result, exactly as in report.json's `slos`.
    public var objectives: [ObjectiveResult]
    /// Workloads with a run that did not end as expected, or that could not run at all.
    public var failedWorkloads: [FailedWorkload]
    public var report: Links

    public struct Host: Codable, Equatable, Sendable {
        /// The machine's host name (gethostname).
        public var name: String
        public var kernel: String
        public var cgroup: String
        public var degraded: [String]
    }

    public struct FailedWorkload: Codable, Equatable, Sendable {
        public var name: String
        public var runs: Int
        /// Outcome → number of runs that ended so (`ok` left out).
        public var outcomes: [String: Int]
        public var error: String?
    }

    public struct Links: Codable, Equatable, Sendable {
        /// report.html: the path (or link) the caller gave; nil when no HTML report was written.
        public var html: String?
    }

    enum CodingKeys: String, CodingKey {
        case schema, verdict, summary, labels, shard, host, counts, objectives, report
        case exitCode = "exit_code"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case failedWorkloads = "failed_workloads"
    }

    public init(report: Report, htmlReportPath: String?, hostname: String) {
        verdict = report.verdict
        exitCode = report.verdict.exitCode
        startedAt = report.startedAt
        finishedAt = report.finishedAt
        labels = report.labels
        shard = report.shard
        host = Host(name: hostname, kernel: report.host.kernel, cgroup: report.host.cgroup, degraded: report.host.degraded)
        var c: [String: Int] = [:]
        for s in ObjectiveStatus.allCases { c[s.rawValue] = 0 }
        for r in report.slos { c[r.status.rawValue, default: 0] += 1 }
        counts = c
        objectives = report.slos
        failedWorkloads = AlertPayload.failedWorkloads(report)
        self.report = Links(html: htmlReportPath)
        summary = AlertPayload.summary(report)
    }

    /// Sorted keys, no escaped slashes: stable bytes, so a signature over them is reproducible.
    public func encoded() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try enc.encode(self)
    }

    static func failedWorkloads(_ report: Report) -> [FailedWorkload] {
        report.workloads.compactMap { w in
            var outcomes: [String: Int] = [:]
            for r in w.runs where r.outcome != .ok { outcomes[r.outcome.rawValue, default: 0] += 1 }
            guard !outcomes.isEmpty || w.error != nil else { return nil }
            return FailedWorkload(name: w.name, runs: w.runs.count, outcomes: outcomes, error: w.error)
        }
    }

    /// "fail: 1 of 4 objectives failed, 1 inconclusive; workload api failed (1 timeout)".
    static func summary(_ report: Report) -> String {
        var parts: [String] = []
        let n = report.slos.count
        let failed = report.slos.filter { $0.status == .fail }.count
        let inconclusive = report.slos.filter { $0.status == .inconclusive }.count
        let noData = report.slos.filter { $0.status == .noData }.count
        var obj = n == 0 ? "no objectives" : "\(failed) of \(n) objective\(n == 1 ? "" : "s") failed"
        if inconclusive > 0 { obj += ", \(inconclusive) inconclusive" }
        if noData > 0 { obj += ", \(noData) without data" }
        parts.append(obj)
        for w in failedWorkloads(report) {
            let o = w.outcomes.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            parts.append("workload \(w.name) failed" + (o.isEmpty ? "" : " (\(o))") + (w.error.map { ": \($0)" } ?? ""))
        }
        return "\(report.verdict.rawValue): " + parts.joined(separator: "; ")
    }
}
