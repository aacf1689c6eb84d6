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
    /// Mann–Whitney U two-sided p-value (scipy `method='auto'` semantics).
    public var pValue: Double
    /// U1 of the base sample.
    public var u: Double
    /// "exact" or "normal" (normal approximation with tie and continuity corrections).
    public var pMethod: String
    /// "faster" / "slower" (anything in seconds, custom metrics included), "larger" / "smaller"
    /// (everything else), or "no change".
    public var result: String
    /// Why the result is "no change" when the data could not show a change at all.
    public var note: String?

    enum CodingKeys: String, CodingKey {
        case workload, metric, unit, ci, u, result, note
        case baseN = "base_n", headN = "head_n", baseMedian = "base_median", headMedian = "head_median"
        case changePercent = "change_percent", pValue = "p_value", pMethod = "p_method"
    }
}

/// `cleanroom compare BASE.json HEAD.json` as data, before rendering.
public struct ComparisonReport: Codable, Equatable, Sendable {
    public var schema = "cleanroom/compare@1"
    public var alpha: Double
    public var changes: [MetricChange]
    /// Workloads in only one of the two reports (not compared).
    public var onlyInBase: [String]
    public var onlyInHead: [String]

    enum CodingKeys: String, CodingKey {
        case schema, alpha, changes
        case onlyInBase = "only_in_base", onlyInHead = "only_in_head"
    }
}

public enum Compare {
    /// Significance level: a change is called when p < alpha AND the change's interval excludes 0.
    public static let alpha = 0.05

    /// Compares every workload present in both reports, on every metric both have values for.
    public static func compare(base: Report, head: Report) -> ComparisonReport {
        let headByName = Dictionary(head.workloads.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let baseNames = Set(base.workloads.map(\.name))
        var changes: [MetricChange] = []
        for bw in base.workloads {
            guard let hw = headByName[bw.name] else { continue }
            let headRefs = Set(Observations.metricKeys(in: hw.runs))
            for ref in Observations.metricKeys(in: bw.runs) where headRefs.contains(ref) {
                let b = Observations(metric: ref, runs: bw.runs), h = Observations(metric: ref, runs: hw.runs)
                guard b.unitConflict == nil, h.unitConflict == nil, b.unit == h.unit,
                      let c = change(workload: bw.name, metric: ref, unit: b.unit, base: b.values, head: h.values)
                else { continue }
                changes.append(c)
            }
        }
        return ComparisonReport(alpha: alpha, changes: changes,
                                onlyInBase: base.workloads.map(\.name).filter { headByName[$0] == nil },
                                onlyInHead: head.workloads.map(\.name).filter { !baseNames.contains($0) })
    }

    /// The change of one metric; nil when either side has no values.
    public static func change(workload: String, metric: MetricRef, unit: String,
                              base: [Double], head: [Double]) -> MetricChange? {
        guard !base.isEmpty, !head.isEmpty, let mw = MannWhitney.test(base, head) else { return nil }
        let bm = Statistics.percentile(base, 50), hm = Statistics.percentile(head, 50)
        let pct: Double? = bm != 0 ? (hm - bm) / abs(bm) * 100 : nil
        let ci = changeInterval(base: base, head: head, salt: workload + "|" + metric.key)
        var result = "no change"
        var note: String? = nil
        if let pct, let ci, mw.pValue < alpha, ci[0] > 0 || ci[1] < 0 {
            let up = pct > 0
            result = unit == Dimension.duration.baseUnit ? (up ? "slower" : "faster") : (up ? "larger" : "smaller")
        } else if base.count < 2 || head.count < 2 {
            note = "too few values to tell (need at least 2 on each side; 4 or more for p < 0.05)"
        } else if bm == 0 {
            note = "base median is 0: no relative change"
        }
        return MetricChange(workload: workload, metric: metric.key, unit: unit, baseN: base.count, headN: head.count,
                            baseMedian: bm, headMedian: hm, changePercent: pct, ci: ci, pValue: mw.pValue, u: mw.u,
                            pMethod: mw.exact ? "exact" : "normal", result: result, note: note)
    }

    /// 95 % percentile-bootstrap interval of the change in medians, in percent of the base median:
    /// each side resampled on its own (runs, or observations for custom metrics), seeded from
    /// both data sets so the same two reports always give the same interval.
    static func changeInterval(base: [Double], head: [Double], salt: String,
                               resamples: Int = Bootstrap.defaultResamples) -> [Double]? {
        guard base.count >= 2, head.count >= 2 else { return nil }
        let bs = base.sorted(), hs = head.sorted()
        guard Statistics.percentile(sorted: bs, 50) != 0 else { return nil }
        let b = Bootstrap.resampleCount(resamples, n: max(bs.count, hs.count))
        var rb = SplitMix64(seed: SplitMix64.seed(sorted: bs, salt: "compare-base|" + salt))
        var rh = SplitMix64(seed: SplitMix64.seed(sorted: hs, salt: "compare-head|" + salt) ^ 0x5DEE_CE66_D1CE_4E5B)
        let db = Bootstrap.distribution(.median, sorted: bs, resamples: b, rng: &rb)
        let dh = Bootstrap.distribution(.median, sorted: hs, resamples: b, rng: &rh)
        var changes: [Double] = []
        changes.reserveCapacity(b)
        for i in 0..<b where db[i] != 0 { changes.append((dh[i] - db[i]) / abs(db[i]) * 100) }
        guard changes.count >= b / 2 else { return nil }   // base resamples mostly 0: no relative scale
        changes.sort()
        return [Statistics.percentile(sorted: changes, 2.5), Statistics.percentile(sorted: changes, 97.5)]
    }
}
