// bench/verdicts-sim: the synthetic rows of bench/verdicts. Drives the gate's own judging code
// (Judge.evaluate, the orchestrator's "add a run while the interval straddles" rule, and
// Compare.change) over samples drawn from distributions with known noise, many trials per row.
//
//   verdicts-sim [--trials N] [--rows NAME,...]
//
// Prints one tab-separated line per row: row, mode, distribution, true change, objective,
// repeat, max_repeat, trials, pass %, fail %, inconclusive %, mean head runs, compare agreement %.
import CleanroomKit
import Foundation

/// Noise models: a value for a run of a workload whose typical time is 1.0 (then scaled by 1 + change).
enum Dist: String, CaseIterable {
    case normal5 = "normal cv5%"          // Gaussian, cv 5 %
    case lognormal = "lognormal s0.08"    // right-skewed, σ 0.08 in log space (cv ≈ 8 %)
    case bimodal = "bimodal 70/30 +12%"   // two modes (a cache hit or miss, a CPU frequency step), each cv 2 %
    case outliers = "normal cv3% +5% x1.5 outliers"  // mostly tight, one run in 20 takes 1.5×
    case normal10 = "normal cv10%"

    func draw(_ g: inout SplitMix64) -> Double {
        switch self {
        case .normal5: return 1 + 0.05 * gauss(&g)
        case .normal10: return max(0.05, 1 + 0.10 * gauss(&g))
        case .lognormal: return exp(0.08 * gauss(&g))
        case .bimodal: return (uniform(&g) < 0.7 ? 1.0 : 1.12) * (1 + 0.02 * gauss(&g))
        case .outliers: return (1 + 0.03 * gauss(&g)) * (uniform(&g) < 0.05 ? 1.5 : 1)
        }
    }
}

func uniform(_ g: inout SplitMix64) -> Double { Double(g.next() >> 11) / Double(1 << 53) }
func gauss(_ g: inout SplitMix64) -> Double {
    // Box–Muller: enough for a noise model.
    let u1 = max(uniform(&g), 1e-300), u2 = uniform(&g)
    return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
}

struct Row {
    var name: String
    /// "file": the baseline is a saved report of `repeat` runs, only head runs are added;
    /// "ab": base and head measured in one job, runs added in pairs (--baseline-from).
    var mode: String
    var dist: Dist
    var change: Double      // true relative change of the head, e.g. 0.10
    var allowed: Double     // percent: `median(wall_time) <= baseline + allowed%`
    var repeatCount: Int
    var maxRepeat: Int
}

func runs(_ xs: [Double]) -> [RunRecord] {
    xs.enumerated().map { RunRecord(index: $0.offset + 1, outcome: .ok, exitCode: 0, metrics: ["wall_time": $0.element]) }
}

struct Outcome { var pass = 0, fail = 0, inconclusive = 0, headRuns = 0, agree = 0, decided = 0 }

func trial(_ row: Row, seed: UInt64, slo: SLOPlan) -> (ObjectiveStatus, Int, Bool?) {
    var g = SplitMix64(seed: seed)
    var base = (0..<row.repeatCount).map { _ in row.dist.draw(&g) }
    var head = (0..<row.repeatCount).map { _ in row.dist.draw(&g) * (1 + row.change) }
    while true {
        let j = Judge.evaluate(slo: slo, workload: WorkloadReport(name: "w", command: ["x"], runs: runs(head)),
                               baseline: WorkloadReport(name: "w", command: ["x"], runs: runs(base)))
        if j.needsMoreRuns && head.count < row.maxRepeat {
            head.append(row.dist.draw(&g) * (1 + row.change))
            if row.mode == "ab" { base.append(row.dist.draw(&g)) }
            continue
        }
        let status = j.needsMoreRuns ? ObjectiveStatus.inconclusive : j.result.status
        // compare on the same samples, band = the allowed change: slower exactly when the gate
        // fails; "not more than +band slower" (no change, faster, or the noted inconclusive) when it passes.
        var agree: Bool? = nil
        if status != .inconclusive, let c = Compare.change(workload: "w", metric: .builtin(.wallTime), unit: "s",
                                                           base: base, head: head, band: row.allowed) {
            let compareFail = c.result == "slower"
            let comparePass = c.result == "no change" || c.result == "faster" || (c.ci.map { $0[1] <= row.allowed } ?? false)
            agree = status == .fail ? compareFail && !comparePass : comparePass && !compareFail
        }
        return (status, head.count, agree)
    }
}

var trials = 400
var only: Set<String>? = nil
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    if a == "--trials", let v = args.popFirst(), let n = Int(v) { trials = n }
    else if a == "--rows", let v = args.popFirst() { only = Set(v.split(separator: ",").map(String.init)) }
}

var rows: [Row] = []
// Defaults: cleanroom's own (95 %, max_repeat = 3 × repeat) at the repeat of 5.
for d in [Dist.normal5, .lognormal, .bimodal, .outliers, .normal10] {
    rows.append(Row(name: "aa-file", mode: "file", dist: d, change: 0, allowed: 5, repeatCount: 5, maxRepeat: 15))
    rows.append(Row(name: "ab10-file", mode: "file", dist: d, change: 0.10, allowed: 5, repeatCount: 5, maxRepeat: 15))
    rows.append(Row(name: "aa-in-job", mode: "ab", dist: d, change: 0, allowed: 5, repeatCount: 5, maxRepeat: 20))
    rows.append(Row(name: "ab10-in-job", mode: "ab", dist: d, change: 0.10, allowed: 5, repeatCount: 5, maxRepeat: 20))
    rows.append(Row(name: "aa-file-r3", mode: "file", dist: d, change: 0, allowed: 5, repeatCount: 3, maxRepeat: 9))
    rows.append(Row(name: "ab10-file-r3", mode: "file", dist: d, change: 0.10, allowed: 5, repeatCount: 3, maxRepeat: 9))
}

print(["row", "mode", "distribution", "true change", "objective", "repeat", "max_repeat", "trials",
       "pass %", "fail %", "inconclusive %", "mean head runs", "compare agrees %"].joined(separator: "\t"))
for (k, row) in rows.enumerated() where only.map({ $0.contains(row.name) }) ?? true {
    let text = "median(wall_time) <= baseline + \(Int(row.allowed))%"
    let obj = Objective(aggregate: .median, metric: .builtin(.wallTime), comparison: .lessOrEqual,
                        threshold: .baselinePercent(row.allowed), text: text)
    let slo = SLOPlan(name: "NoRegression", workload: "w", objective: obj)
    var o = Outcome()
    for t in 0..<trials {
        let (status, n, agree) = trial(row, seed: UInt64(k) << 32 | UInt64(t), slo: slo)
        switch status {
        case .pass: o.pass += 1
        case .fail: o.fail += 1
        default: o.inconclusive += 1
        }
        o.headRuns += n
        if let agree { o.decided += 1; if agree { o.agree += 1 } }
    }
    func pct(_ x: Int, _ of: Int) -> String { of == 0 ? "—" : String(format: "%.1f", Double(x) / Double(of) * 100) }
    print([row.name, row.mode, row.dist.rawValue, String(format: "%+.0f%%", row.change * 100), text,
           "\(row.repeatCount)", "\(row.maxRepeat)", "\(trials)", pct(o.pass, trials), pct(o.fail, trials),
           pct(o.inconclusive, trials), String(format: "%.1f", Double(o.headRuns) / Double(trials)),
           pct(o.agree, o.decided)].joined(separator: "\t"))
    fflush(stdout)
}
