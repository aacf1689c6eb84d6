import XCTest
@testable import CleanroomKit

final class BootstrapTests: XCTestCase {

    /// Standard normal draws from a seeded generator (Box–Muller), for ground-truth experiments.
    func normals(_ n: Int, seed: UInt64) -> [Double] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in
            let u1 = (Double(rng.next() >> 11) + 0.5) / 9007199254740992.0
            let u2 = Double(rng.next() >> 11) / 9007199254740992.0
            return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
        }
    }

    func testSameDataGivesTheSameIntervalWhateverTheOrder() throws {
        let xs = [1.21, 1.34, 1.18, 1.29, 1.25, 1.31]
        let a = try XCTUnwrap(Bootstrap.interval(.median, xs))
        let b = try XCTUnwrap(Bootstrap.interval(.median, xs))
        let c = try XCTUnwrap(Bootstrap.interval(.median, xs.reversed()))
        XCTAssertEqual(a, b)
        XCTAssertEqual(a, c)
        // Through the judge too: re-judging the same report gives the very same result.
        let w = AT.workload(walls: xs)
        let slo = AT.slo(.mean, .lessOrEqual, .absolute(1.27))
        XCTAssertEqual(Judge.evaluate(slo: slo, workload: w, baseline: nil),
                       Judge.evaluate(slo: slo, workload: w, baseline: nil))
        // A different quantity over the same numbers draws a different stream.
        XCTAssertNotEqual(SplitMix64.seed(sorted: xs.sorted(), salt: "a"), SplitMix64.seed(sorted: xs.sorted(), salt: "b"))
    }

    func testUndefinedIntervals() {
        XCTAssertNil(Bootstrap.interval(.median, [1.0]))
        XCTAssertNil(Bootstrap.interval(.mean, []))
        XCTAssertNil(Bootstrap.interval(.count, [1, 2, 3]))
        XCTAssertEqual(Bootstrap.interval(.median, [4, 4, 4]), 4...4, "no spread, no width")
    }

    /// The interval of a mean against the textbook one, mean ± 1.96·s/√n, on 400 normal draws.
    func testMeanIntervalWidthMatchesTheNormalTheory() throws {
        let xs = normals(400, seed: 7).map { 10 + 2 * $0 }
        let ci = try XCTUnwrap(Bootstrap.interval(.mean, xs))
        let m = Statistics.mean(xs), se = Statistics.stddev(xs)! / 20
        XCTAssertEqual(ci.lowerBound, m - 1.96 * se, accuracy: 0.15 * 1.96 * se)
        XCTAssertEqual(ci.upperBound, m + 1.96 * se, accuracy: 0.15 * 1.96 * se)
    }

    /// Coverage: over many samples of a known distribution, about 95 % of intervals hold the truth.
    func testMedianIntervalCoverageIsNearNominal() {
        var hits = 0
        let trials = 200
        for t in 0..<trials {
            let xs = normals(25, seed: UInt64(1000 + t))
            if let ci = Bootstrap.interval(.median, xs, resamples: 1000), ci.contains(0) { hits += 1 }
        }
        let coverage = Double(hits) / Double(trials)
        // The percentile bootstrap of a median runs a little under nominal at n = 25.
        XCTAssertGreaterThan(coverage, 0.88, "coverage \(coverage)")
        XCTAssertLessThan(coverage, 0.995, "coverage \(coverage)")
    }

    /// The counts-based resample statistic equals the statistic of the expanded resample.
    func testResampleStatisticEqualsDirectComputation() {
        let s = [0.5, 1.0, 2.0, 3.5, 4.0, 7.0].sorted()
        let counts: [Int32] = [0, 3, 0, 1, 2, 0]
        let expanded = [1.0, 1.0, 1.0, 3.5, 4.0, 4.0]
        for agg: Aggregate in [.median, .mean, .stddev, .min, .max, .percentile(90), .percentile(12.5)] {
            XCTAssertEqual(Bootstrap.statistic(agg, sorted: s, counts: counts), Statistics.aggregate(agg, expanded)!,
                           accuracy: 1e-12, "\(agg)")
        }
    }

    func testLargePooledSamplesStayFast() throws {
        let xs = normals(20_000, seed: 3).map { 0.002 + 0.0003 * $0 }
        let start = Date()
        let ci = try XCTUnwrap(Bootstrap.interval(.percentile(99), xs))
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertTrue(ci.contains(Statistics.percentile(xs, 99)))
        // Generous: a debug build on a shared 2-core machine. Release is ~20x faster.
        XCTAssertLessThan(elapsed, 30, "took \(elapsed) s")
        print("bootstrap p99 of 20000 observations, 2000 resamples: \(elapsed) s")
    }
}
