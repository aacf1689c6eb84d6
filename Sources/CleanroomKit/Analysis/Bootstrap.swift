import Foundation

/// SplitMix64 (Steele, Lea & Flood 2014): tiny, fast, and fully determined by its seed, so a
/// saved report re-judged by `cleanroom check` gets the very same confidence interval.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<n (Lemire's multiply-shift; the bias is below 2^-40 for any n we see).
    @inline(__always)
    public mutating func index(below n: Int) -> Int {
        Int(next().multipliedFullWidth(by: UInt64(n)).high)
    }

    /// A seed from the data itself (FNV-1a over the sorted values' bits, plus a salt naming what
    /// is being estimated): the same numbers always give the same interval, whatever order the
    /// runs were listed in.
    public static func seed(sorted values: [Double], salt: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        @inline(__always) func mix(_ byte: UInt64) { h = (h ^ byte) &* 0x0000_0100_0000_01B3 }
        for v in values {
            var bits = v.bitPattern
            for _ in 0..<8 { mix(bits & 0xFF); bits >>= 8 }
        }
        for b in salt.utf8 { mix(UInt64(b)) }
        return h
    }
}

/// Percentile bootstrap confidence intervals (Efron): resample with replacement, compute the
/// statistic on each resample, take the 2.5th and 97.5th percentiles of those statistics.
public enum Bootstrap {
    public static let defaultResamples = 2000
    public static let defaultConfidence = 0.95
    /// Work budget (values drawn) for one interval: with very large pooled custom series (a load
    /// test's million latencies) the number of resamples drops so that n × resamples stays
    /// under it, never below 200. The interval stays valid; its end points get a little noisier.
    public static let drawBudget = 100_000_000

    /// The resamples actually used for `n` values.
    public static func resampleCount(_ requested: Int, n: Int) -> Int {
        min(requested, max(200, drawBudget / max(n, 1)))
    }

    /// A 95 % (by default) interval for `agg` over `xs`. nil when it is not defined: fewer than two
    /// values, `count` (exact: every resample has the same count), or `stddev` with < 2 values.
    /// `salt` distinguishes intervals of different things over the same numbers.
    public static func interval(_ agg: Aggregate, _ xs: [Double], resamples: Int = defaultResamples,
                                confidence: Double = defaultConfidence, salt: String = "") -> ClosedRange<Double>? {
        guard xs.count >= 2, agg != .count else { return nil }
        let sorted = xs.sorted()
        var rng = SplitMix64(seed: SplitMix64.seed(sorted: sorted, salt: "\(agg)|\(salt)"))
        var dist = distribution(agg, sorted: sorted, resamples: resampleCount(resamples, n: sorted.count), rng: &rng)
        dist.sort()
        let tail = (1 - confidence) / 2 * 100
        return Statistics.percentile(sorted: dist, tail)...Statistics.percentile(sorted: dist, 100 - tail)
    }

    /// The statistic on each of `resamples` resamples of `sorted` (which must be sorted ascending).
    ///
    /// A resample is represented by how many times it drew each original value, so every statistic
    /// (a percentile included) is read off in O(n) per resample, without sorting the resample.
    public static func distribution(_ agg: Aggregate, sorted s: [Double], resamples: Int,
                                    rng: inout SplitMix64) -> [Double] {
        let n = s.count
        precondition(n >= 1)
        var out = [Double](repeating: 0, count: resamples)
        var counts = [Int32](repeating: 0, count: n)
        for b in 0..<resamples {
            for i in 0..<n { counts[i] = 0 }
            for _ in 0..<n { counts[rng.index(below: n)] += 1 }
            out[b] = statistic(agg, sorted: s, counts: counts)
        }
        return out
    }

    /// The statistic of the multiset "s[i] repeated counts[i] times" (total count = s.count).
    static func statistic(_ agg: Aggregate, sorted s: [Double], counts: [Int32]) -> Double {
        let n = s.count
        switch agg {
        case .count:
            return Double(n)
        case .min:
            return s[counts.firstIndex { $0 > 0 }!]
        case .max:
            return s[counts.lastIndex { $0 > 0 }!]
        case .mean, .stddev:
            var sum = 0.0
            for i in 0..<n where counts[i] > 0 { sum += Double(counts[i]) * s[i] }
            let m = sum / Double(n)
            guard agg == .stddev else { return m }
            guard n >= 2 else { return 0 }
            var ss = 0.0
            for i in 0..<n where counts[i] > 0 { ss += Double(counts[i]) * (s[i] - m) * (s[i] - m) }
            return (ss / Double(n - 1)).squareRoot()
        case .median:
            return quantile(50, sorted: s, counts: counts)
        case .percentile(let p):
            return quantile(p, sorted: s, counts: counts)
        }
    }

    /// numpy-linear percentile of the resample, walking the counts to the two order statistics needed.
    static func quantile(_ p: Double, sorted s: [Double], counts: [Int32]) -> Double {
        let n = s.count
        let h = Double(n - 1) * (p / 100)
        let lo = min(max(Int(h.rounded(.down)), 0), n - 1)
        let hi = min(lo + 1, n - 1)
        // Find the values at 0-based positions lo and hi of the expanded, sorted resample.
        var seen = 0
        var a = s[n - 1], b = s[n - 1]
        var haveA = false
        for i in 0..<n where counts[i] > 0 {
            seen += Int(counts[i])
            if !haveA && seen > lo { a = s[i]; haveA = true }
            if seen > hi { b = s[i]; break }
        }
        return Statistics.lerp(a, b, h - Double(lo))
    }
}
