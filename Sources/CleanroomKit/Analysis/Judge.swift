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
        workload.runs.contains { $0.outcome != .ok } || (workload.baseRuns ?? []).contains { $0.outcome != .ok }
    }

    /// Judges `slo` on `workload`.
    ///
    /// - Parameters:
    ///   - baseline: the same workload in the baseline (a saved report, or runs gathered from
    ///     history). nil when there is none; only objectives written against `baseline` need it.
    ///   - noise: false to judge the point value alone (`"noise": "off"` on the workload);
    ///     `slo.noise` is honoured as well.
    ///   - noBaselineReason: the sentence a baseline objective gets when `baseline` is nil.
    ///   - baselineSource: where the baseline came from, recorded in the result's `baseline`.
    public static func evaluate(slo: SLOPlan, workload: WorkloadReport, baseline: WorkloadReport?,
                                noise: Bool = true, noBaselineReason: String? = nil,
                                baselineSource: BaselineRecord? = nil) -> Judgement {
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

        // 2. An absolute threshold: the new runs' own interval against a fixed number.
        guard obj.needsBaseline else {
            return judgeAbsolute(&result, slo: slo, obs: obs, observed: observed, noise: noise)
        }
        // 3. A baseline objective: the change between the baseline's runs and these.
        guard let baseline else {
            return noData(noBaselineReason
                ?? "needs a baseline (--baseline REPORT.json, --baseline history or --baseline-from DIR) and none was given for \(workload.name)")
        }
        result.baseline = baselineSource ?? BaselineRecord(source: "file", reports: [])
        let baseObs = Observations(metric: obj.metric, runs: baseline.runs)
        if case .custom = obj.metric, !baseObs.unit.isEmpty, !obs.unit.isEmpty, baseObs.unit != obs.unit {
            return noData("baseline reports \(obj.metric.key) in \(baseObs.unit), this run in \(obs.unit)")
        }
        guard baseObs.unitConflict == nil, baseObs.measuredRuns > 0, agg == .count || !baseObs.values.isEmpty,
              let base = Statistics.aggregate(agg, baseObs.values),
              let threshold = obj.threshold.resolve(baseline: base) else {
            return noData("baseline: " + (baseObs.values.isEmpty ? baseObs.emptyReason
                : "\(agg) needs at least two values of \(obj.metric.key), have \(baseObs.values.count)"))
        }
        result.baseline?.value = base
        result.baseline?.n = agg == .count ? baseObs.measuredRuns : baseObs.values.count
        result.threshold = threshold
        result.margin = margin(observed: observed, threshold: threshold, comparison: obj.comparison)
        return judgeChange(&result, slo: slo, head: obs, base: baseObs, noise: noise)
    }

    /// `AGG(METRIC) OP VALUE`: by the 95 % interval of the aggregate when noise is judged, else
    /// by the point value.
    static func judgeAbsolute(_ result: inout ObjectiveResult, slo: SLOPlan, obs: Observations, observed: Double,
                              noise: Bool) -> Judgement {
        let obj = slo.objective
        let threshold = obj.threshold.resolve(baseline: nil) ?? 0
        result.threshold = threshold
        result.margin = margin(observed: observed, threshold: threshold, comparison: obj.comparison)
        let judgeNoise = noise && slo.noise && noiseApplies(obj.aggregate) && obs.values.count >= 2
        guard judgeNoise, let ci = Bootstrap.interval(obj.aggregate, obs.values, salt: obj.metric.key) else {
            result.status = obj.comparison.holds(observed, threshold) ? .pass : .fail
            return Judgement(result: result, needsMoreRuns: false)
        }
        result.ci = [ci.lowerBound, ci.upperBound]
        let unit = result.unit
        return decide(&result, ci: ci, bound: threshold, comparison: obj.comparison) {
            "95% CI [\(fmt(ci.lowerBound)), \(fmt(ci.upperBound))] \(unit) of \(obs.values.count) "
                + (obs.isPooled ? "observations" : "runs") + " straddles the threshold \(fmt(threshold)) \(unit)"
        }
    }

    /// `AGG(METRIC) OP baseline ± X`: the change from the baseline's aggregate to this one, with
    /// the interval over both samples (`ChangeInterval`), against the change the objective allows.
    /// `ci` is that interval carried onto the aggregate's scale (baseline value + change), so it
    /// reads against `threshold` as for any objective.
    static func judgeChange(_ result: inout ObjectiveResult, slo: SLOPlan, head: Observations, base: Observations,
                            noise: Bool) -> Judgement {
        let obj = slo.objective
        let agg = obj.aggregate
        let (kind, allowed): (ChangeKind, Double) = {
            switch obj.threshold {
            case .baselinePercent(let p): return (.relative, p)
            case .baselineDelta(let d): return (.absolute, d)
            case .absolute(let v): return (.absolute, v)
            }
        }()
        let judgeNoise = noise && slo.noise && noiseApplies(agg) && head.values.count >= 2 && base.values.count >= 2
        let headValues = agg == .count ? [Double](repeating: 0, count: head.measuredRuns) : head.values
        let baseValues = agg == .count ? [Double](repeating: 0, count: base.measuredRuns) : base.values
        guard let est = ChangeInterval.estimate(agg, base: baseValues, head: headValues, kind: kind,
                                                salt: obj.metric.key, interval: judgeNoise) else {
            // Relative change from a baseline of 0: no scale; the point values decide.
            result.status = obj.comparison.holds(result.observed ?? 0, result.threshold ?? 0) ? .pass : .fail
            return Judgement(result: result, needsMoreRuns: false)
        }
        let unit = kind == .relative ? "%" : result.unit
        result.change = ChangeRecord(unit: unit, value: est.value, ci: est.ci.map { [$0.lowerBound, $0.upperBound] },
                                     allowed: allowed, headN: est.headN, baseN: est.baseN)
        guard let ci = est.ci else {
            result.status = obj.comparison.holds(est.value, allowed) ? .pass : .fail
            return Judgement(result: result, needsMoreRuns: false)
        }
        let onScale = { (c: Double) -> Double in
            kind == .relative ? est.baseValue + abs(est.baseValue) * c / 100 : est.baseValue + c
        }
        result.ci = [onScale(ci.lowerBound), onScale(ci.upperBound)]
        return decide(&result, ci: ci, bound: allowed, comparison: obj.comparison) {
            "95% CI of the change [\(signed(ci.lowerBound)), \(signed(ci.upperBound))]\(unit == "%" ? "%" : " " + unit) "
                + "(\(est.headN) v \(est.baseN) " + (head.isPooled ? "observations" : "runs")
                + ") straddles the allowed \(signed(allowed))\(unit == "%" ? "%" : " " + unit)"
        }
    }

    /// Pass when `comparison` holds at both ends of `ci` against `bound`, fail when at neither,
    /// else inconclusive with "add runs".
    static func decide(_ result: inout ObjectiveResult, ci: ClosedRange<Double>, bound: Double, comparison: Comparison,
                       straddle: () -> String) -> Judgement {
        let lowOK = comparison.holds(ci.lowerBound, bound)
        let highOK = comparison.holds(ci.upperBound, bound)
        if lowOK && highOK {
            result.status = .pass
            return Judgement(result: result, needsMoreRuns: false)
        }
        if !lowOK && !highOK {
            result.status = .fail
            return Judgement(result: result, needsMoreRuns: false)
        }
        result.status = .inconclusive
        result.reason = straddle()
        return Judgement(result: result, needsMoreRuns: true)
    }

    static func signed(_ v: Double) -> String { (v >= 0 ? "+" : "") + fmt(v) }

    /// Judges every objective on every workload it names (`*`: all of them).
    ///
    /// - Parameter baseline: the baseline's workloads, nil when no baseline was given at all.
    ///   A baseline without a workload of the same name gives that workload's baseline
    ///   objectives `no_data`.
    public static func evaluateAll(slos: [SLOPlan], workloads: [WorkloadReport], baseline: [WorkloadReport]?,
                                   noise: (String) -> Bool = { _ in true },
                                   baselineSource: BaselineRecord? = nil) -> [Judgement] {
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
            // Base runs measured in the same job (`--baseline-from`) travel with the workload.
            if let ab = w.baseRuns {
                return evaluate(slo: t.slo, workload: w, baseline: WorkloadReport(name: w.name, command: w.command, runs: ab),
                                noise: noise(t.workload), baselineSource: BaselineRecord.ab(w))
            }
            return evaluate(slo: t.slo, workload: w, baseline: baseByName?[t.workload],
                            noise: noise(t.workload), noBaselineReason: reason, baselineSource: baselineSource)
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

    static func fmt(_ v: Double) -> String { CFormat.text("%.6g", v) }
}
