import XCTest
@testable import CleanroomKit

/// "runs added" belongs to the objective whose noise asked for the runs (issue 15, item 5).
private struct OneNoisyObjectiveJudge: ObjectiveJudging {
    let noisy: String
    func stats(for runs: [RunRecord]) -> [String: Stats] { [:] }
    func evaluate(_ slo: SLOPlan, workload: WorkloadReport, baseline: WorkloadReport?, noise: Bool,
                  noBaselineReason: String?) -> (result: ObjectiveResult, needsMoreRuns: Bool) {
        let n = workload.runs.filter { !$0.warmup }.count
        let r = ObjectiveResult(name: slo.name, workload: workload.name, objective: slo.objective.text, level: slo.level,
                                observed: 1, threshold: 2, unit: "s", status: .pass, margin: 0.5,
                                ci: slo.name == noisy ? [0.9, 1.1] : nil)
        return (r, slo.name == noisy && n < 5)
    }
    func verdict(results: [ObjectiveResult], workloadsFailed: Bool, strict: Bool, degraded: Bool,
                 interrupted: Bool, setupError: Bool) -> Verdict { .pass }
}

final class RunsAddedLabelTests: XCTestCase {
    override func setUp() { Interrupts.shared.reset() }
    override func tearDown() { Interrupts.shared.reset() }

    func testOnlyTheObjectiveThatAskedGetsTheRunsAdded() {
        func slo(_ name: String, _ agg: Aggregate) -> SLOPlan {
            SLOPlan(name: name, workload: "a", objective: Objective(aggregate: agg, metric: .builtin(.wallTime), comparison: .lessOrEqual,
                                                                   threshold: .absolute(2), text: "\(agg)(wall_time) <= 2s"))
        }
        let plan = Plan(workloads: [WorkloadPlan(name: "a", command: ["true"], cwd: "/tmp", repeatCount: 3, maxRepeat: 9)],
                        slos: [slo("Noisy", .median), slo("Max", .max)])
        let exec = ScriptedExecutor()
        let report = Orchestrator(plan: plan, options: RunOptions(outputDirectory: "/tmp/cr-test-out"), executor: exec,
                                  judge: OneNoisyObjectiveJudge(noisy: "Noisy"), progress: Progress(style: .quiet)).run()
        XCTAssertEqual(exec.count("a", .measured), 5)
        XCTAssertEqual(report.slos.first { $0.name == "Noisy" }?.runsAdded, 2)
        XCTAssertNil(report.slos.first { $0.name == "Max" }?.runsAdded, "max never adds runs and did not ask for any")
        let console = ConsoleSummary.render(report)
        let maxLine = console.split(separator: "\n").first { $0.contains("Max:") }!
        XCTAssertFalse(maxLine.contains("runs)"), String(maxLine))
        XCTAssertTrue(console.split(separator: "\n").first { $0.contains("Noisy:") }!.contains("(+2 runs)"))
    }
}

/// `svc.*` objectives are `no_data` on runs where the service failed or never ran.
final class ServiceObjectiveReviewTests: XCTestCase {
    private func result() -> ObjectiveResult {
        ObjectiveResult(name: "ApiMem", workload: "w", objective: "max(svc.api.memory_peak) <= 64MiB", level: .error,
                        observed: 1e6, threshold: 67_108_864, unit: "B", status: .pass, margin: 0.9)
    }

    func testAFailedServiceMakesItsObjectivesNoData() {
        let ok = RunRecord(index: 1, services: ["api": ServiceRecord(metrics: ["memory_peak": 1e6], outcome: .ok)])
        let oom = RunRecord(index: 2, outcome: .error, detail: "service \"api\" was OOM-killed",
                            services: ["api": ServiceRecord(metrics: ["memory_peak": 67e6], outcome: .error, detail: "was OOM-killed")])
        var r = result()
        ServiceObjectiveReview.review(&r, metric: .service("api", .memoryPeak), runs: [ok, oom])
        XCTAssertEqual(r.status, .noData)
        XCTAssertNil(r.observed)
        XCTAssertEqual(r.reason, "service \"api\" has no figures on 1 of 2 measured runs — run 2: the service failed (error: was OOM-killed)")

        var never = result()
        let early = RunRecord(index: 1, outcome: .error, detail: "prepare failed")
        ServiceObjectiveReview.review(&never, metric: .service("api", .cpuTime), runs: [early])
        XCTAssertEqual(never.status, .noData)

        var fine = result()
        ServiceObjectiveReview.review(&fine, metric: .service("api", .memoryPeak), runs: [ok])
        XCTAssertEqual(fine, result())
        var workload = result()
        ServiceObjectiveReview.review(&workload, metric: .builtin(.memoryPeak), runs: [oom])
        XCTAssertEqual(workload.status, .pass, "only svc.* objectives")
    }
}
