import Foundation

/// One objective judged on one workload, plus what the orchestrator should do next.
public struct Judgement: Equatable, Sendable {
    public var result: ObjectiveResult
    /// The confidence interval straddles the threshold: add measured runs of this workload
    /// (up to its `max_repeat`) and evaluate again. If no more runs may be added, `result`
    /// (status `inconclusive`) is final.
    public var needsMoreRuns: Bool

    public init(result: ObjectiveResult, needsMoreRuns: Bool) {
        self.result = result; self.needsMoreRuns = needsMoreRuns
    }
}

/// An objective bound to one concrete workload (a `*` objective gives one per workload).
public struct SLOTarget: Equatable, Sendable {
    public var slo: SLOPlan
    public var workload: String
    public init(slo: SLOPlan, workload: String) { self.slo = slo; self.workload = workload }
}

/// Judges objectives against measured runs. Pure functions of their inputs: the same report
/// and plan always give the same results (the bootstrap is seeded from the data).
public enum Judge {

    /// Expands objectives over workloads: `*` gives one target per workload in `workloads`
    /// (in that order), a name gives one target for that name (even if it is not in
    /// `workloads`: `evaluateAll` then reports it as `no_data`). Objectives keep their order.
    public static func targets(_ slos: [SLOPlan], workloads: [String]) -> [SLOTarget] {
        slos.flatMap { slo -> [SLOTarget] in
            slo.workload == "*" ? workloads.map { SLOTarget(slo: slo, workload: $0) }
                                : [SLOTarget(slo: slo, workload: slo.workload)]
        }
    }

    /// True when any run of the workload (warmups included) did not end as expected:
    /// such a workload fails the verdict whatever its objectives say.
    public static func workloadFailed(_ workload: WorkloadReport) -> Bool {
        workload.runs.contains { $0.outcome != .ok }
    }

    /// Judges `slo` on `workload`.
    ///
    /// - Parameters:
    ///   - baseline: the same workload in the baseline (a saved report, or runs gathered from
    ///     history). nil when there is none; only objectives written against `baseline` need it.
    ///   - noise: false to judge the point value alone (`"noise": "off"` on the workload);
    ///     `slo.noise` is honoured as well.
    ///   - noBaselineReason: the sentence a baseline objective gets when `baseline` is nil.
    public static func evaluate(slo: SLOPlan, workload: WorkloadReport, baseline: WorkloadReport?,
                                noise: Bool = true, noBaselineReason: String? = nil) -> Judgement {
        let obj = slo.objective
        let agg = obj.aggregate
        let obs = Observations(metric: obj.metric, runs: workload.runs)
        var result = ObjectiveResult(name: slo.name, workload: workload.name, objective: obj.text,
                                     level: slo.level, observed: nil, threshold: nil,
                                     unit: agg == .count ? "count" : obs.unit, status: .noData)
        func noData(_ reason: String) -> Judgement {
            result.status = .noData
            result.reason = reason
            return Judgement(result: result, needsMoreRuns: false)
        }

        // 1. The observed aggregate.
        if obs.unitConflict != nil || obs.measuredRuns == 0 { return noData(obs.emptyReason) }
        if agg != .count && obs.values.isEmpty { return noData(obs.emptyReason) }
        guard let observed = Statistics.aggregate(agg, obs.values) else {
            return noData("\(agg) needs at least two values of \(obj.metric.key), have \(obs.values.count)")
        }
        result.observed = observed

        // 2. The threshold, resolved against the baseline when the objective asks for one.
        let threshold: Double
        if case .absolute(let v) = obj.threshold {
            threshold = v
        } else {
            guard let baseline else {
                return noData(noBaselineReason
                    ?? "needs a baseline (--baseline REPORT.json or --baseline history) and none was given for \(workload.name)")
            }
            let baseObs = Observations(metric: obj.metric, runs: baseline.runs)
            if case .custom = obj.metric, !baseObs.unit.isEmpty, !obs.unit.isEmpty, baseObs.unit != obs.unit {
                return noData("baseline reports \(obj.metric.key) in \(baseObs.unit), this run in \(obs.unit)")
            }
            guard baseObs.unitConflict == nil, baseObs.measuredRuns > 0, agg == .count || !baseObs.values.isEmpty,
                  let base = Statistics.aggregate(agg, baseObs.values),
                  let resolved = obj.threshold.resolve(baseline: base) else {
                return noData("baseline: " + (baseObs.values.isEmpty ? baseObs.emptyReason
                    : "\(agg) needs at least two values of \(obj.metric.key), have \(baseObs.values.count)"))
            }
            threshold = resolved
        }
        result.threshold = threshold
        result.margin = margin(observed: observed, threshold: threshold, comparison: obj.comparison)

        // 3. Pass or fail: by the confidence interval when noise is judged, else by the point value.
        let judgeNoise = noise && slo.noise && noiseApplies(agg) && obs.values.count >= 2
        guard judgeNoise, let ci = Bootstrap.interval(agg, obs.values, salt: obj.metric.key) else {
            result.status = obj.comparison.holds(observed, threshold) ? .pass : .fail
            return Judgement(result: result, needsMoreRuns: false)
        }
        result.ci = [ci.lowerBound, ci.upperBound]
        let lowOK = obj.comparison.holds(ci.lowerBound, threshold)
        let highOK = obj.comparison.holds(ci.upperBound, threshold)
        if lowOK && highOK {
            result.status = .pass
            return Judgement(result: result, needsMoreRuns: false)
        }
        if !lowOK && !highOK {
            result.status = .fail
            return Judgement(result: result, needsMoreRuns: false)
        }
        result.status = .inconclusive
        result.reason = "95% CI [\(fmt(ci.lowerBound)), \(fmt(ci.upperBound))] \(result.unit) of \(obs.values.count) "
            + (obs.isPooled ? "observations" : "runs") + " straddles the threshold \(fmt(threshold)) \(result.unit)"
        return Judgement(result: result, needsMoreRuns: true)
    }

    /// Judges every objective on every workload it names (`*`: all of them).
    ///
    /// - Parameter baseline: the baseline's workloads, nil when no baseline was given at all.
    ///   A baseline without a workload of the same name gives that workload's baseline
    ///   objectives `no_data`.
    public static func evaluateAll(slos: [SLOPlan], workloads: [WorkloadReport], baseline: [WorkloadReport]?,
                                   noise: (String) -> Bool = { _ in true }) -> [Judgement] {
        let byName = Dictionary(workloads.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let baseByName = baseline.map { Dictionary($0.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a }) }
        return targets(slos, workloads: workloads.map(\.name)).map { t in
            guard let w = byName[t.workload] else {
                let r = ObjectiveResult(name: t.slo.name, workload: t.workload, objective: t.slo.objective.text,
                                        level: t.slo.level, observed: nil, threshold: nil,
                                        unit: t.slo.objective.metric.dimension.baseUnit, status: .noData,
                                        reason: "workload \(t.workload) is not in the report")
                return Judgement(result: r, needsMoreRuns: false)
            }
            var reason: String? = nil
            if baseByName != nil && baseByName?[t.workload] == nil {
                reason = "the baseline has no workload \(t.workload)"
            }
            return evaluate(slo: t.slo, workload: w, baseline: baseByName?[t.workload],
                            noise: noise(t.workload), noBaselineReason: reason)
        }
    }

    /// Whether a confidence interval can decide this aggregate. `count` is exact (every resample
    /// has the same size). `min` and `max` are facts about the runs that were made — "no run
    /// took longer than 15 s" — and extra runs can only push them further out, so they are
    /// judged on the observed value, with no interval and no re-runs.
    public static func noiseApplies(_ agg: Aggregate) -> Bool {
        switch agg {
        case .count, .min, .max: return false
        case .mean, .median, .stddev, .percentile: return true
        }
    }

    /// Relative distance of `observed` from `threshold`, positive on the passing side:
    /// `(threshold − observed) / |threshold|` for `<` and `<=`, `(observed − threshold) / |threshold|`
    /// for `>` and `>=`. nil when the threshold is 0 (no scale to be relative to).
    /// E.g. 1.3 against `<= 15` → 0.9133.
    public static func margin(observed: Double, threshold: Double, comparison: Comparison) -> Double? {
        guard threshold != 0, observed.isFinite, threshold.isFinite else { return nil }
        let d = comparison.isUpperBound ? threshold - observed : observed - threshold
        return d / abs(threshold)
    }

    /// The verdict of a run / check / merge (SPEC "Exit codes"), first match wins:
    ///
    /// | condition | verdict |
    /// |---|---|
    /// | interrupted | interrupted (130) |
    /// | the sandbox could not be set up | error (3) |
    /// | `--strict` and something asked for was not enforced (`degraded`) | error (3) |
    /// | an error-level objective failed, or a workload failed | fail (1) |
    /// | `--strict` and an error-level objective is `no_data` | fail (1) |
    /// | an error-level objective is inconclusive | inconclusive (4) |
    /// | otherwise (passes, `no_data` without `--strict`, any warn-level result) | pass (0) |
    public static func verdict(results: [ObjectiveResult], workloadsFailed: Bool, strict: Bool,
                               degraded: Bool, interrupted: Bool, setupError: Bool) -> Verdict {
        if interrupted { return .interrupted }
        if setupError { return .error }
        if strict && degraded { return .error }
        let gating = results.filter { $0.level == .error }
        if workloadsFailed || gating.contains(where: { $0.status == .fail }) { return .fail }
        if strict && gating.contains(where: { $0.status == .noData }) { return .fail }
        if gating.contains(where: { $0.status == .inconclusive }) { return .inconclusive }
        return .pass
    }

    static func fmt(_ v: Double) -> String { String(format: "%.6g", v) }
}
