import XCTest
@testable import CleanroomKit

/// The two-sample change interval behind baseline objectives and `compare`, against the figures
/// scripts/gen-change-reference.py wrote once with numpy/scipy (exact: the same algorithm in
/// numpy; scipy: scipy.stats.bootstrap's own resampling, within Monte-Carlo error).
final class ChangeIntervalTests: XCTestCase {
    struct Reference: Decodable {
        struct Case: Decodable {
            var name: String
            var aggregate: String
            var kind: String
            var salt: String
            var base: [Double]
            var head: [Double]
            var change: Double
            var tail: Double
            var exact_ci: [Double]
            var scipy_ci: [Double]
            var scipy_tolerance: Double
        }
        var cases: [Case]
    }

    static func load() throws -> Reference {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("reference/change-reference.json")
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    static func aggregate(_ s: String) -> Aggregate {
        switch s {
        case "median": return .median
        case "mean": return .mean
        default: return .percentile(Double(s.dropFirst())!)
        }
    }

    func testMatchesTheNumpyReimplementationExactly() throws {
        let ref = try Self.load()
        XCTAssertGreaterThanOrEqual(ref.cases.count, 6)
        for c in ref.cases {
            let est = try XCTUnwrap(ChangeInterval.estimate(Self.aggregate(c.aggregate), base: c.base, head: c.head,
                                                            kind: ChangeKind(rawValue: c.kind)!, salt: c.salt), c.name)
            XCTAssertEqual(est.value, c.change, accuracy: abs(c.change) * 1e-9 + 1e-12, c.name)
            let n = min(c.base.count, c.head.count)
            XCTAssertEqual(ChangeInterval.expandedTail(n: n), c.tail, accuracy: 1e-6, "expanded tail, \(c.name)")
            let ci = try XCTUnwrap(est.ci, c.name)
            XCTAssertEqual(ci.lowerBound, c.exact_ci[0], accuracy: abs(c.exact_ci[0]) * 1e-9 + 1e-9, c.name)
            XCTAssertEqual(ci.upperBound, c.exact_ci[1], accuracy: abs(c.exact_ci[1]) * 1e-9 + 1e-9, c.name)
        }
    }

    func testAgreesWithScipyBootstrapWithinMonteCarloError() throws {
        for c in try Self.load().cases {
            let est = try XCTUnwrap(ChangeInterval.estimate(Self.aggregate(c.aggregate), base: c.base, head: c.head,
                                                            kind: ChangeKind(rawValue: c.kind)!, salt: c.salt))
            let ci = try XCTUnwrap(est.ci)
            XCTAssertEqual(ci.lowerBound, c.scipy_ci[0], accuracy: c.scipy_tolerance, c.name)
            XCTAssertEqual(ci.upperBound, c.scipy_ci[1], accuracy: c.scipy_tolerance, c.name)
        }
    }

    /// The expanded percentile interval widens small samples (Hesterberg 2015) and tends to the
    /// plain 2.5 % tails for large ones.
    func testExpandedTails() {
        XCTAssertLessThan(ChangeInterval.expandedTail(n: 3), 1e-5)
        XCTAssertEqual(ChangeInterval.expandedTail(n: 5), 0.00095, accuracy: 0.00005)
        XCTAssertEqual(ChangeInterval.expandedTail(n: 10), 0.00855, accuracy: 0.0001)
        XCTAssertEqual(ChangeInterval.expandedTail(n: 1000), 0.025, accuracy: 0.0005)
        // Beyond the table: continuous with it.
        XCTAssertEqual(ChangeInterval.expandedTail(n: 31), ChangeInterval.expandedTail(n: 32), accuracy: 0.0005)
    }

    func testRunsToDecideShrinksTheIntervalToTheBand() throws {
        let est = ChangeEstimate(kind: .relative, value: 12, ci: 2...22, baseValue: 1, headValue: 1.12, baseN: 5, headN: 5)
        // Half-width 10 at n = 5, 7 away from the +5 band: n · (10/7)² ≈ 10.2 → 11.
        XCTAssertEqual(ChangeInterval.runsToDecide(est, band: 5), 11)
        XCTAssertNil(ChangeInterval.runsToDecide(ChangeEstimate(kind: .relative, value: 5, ci: 0...10, baseValue: 1,
                                                                headValue: 1.05, baseN: 5, headN: 5), band: 5))
    }
}

/// Baseline objectives judged as a two-sample question (issue 16).
final class BaselineChangeJudgeTests: XCTestCase {
    let slo = AT.slo(.median, .lessOrEqual, .baselinePercent(5))

    func testPassFailAndInconclusiveByTheChangeInterval() throws {
        let base = AT.workload(walls: AT.spaced(0.990, 1.010, 10))
        // +20 %, tight: the whole interval above +5 % → fail.
        let slow = Judge.evaluate(slo: slo, workload: AT.workload(walls: AT.spaced(1.190, 1.210, 10)), baseline: base)
        XCTAssertEqual(slow.result.status, .fail)
        let change = try XCTUnwrap(slow.result.change)
        XCTAssertEqual(change.unit, "%")
        XCTAssertEqual(change.value, 20, accuracy: 1e-9)
        XCTAssertEqual(change.allowed, 5)
        XCTAssertEqual(change.headN, 10); XCTAssertEqual(change.baseN, 10)
        let cci = try XCTUnwrap(change.ci)
        XCTAssertGreaterThan(cci[0], 5)
        // ci on the aggregate's scale: the baseline value carried by the change interval.
        let ci = try XCTUnwrap(slow.result.ci)
        XCTAssertEqual(ci[0], 1.0 * (1 + cci[0] / 100), accuracy: 1e-9)
        XCTAssertEqual(slow.result.baseline?.value ?? 0, 1.0, accuracy: 1e-9)
        XCTAssertEqual(slow.result.baseline?.n, 10)

        // Same: the whole interval below +5 % → pass.
        let same = Judge.evaluate(slo: slo, workload: AT.workload(walls: AT.spaced(0.991, 1.011, 10)), baseline: base)
        XCTAssertEqual(same.result.status, .pass)
        XCTAssertFalse(same.needsMoreRuns)

        // +5 % with noise: straddles → add runs.
        let noisy = Judge.evaluate(slo: slo, workload: AT.workload(walls: AT.spaced(0.95, 1.15, 6)), baseline: base)
        XCTAssertEqual(noisy.result.status, .inconclusive)
        XCTAssertTrue(noisy.needsMoreRuns)
        XCTAssertTrue(noisy.result.reason?.contains("straddles the allowed +5%") ?? false, noisy.result.reason ?? "")
    }

    /// The case: a fixed threshold from a noisy baseline's median failed A/A runs. The
    /// baseline's own noise now counts: a head identical to a noisy 3-run baseline never fails.
    func testTheBaselinesOwnNoiseCounts() {
        let base = AT.workload(walls: [0.2797, 0.2500, 0.3100])
        let head = AT.workload(walls: [0.2950, 0.3000, 0.2900])   // +5.5 % on the medians
        let j = Judge.evaluate(slo: slo, workload: head, baseline: base)
        XCTAssertEqual(j.result.status, .inconclusive, "\(j.result)")
        XCTAssertEqual(Judge.evaluate(slo: AT.slo(.median, .lessOrEqual, .absolute(0.2797 * 1.05), noise: false),
                                      workload: head, baseline: nil).result.status, .fail,
                       "the old fixed-threshold reading failed this")
    }

    func testAbsoluteChangeAndProvenance() throws {
        let base = AT.workload(walls: AT.spaced(0.99, 1.01, 8))
        let head = AT.workload(walls: AT.spaced(1.19, 1.21, 8))
        let src = BaselineRecord(source: "history", reports: ["3", "4"])
        let r = Judge.evaluate(slo: AT.slo(.median, .lessOrEqual, .baselineDelta(0.05)), workload: head, baseline: base,
                               baselineSource: src).result
        XCTAssertEqual(r.status, .fail)
        XCTAssertEqual(r.change?.unit, "s")
        XCTAssertEqual(r.change?.value ?? 0, 0.2, accuracy: 1e-9)
        XCTAssertEqual(r.baseline?.source, "history")
        XCTAssertEqual(r.baseline?.reports, ["3", "4"])
        XCTAssertEqual(ReportText.baselineLine(r)?.contains("history reports 3, 4"), true)

        // Base runs measured in the same job travel with the workload and win over a file baseline.
        var ab = head
        ab.baseRuns = base.runs
        ab.baseCwd = "/src/base"
        let all = Judge.evaluateAll(slos: [slo], workloads: [ab], baseline: [AT.workload(walls: [5, 5, 5])])
        XCTAssertEqual(all[0].result.baseline?.source, "ab")
        XCTAssertEqual(all[0].result.baseline?.reports, ["/src/base"])
        XCTAssertEqual(all[0].result.status, .fail)
    }

    /// compare and the gate: the same interval (same seed) and the same words.
    func testCompareUsesTheGatesInterval() throws {
        let base = AT.spaced(0.99, 1.01, 10), head = AT.spaced(1.19, 1.21, 10)
        let gate = Judge.evaluate(slo: slo, workload: AT.workload(walls: head), baseline: AT.workload(walls: base)).result
        let c = try XCTUnwrap(Compare.change(workload: "w", metric: .builtin(.wallTime), unit: "s", base: base, head: head, band: 5))
        XCTAssertEqual(c.ci, gate.change?.ci)
        XCTAssertEqual(c.result, "slower")
        XCTAssertTrue(c.rankTestAgrees)
        let same = try XCTUnwrap(Compare.change(workload: "w", metric: .builtin(.wallTime), unit: "s", base: base,
                                                head: AT.spaced(0.991, 1.011, 10), band: 5))
        XCTAssertEqual(same.result, "no change")
        // Noisy and close to the band: inconclusive, with how many runs would decide.
        let close = try XCTUnwrap(Compare.change(workload: "w", metric: .builtin(.wallTime), unit: "s",
                                                 base: [1.0, 1.1, 0.9, 1.05, 0.95], head: [1.12, 1.0, 1.25, 1.05, 1.2], band: 5))
        XCTAssertEqual(close.result, "inconclusive")
        XCTAssertGreaterThan(try XCTUnwrap(close.runsToDecide), 5)
    }

    func testNoiseFiguresAndWarning() throws {
        var w = AT.workload(walls: [1.0, 1.1, 0.9, 1.05, 0.95])
        w.noise = NoiseFigures.compute(w, slos: [slo], maxRepeat: 15)
        let f = try XCTUnwrap(w.noise?["wall_time"])
        let sd = Statistics.stddev([1.0, 1.1, 0.9, 1.05, 0.95])!
        XCTAssertEqual(f.cv, sd / 1.0 * 100, accuracy: 1e-9)
        XCTAssertEqual(f.smallestChange, 1.959964 * 1.253314 * f.cv * (2.0 / 5).squareRoot(), accuracy: 1e-9)
        XCTAssertLessThan(try XCTUnwrap(f.smallestChangeAtMaxRepeat), f.smallestChange)
        let warnings = NoiseFigures.warnings(w, slos: [slo, AT.slo(.median, .lessOrEqual, .baselinePercent(50), name: "Loose")])
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings[0].hasPrefix("O on w: allows a change of 5.0%"), warnings[0])
    }
}
