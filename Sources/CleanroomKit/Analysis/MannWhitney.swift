import Foundation

/// The Mann–Whitney U test (two-sided), matching `scipy.stats.mannwhitneyu` with its defaults
/// (`use_continuity=True`, `alternative='two-sided'`, `method='auto'`):
///
/// - `U` is U1, the statistic of the first sample: R1 − n1(n1+1)/2 with average ranks for ties.
/// - exact p-value when the smaller sample has at most 8 values and there are no ties:
///   p = 2·P(U ≥ max(U1, U2)) under the exact null distribution, clipped to 1;
/// - otherwise the normal approximation with the tie correction
///   σ = √(n1·n2/12 · ((n+1) − Σ(t³−t)/(n(n−1)))) and continuity correction 0.5:
///   z = (max(U1, U2) − n1·n2/2 − 0.5)/σ, p = 2·(1 − Φ(z)), clipped to 1.
public enum MannWhitney {
    public struct Result: Equatable, Sendable {
        /// U1 (of the first sample).
        public var u: Double
        public var pValue: Double
        public var exact: Bool
    }

    /// nil when either sample is empty.
    public static func test(_ x: [Double], _ y: [Double]) -> Result? {
        let n1 = x.count, n2 = y.count
        guard n1 > 0, n2 > 0 else { return nil }
        let (ranks, tieSizes) = averageRanks(x + y)
        var r1 = 0.0
        for i in 0..<n1 { r1 += ranks[i] }
        let u1 = r1 - Double(n1 * (n1 + 1)) / 2
        let u2 = Double(n1 * n2) - u1
        let u = max(u1, u2)
        let hasTies = tieSizes.contains { $0 > 1 }
        let exact = !(n1 > 8 && n2 > 8) && !hasTies
        var p: Double
        if exact {
            p = 2 * exactSurvival(Int(u.rounded()), min(n1, n2), max(n1, n2))
        } else {
            let n = Double(n1 + n2)
            let tieTerm = tieSizes.reduce(0.0) { $0 + Double($1) * Double($1) * Double($1) - Double($1) }
            let sigma = (Double(n1 * n2) / 12 * ((n + 1) - tieTerm / (n * (n - 1)))).squareRoot()
            let numerator = u - Double(n1 * n2) / 2 - 0.5
            // All values tied: σ = 0, z = −∞, P(Z ≥ z) = 1 (as scipy).
            let z = sigma > 0 ? numerator / sigma : (numerator < 0 ? -Double.infinity : Double.infinity)
            p = 2 * normalSurvival(z)
        }
        p = min(max(p, 0), 1)
        return Result(u: u1, pValue: p, exact: exact)
    }

    /// 1-based average ranks of `values` (ties share the mean of their ranks) and the size of
    /// each group of equal values.
    static func averageRanks(_ values: [Double]) -> (ranks: [Double], tieSizes: [Int]) {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var ties: [Int] = []
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
            let avg = Double(i + j + 2) / 2     // ranks i+1 ... j+1
            for k in i...j { ranks[order[k]] = avg }
            ties.append(j - i + 1)
            i = j + 1
        }
        return (ranks, ties)
    }

    /// P(U ≥ k) for U of samples of sizes m ≤ n under the null hypothesis (no ties).
    static func exactSurvival(_ k: Int, _ m: Int, _ n: Int) -> Double {
        guard k > 0 else { return 1 }
        guard k <= m * n else { return 0 }
        let pmf = exactDistribution(m, n)
        // Sum the smaller tail (the distribution is symmetric about mn/2): small p-values keep
        // their relative accuracy instead of being 1 minus something close to 1.
        var s = 0.0
        if k > m * n - k {
            for u in k...(m * n) { s += pmf[u] }
            return s
        }
        for u in 0..<k { s += pmf[u] }
        return 1 - s
    }

    /// pmf[u] = P(U = u), u in 0...m·n, for samples of sizes m and n (m the smaller).
    ///
    /// The number of arrangements with U = u is the coefficient of q^u in the Gaussian binomial
    /// [m+n choose m]_q = Π_{i=1..m} (1 − q^(n+i)) / (1 − q^i). Built factor by factor in
    /// O(m · m·n) (a few hundred thousand steps even against thousands of observations), then
    /// normalised by the sum of the coefficients, C(m+n, m).
    static func exactDistribution(_ m: Int, _ n: Int) -> [Double] {
        let top = m * n + m
        var c = [Double](repeating: 0, count: top + 1)
        c[0] = 1
        for i in stride(from: 1, through: m, by: 1) {
            let d = n + i
            if d <= top { for k in stride(from: top, through: d, by: -1) { c[k] -= c[k - d] } }  // × (1 − q^(n+i))
            for k in stride(from: i, through: top, by: 1) { c[k] += c[k - i] }                  // ÷ (1 − q^i)
        }
        var pmf = Array(c[0...(m * n)])
        for u in pmf.indices where pmf[u] < 0 { pmf[u] = 0 }   // rounding residue of the exact division
        let total = pmf.reduce(0, +)
        for u in pmf.indices { pmf[u] /= total }
        return pmf
    }

    /// P(Z ≥ z) for a standard normal Z.
    static func normalSurvival(_ z: Double) -> Double {
        0.5 * erfc(z / 2.0.squareRoot())
    }
}
