/// `cleanroom check` and `cleanroom merge`: judge objectives again over runs already recorded in
/// a report, running nothing. No runs can be added here, so an interval that still straddles its
/// threshold is `inconclusive`.
public enum Rejudge {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
    }

    /// The objectives a saved report was judged against, rebuilt from their text, one per
    /// (objective, workload) result so that `*` objectives stay one result per workload.
    public static func objectives(of report: Report) throws -> [SLOPlan] {
        var out: [SLOPlan] = []
        for r in report.slos {
            do {
                let o = try ObjectiveParser.parse(r.objective)
                out.append(SLOPlan(name: r.name, workload: r.workload, objective: o, level: r.level))
            } catch {
                throw Failure(message: "objective \"\(r.objective)\" of \(r.name) in the report cannot be read: \(error)")
            }
        }
        return out
    }

    /// Judges `slos` over the report's runs and decides the verdict again. `noise(workload)` says
    /// whether noise is judged for that workload (from slo.json; on when no config is given).
    public static func judge(_ report: Report, slos: [SLOPlan], baseline: Report?, strict: Bool,
                             noise: (String) -> Bool = { _ in true }) -> Report {
        var out = report
        for i in out.workloads.indices where out.workloads[i].stats.isEmpty {
            out.workloads[i].stats = Statistics.workloadStats(out.workloads[i].runs)
        }
        let judgements = Judge.evaluateAll(slos: slos, workloads: out.workloads, baseline: baseline?.workloads, noise: noise)
        out.slos = judgements.map { j in
            var r = j.result
            if j.needsMoreRuns { r.status = .inconclusive; r.reason = r.reason ?? "the interval straddles the threshold and no runs can be added when re-judging" }
            // Keep how many runs the original run added for this objective.
            if let old = report.slos.first(where: { $0.name == r.name && $0.workload == r.workload }) { r.runsAdded = old.runsAdded }
            if let slo = slos.first(where: { $0.name == r.name }),
               let w = out.workloads.first(where: { $0.name == r.workload }) {
                Contention.review(&r, metric: slo.objective.metric, runs: w.runs, strict: strict)
                ServiceObjectiveReview.review(&r, metric: slo.objective.metric, runs: w.runs)
            }
            return r
        }
        out.verdict = Judge.verdict(results: out.slos,
                                    // A workload whose setup or teardown failed has `error` set (and
                                    // maybe no runs at all): it failed the original run, so it fails here.
                                    workloadsFailed: out.workloads.contains { $0.error != nil || Judge.workloadFailed($0) },
                                    strict: strict, degraded: !out.host.degraded.isEmpty,
                                    interrupted: report.verdict == .interrupted,
                                    setupError: report.verdict == .error)
        return out
    }

    /// Joins shard reports into one: every workload once, host facts and degradations together,
    /// the earliest start and the latest finish. Objectives are judged by the caller on the whole.
    public static func merge(_ shards: [Report]) throws -> Report {
        guard let first = shards.first else { throw Failure(message: "no shard reports given") }
        var seen: [String: Int] = [:]
        var merged = first
        merged.workloads = []
        merged.slos = []
        merged.alerts = []
        merged.shard = nil
        var degraded: [String] = []
        for (i, s) in shards.enumerated() {
            guard s.schema == Report.schemaID else {
                throw Failure(message: "shard \(i + 1) is not a \(Report.schemaID) report (schema \"\(s.schema)\")")
            }
            for w in s.workloads {
                if let j = seen[w.name] {
                    throw Failure(message: "workload \"\(w.name)\" is in shard \(j + 1) and shard \(i + 1): were the shards run with the same --shard K/N?")
                }
                seen[w.name] = i
                merged.workloads.append(w)
            }
            merged.slos += s.slos
            for d in s.host.degraded where !degraded.contains(d) { degraded.append(d) }
            if s.startedAt < merged.startedAt { merged.startedAt = s.startedAt }
            if s.finishedAt > merged.finishedAt { merged.finishedAt = s.finishedAt }
            for (k, v) in s.labels where merged.labels[k] == nil { merged.labels[k] = v }
            if s.verdict == .interrupted { merged.verdict = .interrupted }
            if s.verdict == .error, merged.verdict != .interrupted { merged.verdict = .error }
        }
        merged.host.degraded = degraded
        return merged
    }
}
