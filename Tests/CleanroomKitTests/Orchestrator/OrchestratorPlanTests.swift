import XCTest
@testable import CleanroomKit

/// A judge that only reads `max(wall_time) <= threshold` and asks for more runs while a
/// scripted predicate says so: enough to drive the orchestrator's loop without the statistics.
private struct MaxWallJudge: ObjectiveJudging {
    var wantMore: (WorkloadReport) -> Bool = { _ in false }

    func stats(for runs: [RunRecord]) -> [String: Stats] { [:] }

    func evaluate(_ slo: SLOPlan, workload: WorkloadReport, baseline: WorkloadReport?, noise: Bool,
                  noBaselineReason: String?) -> (result: ObjectiveResult, needsMoreRuns: Bool) {
        let xs = workload.runs.filter { !$0.warmup }.compactMap { $0.metrics["wall_time"] }
        let observed = xs.max()
        guard case .absolute(let t) = slo.objective.threshold, let observed else {
            return (ObjectiveResult(name: slo.name, workload: workload.name, objective: slo.objective.text, level: slo.level,
                                    observed: nil, threshold: nil, unit: "s", status: .noData), false)
        }
        let ok = slo.objective.comparison.holds(observed, t)
        return (ObjectiveResult(name: slo.name, workload: workload.name, objective: slo.objective.text, level: slo.level,
                                observed: observed, threshold: t, unit: "s", status: ok ? .pass : .fail), wantMore(workload))
    }

    func verdict(results: [ObjectiveResult], workloadsFailed: Bool, strict: Bool, degraded: Bool,
                 interrupted: Bool, setupError: Bool) -> Verdict {
        if interrupted { return .interrupted }
        if setupError { return .error }
        if workloadsFailed || results.contains(where: { $0.level == .error && $0.status == .fail }) { return .fail }
        return .pass
    }
}

final class OrchestratorPlanTests: XCTestCase {
    override func setUp() { Interrupts.shared.reset() }
    override func tearDown() { Interrupts.shared.reset() }

    private func workload(_ name: String, repeat r: Int = 3, warmup: Int = 0, maxRepeat: Int? = nil) -> WorkloadPlan {
        WorkloadPlan(name: name, command: ["true"], cwd: "/tmp", prepare: ["prep"], setup: ["setup"], teardown: ["down"],
                     repeatCount: r, warmup: warmup, maxRepeat: maxRepeat)
    }

    private func slo(_ w: String, max t: Double) -> SLOPlan {
        SLOPlan(name: "Max", workload: w, objective: Objective(aggregate: .max, metric: .builtin(.wallTime),
                                                               comparison: .lessOrEqual, threshold: .absolute(t), text: "max(wall_time) <= \(t)s"))
    }

    private func orchestrator(_ plan: Plan, _ exec: ScriptedExecutor, judge: MaxWallJudge = MaxWallJudge(),
                              options: RunOptions = RunOptions(outputDirectory: "/tmp/cr-test-out")) -> Orchestrator {
        Orchestrator(plan: plan, options: options, executor: exec, judge: judge, progress: Progress(style: .quiet))
    }

    func testSetupOnceWarmupsAndPrepareBeforeEveryRun() {
        let exec = ScriptedExecutor()
        let report = orchestrator(Plan(workloads: [workload("a", repeat: 3, warmup: 2)]), exec).run()
        XCTAssertEqual(exec.count("a", .setup), 1)
        XCTAssertEqual(exec.count("a", .teardown), 1)
        XCTAssertEqual(exec.count("a", .warmup), 2)
        XCTAssertEqual(exec.count("a", .measured), 3)
        XCTAssertEqual(exec.count("a", .prepare), 5, "prepare runs before warmups too")
        XCTAssertEqual(exec.jobs.map(\.kind).first, .setup)
        XCTAssertEqual(exec.jobs.map(\.kind).last, .teardown)
        let runs = report.workloads[0].runs
        XCTAssertEqual(runs.map(\.warmup), [true, true, false, false, false])
        XCTAssertEqual(runs.map(\.index), [1, 2, 3, 4, 5])
        XCTAssertEqual(report.verdict, .pass)
    }

    func testRunOutputGoesUnderSanitisedWorkloadDirectory() {
        let exec = ScriptedExecutor()
        _ = orchestrator(Plan(workloads: [workload("../etc/passwd x", repeat: 1)]), exec).run()
        let measured = exec.jobs.first { $0.kind == .measured }!
        XCTAssertFalse(measured.outputRelative.contains(".."))
        XCTAssertTrue(measured.outputRelative.hasPrefix("runs/"))
        XCTAssertTrue(measured.outputDirectory.hasPrefix("/tmp/cr-test-out/runs/"))
    }

    func testRunsAreAddedWhileTheJudgeAsksUpToMaxRepeat() {
        let exec = ScriptedExecutor()
        let judge = MaxWallJudge(wantMore: { _ in true })
        let plan = Plan(workloads: [workload("a", repeat: 3, maxRepeat: 7)], slos: [slo("a", max: 2)])
        let report = orchestrator(plan, exec, judge: judge).run()
        XCTAssertEqual(exec.count("a", .measured), 7)
        XCTAssertEqual(report.slos.first?.runsAdded, 4)
    }

    func testNoRunsAddedWhenDecided() {
        let exec = ScriptedExecutor()
        let plan = Plan(workloads: [workload("a", repeat: 3, maxRepeat: 9)], slos: [slo("a", max: 2)])
        _ = orchestrator(plan, exec).run()
        XCTAssertEqual(exec.count("a", .measured), 3)
    }

    func testFailedSetupSkipsRunsAndFailsTheWorkload() {
        let exec = ScriptedExecutor()
        exec.outcome = { $0.kind == .setup ? .failed : .ok }
        let report = orchestrator(Plan(workloads: [workload("a")]), exec).run()
        XCTAssertEqual(exec.count("a", .measured), 0)
        XCTAssertNotNil(report.workloads[0].error)
        XCTAssertEqual(report.verdict, .fail)
    }

    func testFailedPrepareMarksThatRunError() {
        let exec = ScriptedExecutor()
        exec.outcome = { $0.kind == .prepare ? .failed : .ok }
        let report = orchestrator(Plan(workloads: [workload("a", repeat: 2)]), exec).run()
        XCTAssertEqual(report.workloads[0].runs.first?.outcome, .error)
        XCTAssertTrue(report.workloads[0].runs.first?.detail?.contains("prepare") ?? false)
        XCTAssertEqual(report.verdict, .fail)
    }

    func testSandboxSetupFailureIsVerdictError() {
        let exec = ScriptedExecutor()
        exec.throwOn = { $0.kind == .measured }
        let report = orchestrator(Plan(workloads: [workload("a")]), exec).run()
        XCTAssertEqual(report.verdict, .error)
        XCTAssertEqual(report.verdict.exitCode, 3)
    }

    func testPositionalSelection() {
        let exec = ScriptedExecutor()
        let plan = Plan(workloads: [workload("a", repeat: 1), workload("b", repeat: 1), workload("c", repeat: 1)])
        let report = orchestrator(plan, exec, options: RunOptions(outputDirectory: "/tmp/x", selected: ["c", "a"])).run()
        XCTAssertEqual(report.workloads.map(\.name), ["a", "c"])
        XCTAssertEqual(exec.count("b", .measured), 0)
    }

    func testShardsCoverEveryWorkloadExactlyOnce() {
        let names = (0..<40).map { "workload-\($0)" }
        for n in 1...5 {
            var seen: [String: Int] = [:]
            for k in 1...n {
                let s = Shard(index: k, count: n)
                for name in names where s.contains(name) { seen[name, default: 0] += 1 }
            }
            XCTAssertEqual(seen.count, names.count, "N=\(n)")
            XCTAssertTrue(seen.values.allSatisfy { $0 == 1 }, "N=\(n)")
        }
        // Stable: the same name hashes the same in every process (FNV-1a reference value).
        XCTAssertEqual(Shard.stableHash("a"), 0xaf63_dc4c_8601_ec8c)
        XCTAssertNil(Shard("0/3")); XCTAssertNil(Shard("4/3")); XCTAssertNil(Shard("1/0")); XCTAssertNil(Shard("x"))
        XCTAssertEqual(Shard("2/3"), Shard(index: 2, count: 3))
    }

    func testInterruptStopsFurtherRunsAndMarksTheReport() {
        let exec = ScriptedExecutor()
        exec.onExecute = { job in if job.kind == .measured && job.index == 2 { Interrupts.shared.fire(SIGINT) } }
        let report = orchestrator(Plan(workloads: [workload("a", repeat: 5)]), exec).run()
        XCTAssertEqual(report.verdict, .interrupted)
        XCTAssertEqual(report.verdict.exitCode, 130)
        XCTAssertLessThan(exec.count("a", .measured), 5)
        XCTAssertEqual(exec.count("a", .teardown), 1, "teardown still runs after an interrupt")
    }

    func testParallelKeepsPlanOrder() {
        let exec = ScriptedExecutor()
        exec.onExecute = { _ in usleep(2000) }
        let plan = Plan(workloads: (0..<6).map { workload("w\($0)", repeat: 2) })
        let report = orchestrator(plan, exec, options: RunOptions(outputDirectory: "/tmp/x", parallel: 3)).run()
        XCTAssertEqual(report.workloads.map(\.name), (0..<6).map { "w\($0)" })
        XCTAssertEqual(report.parallel, 3)
    }

    func testFileNamesAreSanitisedAndDistinct() {
        XCTAssertEqual(FileNames.sanitise("build"), "build")
        let a = FileNames.sanitise("a/b"), b = FileNames.sanitise("a b")
        XCTAssertNotEqual(a, b)
        XCTAssertFalse(FileNames.sanitise("..").hasPrefix("."))
        XCTAssertFalse(FileNames.sanitise("<script>").contains("<"))
    }
}
