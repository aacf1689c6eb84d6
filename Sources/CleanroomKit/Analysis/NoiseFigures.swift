import Foundation

/// A workload's run-to-run noise, and what it means for baseline objectives: the smallest change
/// a comparison with this many runs can decide. An objective that allows less than that can
/// only end `inconclusive` (or, by chance, `fail`), so `run` and `validate` warn about it.
public enum NoiseFigures {
    /// z of a two-sided 95 % interval.
    static let z = 1.959964
    /// Asymptotic efficiency of the median against the mean for normal data (√(π/2)): the
    /// median's standard error is ≈ 1.2533 σ/√n.
    static let medianFactor = 1.253314

    /// Half-width, in percent, of the 95 % interval of the relative change in medians between
    /// two samples of `n` runs with coefficient of variation `cv` (percent): z · 1.2533 · cv · √(2/n).
    public static func smallestChange(cv: Double, n: Int) -> Double {
        z * medianFactor * cv * (2 / Double(max(n, 1))).squareRoot()
    }

    /// Noise on `wall_time` and on every metric the workload's objectives name, over its
    /// measured runs (custom metrics: over observations). Metrics with fewer than two values
    /// or a mean of 0 have no figure.
    public static func compute(_ w: WorkloadReport, slos: [SLOPlan], maxRepeat: Int?) -> [String: NoiseFigure]? {
        var refs: [MetricRef] = [.builtin(.wallTime)]
        for s in slos where !refs.contains(s.objective.metric) { refs.append(s.objective.metric) }
        var out: [String: NoiseFigure] = [:]
        for ref in refs {
            let obs = Observations(metric: ref, runs: w.runs)
            guard obs.unitConflict == nil, obs.values.count >= 2,
                  let sd = Statistics.stddev(obs.values) else { continue }
            let mean = Statistics.mean(obs.values)
            guard mean != 0, sd.isFinite else { continue }
            let cv = sd / abs(mean) * 100
            let n = obs.isPooled ? obs.values.count : obs.measuredRuns
            out[ref.key] = NoiseFigure(cv: cv, n: n, smallestChange: smallestChange(cv: cv, n: n),
                                       smallestChangeAtMaxRepeat: obs.isPooled ? nil : maxRepeat.map { smallestChange(cv: cv, n: max($0, n)) })
        }
        return out.isEmpty ? nil : out
    }

    /// One sentence per `baseline ± N%` objective whose allowed change is smaller than the
    /// smallest change this workload's runs can decide.
    public static func warnings(_ w: WorkloadReport, slos: [SLOPlan]) -> [String] {
        guard let noise = w.noise else { return [] }
        return slos.compactMap { s -> String? in
            guard case .baselinePercent(let p) = s.objective.threshold,
                  Judge.noiseApplies(s.objective.aggregate), s.noise,
                  let f = noise[s.objective.metric.key], abs(p) < f.smallestChange else { return nil }
            return "\(s.name) on \(w.name): allows a change of \(fmt(abs(p)))%, but \(s.objective.metric.key) varies by "
                + "\(fmt(f.cv))% run to run: \(f.n) runs a side decide changes of about \(fmt(f.smallestChange))% or more"
                + (f.smallestChangeAtMaxRepeat.map { ", \(fmt($0))% at max_repeat" } ?? "")
                + " — raise repeat/max_repeat or the allowed change"
        }
    }

    static func fmt(_ v: Double) -> String { CFormat.text("%.1f", v) }
}
