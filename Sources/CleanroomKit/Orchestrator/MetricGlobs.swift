import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Objectives over many metrics: a glob in a custom metric's name (`median(custom.BM_*.real_time)
/// <= baseline + 5%`) stands for every custom metric of the workload that matches it (fnmatch(3):
/// `*`, `?`, `[…]`; `*` also matches `/` and `.`). This layer runs *before* judging: it turns one
/// such objective into one ordinary objective per matching metric, each judged exactly as if it had
/// been written out, so the judge (Analysis/) never sees a glob. A glob that matches nothing is one
/// `no_data` result saying so.
public enum MetricGlobs {
    public static func isGlob(_ objective: Objective) -> Bool {
        guard case .custom(let name) = objective.metric else { return false }
        return name.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" })
    }

    public static func matches(_ pattern: String, _ name: String) -> Bool { fnmatch(pattern, name, 0) == 0 }

    /// The custom metrics of `workload`'s measured runs (and the baseline's: a benchmark that
    /// disappeared is reported, as no_data) that match the objective's glob, sorted.
    public static func matchingMetrics(_ objective: Objective, workload: WorkloadReport?, baseline: WorkloadReport?) -> [String] {
        guard case .custom(let pattern) = objective.metric else { return [] }
        var names = Set<String>()
        for r in (workload?.runs ?? []) + (baseline?.runs ?? []) where !r.warmup {
            for k in r.custom.keys where matches(pattern, k) { names.insert(k) }
        }
        return names.sorted()
    }

    /// One concrete objective per matching metric; its text names the metric (so a saved report's
    /// objectives can be judged again one by one).
    public static func expand(_ slo: SLOPlan, workload: WorkloadReport?, baseline: WorkloadReport?) -> [SLOPlan] {
        guard isGlob(slo.objective), case .custom(let pattern) = slo.objective.metric else { return [slo] }
        return matchingMetrics(slo.objective, workload: workload, baseline: baseline).map { name in
            var s = slo
            s.objective.metric = .custom(name)
            s.objective.text = slo.objective.text.replacingOccurrences(of: "custom." + pattern, with: "custom." + name)
            return s
        }
    }

    /// Judges `slo` on one workload: a glob objective gives one result per matching metric (each
    /// carrying `metric`), or one `no_data` result when nothing matches; any other objective gives
    /// `evaluate(slo)` unchanged.
    public static func judge(_ slo: SLOPlan, workload: WorkloadReport?, baseline: WorkloadReport?,
                             evaluate: (SLOPlan) -> (result: ObjectiveResult, needsMoreRuns: Bool))
        -> [(result: ObjectiveResult, needsMoreRuns: Bool)] {
        guard isGlob(slo.objective) else { return [evaluate(slo)] }
        let plans = expand(slo, workload: workload, baseline: baseline)
        guard !plans.isEmpty else { return [(noMatch(slo, workload: workload), false)] }
        return plans.map { p in
            var j = evaluate(p)
            if case .custom(let name) = p.objective.metric { j.result.metric = name }
            return j
        }
    }

    static func noMatch(_ slo: SLOPlan, workload: WorkloadReport?) -> ObjectiveResult {
        let name = workload?.name ?? slo.workload
        let reported = Set((workload?.runs ?? []).filter { !$0.warmup }.flatMap { $0.custom.keys }).sorted()
        let seen: String
        if reported.isEmpty { seen = "it reported no custom metrics" }
        else {
            let shown = reported.prefix(5).map { "custom." + $0 }.joined(separator: ", ")
            seen = "it reported \(reported.count): \(shown)\(reported.count > 5 ? ", …" : "")"
        }
        return ObjectiveResult(name: slo.name, workload: name, objective: slo.objective.text, level: slo.level,
                               observed: nil, threshold: nil, unit: "", status: .noData,
                               reason: "no custom metric of \(name) matches \(slo.objective.metric.key) (\(seen))")
    }

    /// `Judge.evaluateAll` with globs expanded first (`cleanroom check` and `merge`).
    public static func evaluateAll(slos: [SLOPlan], workloads: [WorkloadReport], baseline: [WorkloadReport]?,
                                   noise: (String) -> Bool = { _ in true },
                                   baselineSource: BaselineRecord? = nil) -> [Judgement] {
        guard slos.contains(where: { isGlob($0.objective) }) else {
            return Judge.evaluateAll(slos: slos, workloads: workloads, baseline: baseline, noise: noise,
                                     baselineSource: baselineSource)
        }
        let byName = Dictionary(workloads.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let baseByName = baseline.map { Dictionary($0.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a }) }
        var out: [Judgement] = []
        for t in Judge.targets(slos, workloads: workloads.map(\.name)) {
            var concrete = t.slo
            concrete.workload = t.workload
            let js = withoutActuallyEscaping(noise) { noise in
                judge(concrete, workload: byName[t.workload], baseline: baseByName?[t.workload]) { p in
                    let j = Judge.evaluateAll(slos: [p], workloads: workloads, baseline: baseline, noise: noise,
                                             baselineSource: baselineSource)[0]
                    return (j.result, j.needsMoreRuns)
                }
            }
            out += js.map { Judgement(result: $0.result, needsMoreRuns: $0.needsMoreRuns) }
        }
        return out
    }
}
