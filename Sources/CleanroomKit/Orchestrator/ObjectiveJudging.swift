/// What the orchestrator needs from the Analysis stage: statistics, objective judgements (with
/// "add a run" when the noise straddles the threshold) and the verdict rule. `AnalysisJudge` is
/// the real one; tests of planning alone may substitute a scripted judge.
public protocol ObjectiveJudging {
    func stats(for runs: [RunRecord]) -> [String: Stats]
    func evaluate(_ slo: SLOPlan, workload: WorkloadReport, baseline: WorkloadReport?, noise: Bool,
                  noBaselineReason: String?) -> (result: ObjectiveResult, needsMoreRuns: Bool)
    func verdict(results: [ObjectiveResult], workloadsFailed: Bool, strict: Bool, degraded: Bool,
                 interrupted: Bool, setupError: Bool) -> Verdict
}

/// The Analysis stage behind the orchestrator's protocol.
public struct AnalysisJudge: ObjectiveJudging {
    public init() {}

    public func stats(for runs: [RunRecord]) -> [String: Stats] { Statistics.workloadStats(runs) }

    public func evaluate(_ slo: SLOPlan, workload: WorkloadReport, baseline: WorkloadReport?, noise: Bool,
                         noBaselineReason: String?) -> (result: ObjectiveResult, needsMoreRuns: Bool) {
        let j = Judge.evaluate(slo: slo, workload: workload, baseline: baseline, noise: noise, noBaselineReason: noBaselineReason)
        return (j.result, j.needsMoreRuns)
    }

    public func verdict(results: [ObjectiveResult], workloadsFailed: Bool, strict: Bool, degraded: Bool,
                        interrupted: Bool, setupError: Bool) -> Verdict {
        Judge.verdict(results: results, workloadsFailed: workloadsFailed, strict: strict, degraded: degraded,
                      interrupted: interrupted, setupError: setupError)
    }
}

extension SLOPlan {
    public func applies(to workload: String) -> Bool { self.workload == "*" || self.workload == workload }
}
