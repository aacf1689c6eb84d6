import Foundation

/// Descriptive statistics, defined once so every report, objective and comparison agrees.
///
/// Definitions (also in docs/statistics.md):
/// - `stddev` is the *sample* standard deviation (Bessel's correction, ddof = 1). It is undefined
///   for fewer than two values: `aggregate(.stddev, _)` is then nil; `Stats.stddev` (a
///   non-optional field of the report) is 0 for n = 1, because one value has no spread.
/// - Percentiles use numpy's default definition (`method='linear'`, type 7 of Hyndman & Fan):
///   h = (n − 1)·p/100, interpolated linearly between the order statistics around h.
/// - `median` is the 50th percentile by that definition (the middle value, or the mean of the two).
public enum Statistics {

    /// Summary of `xs` as stored in report.json (`workloads[].stats`). nil when `xs` is empty:
    /// a metric nobody measured has no statistics, not zeros.
    public static func stats(_ xs: [Double], unit: String?) -> Stats? {
        guard !xs.isEmpty else { return nil }
        let s = xs.sorted()
        return Stats(n: s.count, min: s[0], max: s[s.count - 1], mean: mean(s),
                     median: percentile(sorted: s, 50), stddev: stddev(s) ?? 0,
                     p50: percentile(sorted: s, 50), p90: percentile(sorted: s, 90),
                     p95: percentile(sorted: s, 95), p99: percentile(sorted: s, 99), unit: unit)
    }

    /// The p-th percentile (0 ≤ p ≤ 100) of unsorted `xs`, numpy `method='linear'`.
    /// Precondition: `xs` is not empty.
    public static func percentile(_ xs: [Double], _ p: Double) -> Double {
        percentile(sorted: xs.sorted(), p)
    }

    /// As `percentile(_:_:)`, for values already sorted ascending (no copy, no sort).
    public static func percentile(sorted s: [Double], _ p: Double) -> Double {
        precondition(!s.isEmpty, "percentile of no values")
        let h = Double(s.count - 1) * (p / 100)
        let lo = Swift.min(Swift.max(Int(h.rounded(.down)), 0), s.count - 1)
        let hi = Swift.min(lo + 1, s.count - 1)
        return lerp(s[lo], s[hi], h - Double(lo))
    }

    /// numpy's `_lerp`: the two-sided form keeps the result exact at both ends and monotonic,
    /// which is what makes our percentiles bit-for-bit comparable with numpy's.
    @inline(__always)
    static func lerp(_ a: Double, _ b: Double, _ t: Double) -> Double {
        let diff = b - a
        return t >= 0.5 ? b - diff * (1 - t) : a + diff * t
    }

    public static func mean(_ xs: [Double]) -> Double {
        precondition(!xs.isEmpty, "mean of no values")
        // Two-pass mean: sum, then correct by the mean residual (cheap, and keeps large
        // offsets such as byte counts ~1e9 from losing the small differences).
        var sum = 0.0
        for x in xs { sum += x }
        let m = sum / Double(xs.count)
        var r = 0.0
        for x in xs { r += x - m }
        return m + r / Double(xs.count)
    }

    /// Sample standard deviation (ddof = 1); nil for fewer than two values.
    public static func stddev(_ xs: [Double]) -> Double? {
        guard xs.count >= 2 else { return nil }
        let m = mean(xs)
        var ss = 0.0
        for x in xs { ss += (x - m) * (x - m) }
        return (ss / Double(xs.count - 1)).squareRoot()
    }

    /// The value of an objective's aggregate over `xs`. nil when it is undefined (no values,
    /// or stddev of a single value); `count` of no values is 0, which is a real count.
    public static func aggregate(_ agg: Aggregate, _ xs: [Double]) -> Double? {
        if case .count = agg { return Double(xs.count) }
        guard !xs.isEmpty else { return nil }
        switch agg {
        case .min: return xs.min()
        case .max: return xs.max()
        case .mean: return mean(xs)
        case .median: return percentile(xs, 50)
        case .stddev: return stddev(xs)
        case .percentile(let p): return percentile(xs, p)
        case .count: return Double(xs.count)
        }
    }
}
