/// What the orchestrator needs from the Analysis stage: statistics, objective judgements (with
/// "add a run" when the noise straddles the threshold) and the verdict rule.
public protocol ObjectiveJudging {
    func stats(for runs: [RunRecord]) -> [String: Stats]
    func evaluate(_ slo: SLOPlan, workload: WorkloadReport, baseline: WorkloadReport?) -> (result: ObjectiveResult, needsMoreRuns: Bool)
    func verdict(results: [ObjectiveResult], workloadsFailed: Bool, strict: Bool, degraded: Bool) -> Verdict
}

extension SLOPlan {
    public func applies(to workload: String) -> Bool { self.workload == "*" || self.workload == workload }
}
