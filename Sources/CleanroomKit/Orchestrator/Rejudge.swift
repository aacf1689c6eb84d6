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
    /// Workloads that carry base runs (`--baseline-from`) are judged against them; the others
    /// against `baseline`, recorded as `baselineSource`.
    public static func judge(_ report: Report, slos: [SLOPlan], baseline: Report?, strict: Bool,
                             noise: (String) -> Bool = { _ in true }, baselineSource: BaselineRecord? = nil) -> Report {
        var out = report
        for i in out.workloads.indices where out.workloads[i].stats.isEmpty {
            out.workloads[i].stats = Statistics.workloadStats(out.workloads[i].runs)
        }
        let judgements = MetricGlobs.evaluateAll(slos: slos, workloads: out.workloads, baseline: baseline?.workloads, noise: noise,
                                                   baselineSource: baselineSource)
        out.slos = judgements.map { j in
            var r = j.result
            if j.needsMoreRuns { r.status = .inconclusive; r.reason = r.reason ?? "the interval straddles the threshold and no runs can be added when re-judging" }
            // Keep how many runs the original run added for this objective.
            if let old = report.slos.first(where: { $0.name == r.name && $0.workload == r.workload && $0.objective == r.objective })
                ?? report.slos.first(where: { $0.name == r.name && $0.workload == r.workload }) {
                r.runsAdded = old.runsAdded
                // A glob objective's results were saved one per metric: keep which metric each is.
                if r.metric == nil, old.objective == r.objective { r.metric = old.metric }
            }
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
        var objectiveSeen: [String: Int] = [:]
        var shardSeen: [String: Int] = [:]
        var shardCounts: [Int: Int] = [:]
        for (i, s) in shards.enumerated() {
            if let tag = s.shard, let cut = Shard(tag) {
                if let j = shardSeen[tag] {
                    throw Failure(message: "shard \(i + 1) and shard \(j + 1) are both shard \(tag): give each shard's report once")
                }
                shardSeen[tag] = i
                shardCounts[cut.count, default: 0] += 1
                if shardCounts.count > 1 {
                    throw Failure(message: "the shards were cut differently (\(shardCounts.keys.sorted().map { "of \($0)" }.joined(separator: " and "))): "
                                  + "merge the reports of one `run --shard K/N` matrix, with the same N")
                }
            }
            for r in s.slos {
                let key = r.name + "\u{0}" + r.workload
                if let j = objectiveSeen[key] {
                    throw Failure(message: "objective \"\(ConsoleText.escape(r.name))\" on workload \"\(ConsoleText.escape(r.workload))\" is in "
                                  + (j == i ? "shard \(i + 1) twice" : "shard \(j + 1) and shard \(i + 1)")
                                  + ": shards must not overlap (were they run with the same --shard K/N?)")
                }
                objectiveSeen[key] = i
            }
            guard s.schema == Report.schemaID else {
                throw Failure(message: "shard \(i + 1) is not a \(Report.schemaID) report (schema \"\(s.schema)\")")
            }
            for w in s.workloads {
                if let j = seen[w.name] {
                    throw Failure(message: "workload \"\(ConsoleText.escape(w.name))\" is in shard \(j + 1) and shard \(i + 1): were the shards run with the same --shard K/N?")
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
