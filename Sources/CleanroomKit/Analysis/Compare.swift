import Foundation

/// One metric of one workload, base report against head report (`cleanroom compare`).
public struct MetricChange: Codable, Equatable, Sendable {
    public var workload: String
    public var metric: String
    public var unit: String
    public var baseN: Int
    public var headN: Int
    public var baseMedian: Double
    public var headMedian: Double
    /// (head − base) / |base| × 100; nil when the base median is 0.
    public var changePercent: Double?
    /// 95 % bootstrap interval of `changePercent`; nil with fewer than two values on a side
    /// or a base median of 0.
    public var ci: [Double]?
    /// Mann–Whitney U two-sided p-value (scipy `method='auto'` semantics): the second opinion.
    public var pValue: Double
    /// U1 of the base sample.
    public var u: Double
    /// "exact" or "normal" (normal approximation with tie and continuity corrections).
    public var pMethod: String
    /// The gate's words: "slower" / "faster" (anything in seconds, custom metrics included) or
    /// "larger" / "smaller" (everything else) when the whole interval is beyond ±`band`; "no change"
    /// when it is wholly within ±`band`; "inconclusive" otherwise.
    public var result: String
    /// The band (percent) within which a change counts as "no change".
    public var band: Double
    /// Inconclusive: runs per side that would likely decide (the interval shrinks as 1/√n).
    public var runsToDecide: Int?
    /// Whether the rank test (p < alpha) agrees that there is a change: the second opinion.
    public var rankTestAgrees: Bool
    /// Why the result is what it is when the data alone do not say (too few values, a base of 0,
    /// the rank test disagreeing, what the gate would say).
    public var note: String?

    enum CodingKeys: String, CodingKey {
        case workload, metric, unit, ci, u, result, note, band
        case baseN = "base_n", headN = "head_n", baseMedian = "base_median", headMedian = "head_median"
        case changePercent = "change_percent", pValue = "p_value", pMethod = "p_method"
        case runsToDecide = "runs_to_decide", rankTestAgrees = "rank_test_agrees"
    }
}

/// `cleanroom compare BASE.json HEAD.json` as data, before rendering.
public struct ComparisonReport: Codable, Equatable, Sendable {
    public var schema = "cleanroom/compare@1"
    public var alpha: Double
    /// Changes within ±band percent are "no change" (`--band`, default 5).
    public var band: Double = Compare.defaultBand
    public var changes: [MetricChange]
    /// Workloads in only one of the two reports (not compared).
    public var onlyInBase: [String]
    public var onlyInHead: [String]

    enum CodingKeys: String, CodingKey {
        case schema, alpha, band, changes
        case onlyInBase = "only_in_base", onlyInHead = "only_in_head"
    }
}

public enum Compare {
    /// Significance level of the rank test (the second opinion).
    public static let alpha = 0.05
    /// Changes within ±5 % are "no change" unless `--band` says otherwise.
    public static let defaultBand = 5.0

    /// Compares every workload present in both reports, on every metric both have values for.
    public static func compare(base: Report, head: Report, band: Double = defaultBand) -> ComparisonReport {
        let headByName = Dictionary(head.workloads.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let baseNames = Set(base.workloads.map(\.name))
        var changes: [MetricChange] = []
        for bw in base.workloads {
            guard let hw = headByName[bw.name] else { continue }
            let headRefs = Set(Observations.metricKeys(in: hw.runs))
            for ref in Observations.metricKeys(in: bw.runs) where headRefs.contains(ref) {
                let b = Observations(metric: ref, runs: bw.runs), h = Observations(metric: ref, runs: hw.runs)
                guard b.unitConflict == nil, h.unitConflict == nil, b.unit == h.unit,
                      let c = change(workload: bw.name, metric: ref, unit: b.unit, base: b.values, head: h.values, band: band)
                else { continue }
                changes.append(c)
            }
        }
        return ComparisonReport(alpha: alpha, band: band, changes: changes,
                                onlyInBase: base.workloads.map(\.name).filter { headByName[$0] == nil },
                                onlyInHead: head.workloads.map(\.name).filter { !baseNames.contains($0) })
    }

    /// The change of one metric; nil when either side has no values. Judged exactly as the gate
    /// judges `median(METRIC) <= baseline + band%` (and its mirror `>= baseline - band%`): the
    /// same interval of the change in medians over both samples (`ChangeInterval`, same seed).
    public static func change(workload: String, metric: MetricRef, unit: String,
                              base: [Double], head: [Double], band: Double = defaultBand) -> MetricChange? {
        guard !base.isEmpty, !head.isEmpty, let mw = MannWhitney.test(base, head) else { return nil }
        let bm = Statistics.percentile(base, 50), hm = Statistics.percentile(head, 50)
        let est = ChangeInterval.estimate(.median, base: base, head: head, kind: .relative, salt: metric.key)
        let ci = est?.ci.map { [$0.lowerBound, $0.upperBound] }
        let words = unit == Dimension.duration.baseUnit ? ("slower", "faster") : ("larger", "smaller")
        var result = "inconclusive"
        var note: String? = nil
        var runs: Int? = nil
        if let ci {
            if ci[0] > band { result = words.0 }
            else if ci[1] < -band { result = words.1 }
            else if ci[0] >= -band && ci[1] <= band { result = "no change" }
            else {
                // The nearer band edge the interval straddles decides how many runs would do.
                let edge = ci[1] > band ? band : -band
                runs = est.flatMap { ChangeInterval.runsToDecide($0, band: edge) }
                note = ci[1] <= band ? "not more than \(fmtBand(band)) \(words.0) (a `<= baseline + \(fmtBand(band))` gate passes)"
                     : ci[0] >= -band ? "not more than \(fmtBand(band)) \(words.1) (a `>= baseline - \(fmtBand(band))` gate passes)"
                     : nil
            }
        } else if bm == 0 && hm == 0 && base.allSatisfy({ $0 == 0 }) && head.allSatisfy({ $0 == 0 }) {
            result = "no change"
        } else if bm == 0 {
            note = "base median is 0: no relative change"
        } else {
            note = "too few values to tell (need at least 2 on each side)"
        }
        let rankSaysChange = mw.pValue < alpha
        let rankAgrees = (result == "no change" || result == "inconclusive") ? !rankSaysChange || result == "inconclusive" : rankSaysChange
        if !rankAgrees {
            let extra = "the rank test disagrees (p = \(CFormat.text("%.3g", mw.pValue)))"
            note = note.map { $0 + "; " + extra } ?? extra
        }
        return MetricChange(workload: workload, metric: metric.key, unit: unit, baseN: base.count, headN: head.count,
                            baseMedian: bm, headMedian: hm, changePercent: est?.value, ci: ci, pValue: mw.pValue, u: mw.u,
                            pMethod: mw.exact ? "exact" : "normal", result: result, band: band, runsToDecide: runs,
                            rankTestAgrees: rankAgrees, note: note)
    }

    static func fmtBand(_ b: Double) -> String { CFormat.text("%g%%", b) }
}
