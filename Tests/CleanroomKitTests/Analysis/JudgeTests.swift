import XCTest
@testable import CleanroomKit

final class JudgeTests: XCTestCase {

    // MARK: comparisons and margin (noise off: the point value decides)

    func testEveryComparisonOnThePointValue() {
        let w = AT.workload(walls: [1.0, 1.3, 1.2])      // max = 1.3
        func status(_ cmp: Comparison, _ t: Double) -> ObjectiveStatus {
            Judge.evaluate(slo: AT.slo(.max, cmp, .absolute(t), noise: false), workload: w, baseline: nil).result.status
        }
        XCTAssertEqual(status(.lessOrEqual, 1.3), .pass)
        XCTAssertEqual(status(.lessThan, 1.3), .fail)
        XCTAssertEqual(status(.lessThan, 1.31), .pass)
        XCTAssertEqual(status(.greaterOrEqual, 1.3), .pass)
        XCTAssertEqual(status(.greaterThan, 1.3), .fail)
        XCTAssertEqual(status(.greaterThan, 1.29), .pass)
        XCTAssertEqual(status(.lessOrEqual, 1.29), .fail)
        XCTAssertEqual(status(.greaterOrEqual, 1.31), .fail)
    }

    func testMarginIsPositiveOnThePassingSide() throws {
        let w = AT.workload(walls: [1.0, 1.3, 1.2])
        let r = Judge.evaluate(slo: AT.slo(.max, .lessOrEqual, .absolute(15)), workload: w, baseline: nil).result
        XCTAssertEqual(r.observed, 1.3)
        XCTAssertEqual(r.threshold, 15)
        XCTAssertEqual(r.unit, "s")
        XCTAssertEqual(r.status, .pass)
        XCTAssertEqual(try XCTUnwrap(r.margin), (15 - 1.3) / 15, accuracy: 1e-12)   // 0.9133
        XCTAssertNil(r.ci, "max is judged exactly: no interval")

        let failing = Judge.evaluate(slo: AT.slo(.max, .lessOrEqual, .absolute(1.0)), workload: w, baseline: nil).result
        XCTAssertEqual(failing.status, .fail)
        XCTAssertEqual(try XCTUnwrap(failing.margin), -0.3, accuracy: 1e-12)

        XCTAssertEqual(try XCTUnwrap(Judge.margin(observed: 12, threshold: 10, comparison: .greaterOrEqual)), 0.2, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(Judge.margin(observed: 8, threshold: 10, comparison: .greaterThan)), -0.2, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(Judge.margin(observed: -3, threshold: -2, comparison: .lessOrEqual)), 0.5, accuracy: 1e-12)
        XCTAssertNil(Judge.margin(observed: 1, threshold: 0, comparison: .lessOrEqual))
    }

    // MARK: baselines

    func testBaselinePercentAndDeltaResolveAgainstTheBaselineAggregate() throws {
        let head = AT.workload(walls: [1.08, 1.09, 1.10])
        let base = AT.workload(walls: [0.9, 1.0, 1.1, 1.2])      // median 1.05
        let plus10 = Judge.evaluate(slo: AT.slo(.median, .lessOrEqual, .baselinePercent(10), noise: false),
                                    workload: head, baseline: base).result
        XCTAssertEqual(try XCTUnwrap(plus10.threshold), 1.05 * 1.10, accuracy: 1e-12)
        XCTAssertEqual(plus10.observed, 1.09)
        XCTAssertEqual(plus10.status, .pass)

        let minus5 = Judge.evaluate(slo: AT.slo(.median, .lessOrEqual, .baselinePercent(-5), noise: false),
                                    workload: head, baseline: base).result
        XCTAssertEqual(try XCTUnwrap(minus5.threshold), 1.05 * 0.95, accuracy: 1e-12)
        XCTAssertEqual(minus5.status, .fail)

        let delta = Judge.evaluate(slo: AT.slo(.median, .lessOrEqual, .baselineDelta(0.05), noise: false),
                                   workload: head, baseline: base).result
        XCTAssertEqual(try XCTUnwrap(delta.threshold), 1.10, accuracy: 1e-12)
        XCTAssertEqual(delta.status, .pass)

        let deltaDown = Judge.evaluate(slo: AT.slo(.mean, .greaterOrEqual, .baselineDelta(-0.5), noise: false),
                                       workload: head, baseline: base).result
        XCTAssertEqual(try XCTUnwrap(deltaDown.threshold), 1.05 - 0.5, accuracy: 1e-12)
        XCTAssertEqual(deltaDown.status, .pass)
    }

    func testMissingBaselineIsNoDataNeverPass() {
        let head = AT.workload(walls: [1.0, 1.1])
        let j = Judge.evaluate(slo: AT.slo(.median, .lessOrEqual, .baselinePercent(10)), workload: head, baseline: nil)
        XCTAssertEqual(j.result.status, .noData)
        XCTAssertFalse(j.needsMoreRuns)
        XCTAssertNil(j.result.threshold)
        XCTAssertEqual(j.result.observed, 1.05, "the observed value is still reported")
        XCTAssertTrue(j.result.reason?.contains("baseline") ?? false, j.result.reason ?? "")

        // A baseline report that lacks this workload, via evaluateAll.
        let all = Judge.evaluateAll(slos: [AT.slo(.median, .lessOrEqual, .baselinePercent(10))],
                                    workloads: [head], baseline: [AT.workload("other", walls: [1])])
        XCTAssertEqual(all.map(\.result.status), [.noData])
        XCTAssertEqual(all[0].result.reason, "the baseline has no workload w")

        // A baseline whose runs lack the metric.
        var empty = AT.workload(walls: [])
        empty.runs = [AT.run(1, wall: nil)]
        let noValues = Judge.evaluate(slo: AT.slo(.median, .lessOrEqual, .baselinePercent(10)), workload: head, baseline: empty)
        XCTAssertEqual(noValues.result.status, .noData)
        XCTAssertTrue(noValues.result.reason!.hasPrefix("baseline:"), noValues.result.reason!)
    }

    // MARK: no_data

    func testNoValuesIsNoDataWithTheRunsReason() {
        var w = AT.workload(walls: [])
        w.runs = [AT.run(1, wall: nil), AT.run(2, wall: nil), AT.run(3, wall: 2.0, warmup: true)]
        let j = Judge.evaluate(slo: AT.slo(.median, .lessOrEqual, .absolute(10)), workload: w, baseline: nil)
        XCTAssertEqual(j.result.status, .noData)
        XCTAssertNil(j.result.observed, "a warmup's value must not stand in")
        XCTAssertEqual(j.result.reason, "none of 2 measured runs reported wall_time (clock unavailable in test)")

        let noRuns = Judge.evaluate(slo: AT.slo(.count, .greaterOrEqual, .absolute(1)), workload: AT.workload(walls: []), baseline: nil)
        XCTAssertEqual(noRuns.result.status, .noData)
        XCTAssertEqual(noRuns.result.reason, "no measured runs")

        let one = Judge.evaluate(slo: AT.slo(.stddev, .lessOrEqual, .absolute(1)), workload: AT.workload(walls: [1]), baseline: nil)
        XCTAssertEqual(one.result.status, .noData)
        XCTAssertTrue(one.result.reason!.contains("at least two"))

        let missing = Judge.evaluateAll(slos: [AT.slo(.max, .lessOrEqual, .absolute(1), workload: "ghost")],
                                        workloads: [AT.workload(walls: [1])], baseline: nil)
        XCTAssertEqual(missing.map(\.result.status), [.noData])
        XCTAssertEqual(missing[0].result.workload, "ghost")
    }

    func testSkippedRunsDoNotCountButOthersDo() {
        var w = AT.workload(walls: [])
        w.runs = [AT.run(1, wall: 1.0), AT.run(2, wall: nil), AT.run(3, wall: 3.0), AT.run(4, wall: 50, warmup: true)]
        let r = Judge.evaluate(slo: AT.slo(.mean, .lessOrEqual, .absolute(10), noise: false), workload: w, baseline: nil).result
        XCTAssertEqual(r.observed, 2.0)
        let c = Judge.evaluate(slo: AT.slo(.count, .greaterOrEqual, .absolute(2)), workload: w, baseline: nil).result
        XCTAssertEqual(c.observed, 2)
        XCTAssertEqual(c.unit, "count")
        XCTAssertNil(c.ci, "count is exact")
        XCTAssertEqual(c.status, .pass)
    }

    // MARK: noise

    func testStraddlingIntervalIsInconclusiveAndAsksForRuns() throws {
        // 50–150 ms, evenly spread: the median sits on the 100 ms threshold.
        let w = AT.workload(walls: AT.spaced(0.050, 0.150, 9))
        let j = Judge.evaluate(slo: AT.slo(.median, .lessOrEqual, .absolute(0.100)), workload: w, baseline: nil)
        XCTAssertEqual(j.result.status, .inconclusive)
        XCTAssertTrue(j.needsMoreRuns)
        let ci = try XCTUnwrap(j.result.ci)
        XCTAssertLessThan(ci[0], 0.100)
        XCTAssertGreaterThan(ci[1], 0.100)
        XCTAssertTrue(j.result.reason!.contains("straddles"), j.result.reason!)

        // The same runs with noise off: the point value alone (0.1 <= 0.1) passes.
        let off = Judge.evaluate(slo: AT.slo(.median, .lessOrEqual, .absolute(0.100), noise: false), workload: w, baseline: nil)
        XCTAssertEqual(off.result.status, .pass)
        XCTAssertNil(off.result.ci)
        XCTAssertFalse(off.needsMoreRuns)
        // ... and noise off from the workload side too.
        XCTAssertEqual(Judge.evaluate(slo: AT.slo(.median, .lessOrEqual, .absolute(0.100)), workload: w,
                                      baseline: nil, noise: false).result.status, .pass)
    }

    func testDecisiveIntervalPassesOrFails() throws {
        let fast = AT.workload(walls: AT.spaced(0.040, 0.060, 7))
        let p = Judge.evaluate(slo: AT.slo(.median, .lessOrEqual, .absolute(0.100)), workload: fast, baseline: nil)
        XCTAssertEqual(p.result.status, .pass)
        XCTAssertFalse(p.needsMoreRuns)
        let ci = try XCTUnwrap(p.result.ci)
        XCTAssertLessThanOrEqual(ci[0], 0.050)
        XCTAssertGreaterThanOrEqual(ci[1], 0.050)
        XCTAssertLessThan(ci[1], 0.100)

        let slow = AT.workload(walls: AT.spaced(0.180, 0.220, 7))
        let f = Judge.evaluate(slo: AT.slo(.percentile(95), .lessOrEqual, .absolute(0.100)), workload: slow, baseline: nil)
        XCTAssertEqual(f.result.status, .fail)
        XCTAssertFalse(f.needsMoreRuns)
        XCTAssertGreaterThan(try XCTUnwrap(f.result.ci)[0], 0.100)
    }

    /// The orchestrator's loop: add runs while the judge asks for them, up to max_repeat.
    func testMoreRunsResolveAStraddleWhenTheTruthIsOffTheThreshold() {
        // Three spread-out first runs straddle 100 ms; the runs added cluster around 80 ms and decide.
        let all = [0.060, 0.085, 0.115] + AT.spaced(0.070, 0.090, 12)
        var w = AT.workload(walls: Array(all.prefix(3)))
        var j = Judge.evaluate(slo: AT.slo(.median, .lessOrEqual, .absolute(0.1)), workload: w, baseline: nil)
        XCTAssertTrue(j.needsMoreRuns)
        var added = 0
        while j.needsMoreRuns && w.runs.count < all.count {
            w.runs.append(AT.run(w.runs.count + 1, wall: all[w.runs.count]))
            added += 1
            j = Judge.evaluate(slo: AT.slo(.median, .lessOrEqual, .absolute(0.1)), workload: w, baseline: nil)
        }
        XCTAssertGreaterThan(added, 0)
        XCTAssertEqual(j.result.status, .pass, "after \(added) added runs: \(j.result)")
        XCTAssertFalse(j.needsMoreRuns)
    }

    func testMinAndMaxAreJudgedExactly() {
        // One run over the limit fails max(...) outright, whatever an interval would say.
        let w = AT.workload(walls: [1, 1, 1, 1, 1, 1, 1, 1, 20])
        let j = Judge.evaluate(slo: AT.slo(.max, .lessOrEqual, .absolute(15)), workload: w, baseline: nil)
        XCTAssertEqual(j.result.status, .fail)
        XCTAssertFalse(j.needsMoreRuns)
        XCTAssertNil(j.result.ci)
        let mn = Judge.evaluate(slo: AT.slo(.min, .greaterOrEqual, .absolute(1)), workload: w, baseline: nil)
        XCTAssertEqual(mn.result.status, .pass)
        XCTAssertNil(mn.result.ci)
    }

    // MARK: custom and service metrics

    func testCustomMetricPoolsObservationsOfMeasuredRuns() throws {
        var w = AT.workload(walls: [])
        for i in 1...3 {
            var r = AT.run(i, wall: 1)
            r.custom["latency"] = CustomSeries(unit: "s", values: (0..<50).map { 0.001 + Double(($0 * 37 + i * 11) % 50) * 0.0001 })
            w.runs.append(r)
        }
        var warm = AT.run(0, wall: 1, warmup: true)
        warm.custom["latency"] = CustomSeries(unit: "s", values: [9, 9, 9])
        w.runs.append(warm)
        let j = Judge.evaluate(slo: AT.slo(.percentile(99), .lessThan, .absolute(0.010), metric: .custom("latency")), workload: w, baseline: nil)
        XCTAssertEqual(j.result.unit, "s")
        XCTAssertEqual(j.result.status, .pass)
        let pooled = w.runs.filter { !$0.warmup }.flatMap { $0.custom["latency"]!.values }
        XCTAssertEqual(pooled.count, 150)
        XCTAssertEqual(j.result.observed, Statistics.percentile(pooled, 99))
        XCTAssertNotNil(j.result.ci)

        var mixed = w
        mixed.runs[1].custom["latency"]!.unit = "B"
        let m = Judge.evaluate(slo: AT.slo(.percentile(99), .lessThan, .absolute(0.010), metric: .custom("latency")), workload: mixed, baseline: nil)
        XCTAssertEqual(m.result.status, .noData)
        XCTAssertTrue(m.result.reason!.contains("several units"))
    }

    func testServiceMetric() {
        var w = AT.workload(walls: [])
        for (i, peak) in [100.0, 120, 110].enumerated() {
            var r = AT.run(i + 1, wall: 1)
            r.services["api"] = ServiceRecord(metrics: ["memory_peak": peak * 1e6])
            w.runs.append(r)
        }
        let r = Judge.evaluate(slo: AT.slo(.max, .lessOrEqual, .absolute(100e6), metric: .service("api", .memoryPeak)),
                               workload: w, baseline: nil).result
        XCTAssertEqual(r.observed, 120e6)
        XCTAssertEqual(r.unit, "B")
        XCTAssertEqual(r.status, .fail)
    }

    // MARK: expansion, workload failure

    func testStarExpandsToOneTargetPerWorkload() {
        let slos = [AT.slo(.mean, .lessOrEqual, .absolute(80), workload: "*", name: "Q"),
                    AT.slo(.max, .lessOrEqual, .absolute(1), workload: "b", name: "B")]
        let t = Judge.targets(slos, workloads: ["a", "b", "c"])
        XCTAssertEqual(t.map { "\($0.slo.name)[\($0.workload)]" }, ["Q[a]", "Q[b]", "Q[c]", "B[b]"])

        let results = Judge.evaluateAll(slos: slos, workloads: [AT.workload("a", walls: [0.5]), AT.workload("b", walls: [2])],
                                        baseline: nil)
        XCTAssertEqual(results.map { "\($0.result.name)[\($0.result.workload)]=\($0.result.status.rawValue)" },
                       ["Q[a]=pass", "Q[b]=pass", "B[b]=fail"])
    }

    func testWorkloadFailureIsSeenInAnyRun() {
        var w = AT.workload(walls: [1, 1])
        XCTAssertFalse(Judge.workloadFailed(w))
        w.runs.append(AT.run(3, wall: 5, outcome: .timeout))
        XCTAssertTrue(Judge.workloadFailed(w))
        var warm = AT.workload(walls: [1])
        warm.runs.append(AT.run(0, wall: 1, warmup: true, outcome: .oom))
        XCTAssertTrue(Judge.workloadFailed(warm))
    }

    // MARK: verdict

    func testVerdictTableEveryRow() {
        func r(_ s: ObjectiveStatus, _ l: Level = .error) -> ObjectiveResult {
            ObjectiveResult(name: "x", workload: "w", objective: "", level: l, observed: nil, threshold: nil, unit: "s", status: s)
        }
        func v(_ rs: [ObjectiveResult], failed: Bool = false, strict: Bool = false, degraded: Bool = false,
               interrupted: Bool = false, setup: Bool = false) -> Verdict {
            Judge.verdict(results: rs, workloadsFailed: failed, strict: strict, degraded: degraded,
                          interrupted: interrupted, setupError: setup)
        }
        XCTAssertEqual(v([r(.pass)]), .pass)
        XCTAssertEqual(v([]), .pass)
        XCTAssertEqual(v([r(.pass), r(.fail)]), .fail)
        XCTAssertEqual(v([r(.pass)], failed: true), .fail, "a failed workload fails on its own")
        XCTAssertEqual(v([r(.inconclusive), r(.pass)]), .inconclusive)
        XCTAssertEqual(v([r(.inconclusive), r(.fail)]), .fail, "fail outranks inconclusive")
        XCTAssertEqual(v([r(.noData), r(.pass)]), .pass, "no_data does not fail the gate")
        XCTAssertEqual(v([r(.noData)], strict: true), .fail, "--strict: no_data fails")
        XCTAssertEqual(v([r(.noData, .warn)], strict: true), .pass, "warn never fails, even strict")
        XCTAssertEqual(v([r(.fail, .warn), r(.inconclusive, .warn), r(.pass)]), .pass, "warn never fails")
        XCTAssertEqual(v([r(.pass)], degraded: true), .pass, "degraded without --strict runs on")
        XCTAssertEqual(v([r(.pass)], strict: true, degraded: true), .error)
        XCTAssertEqual(v([r(.fail)], strict: true, degraded: true), .error)
        XCTAssertEqual(v([r(.pass)], setup: true), .error)
        XCTAssertEqual(v([r(.fail)], failed: true, setup: true), .error)
        XCTAssertEqual(v([r(.fail)], interrupted: true, setup: true), .interrupted)
        XCTAssertEqual(Verdict.inconclusive.exitCode, 4)
    }
}
