import XCTest
@testable import CleanroomKit

/// Our statistics against numpy/scipy figures written once by scripts/gen-stat-reference.py.
final class StatisticsReferenceTests: XCTestCase {
    struct Reference: Decodable {
        struct Dataset: Decodable {
            var name: String
            var values: [Double]
            var percentiles: [Double]
            var mean: Double
            var stddev: Double?
            var median: Double
        }
        struct MWU: Decodable {
            var name: String
            var x: [Double]
            var y: [Double]
            var u: Double
            var p: Double
            var exact: Bool
        }
        var percentiles: [Double]
        var datasets: [Dataset]
        var mannwhitneyu: [MWU]
    }

    static func load() throws -> Reference {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("reference/stat-reference.json")
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    func assertRelative(_ a: Double, _ b: Double, _ tol: Double, _ what: String,
                        file: StaticString = #filePath, line: UInt = #line) {
        let scale = max(abs(a), abs(b))
        XCTAssertLessThanOrEqual(abs(a - b), scale == 0 ? 0 : tol * scale, "\(what): \(a) vs reference \(b)",
                                 file: file, line: line)
    }

    func testPercentilesMatchNumpyLinear() throws {
        let ref = try Self.load()
        XCTAssertGreaterThanOrEqual(ref.datasets.count, 8)
        for d in ref.datasets {
            for (p, expected) in zip(ref.percentiles, d.percentiles) {
                assertRelative(Statistics.percentile(d.values, p), expected, 1e-9, "\(d.name) p\(p)")
                assertRelative(Statistics.aggregate(.percentile(p), d.values)!, expected, 1e-9, "\(d.name) agg p\(p)")
            }
            assertRelative(Statistics.aggregate(.median, d.values)!, d.median, 1e-9, "\(d.name) median")
        }
    }

    func testMeanAndSampleStddevMatchNumpy() throws {
        let ref = try Self.load()
        for d in ref.datasets {
            assertRelative(Statistics.mean(d.values), d.mean, 1e-12, "\(d.name) mean")
            if let sd = d.stddev {
                assertRelative(Statistics.stddev(d.values)!, sd, 1e-9, "\(d.name) stddev")
            } else {
                XCTAssertNil(Statistics.stddev(d.values), d.name)
                XCTAssertNil(Statistics.aggregate(.stddev, d.values), d.name)
            }
        }
    }

    func testStatsStructAgreesWithReference() throws {
        let ref = try Self.load()
        let p = ref.percentiles
        for d in ref.datasets {
            let s = try XCTUnwrap(Statistics.stats(d.values, unit: "s"))
            XCTAssertEqual(s.n, d.values.count)
            XCTAssertEqual(s.min, d.values.min())
            XCTAssertEqual(s.max, d.values.max())
            assertRelative(s.median, d.median, 1e-9, "\(d.name) median")
            assertRelative(s.p90, d.percentiles[p.firstIndex(of: 90)!], 1e-9, "\(d.name) p90")
            assertRelative(s.p95, d.percentiles[p.firstIndex(of: 95)!], 1e-9, "\(d.name) p95")
            assertRelative(s.p99, d.percentiles[p.firstIndex(of: 99)!], 1e-9, "\(d.name) p99")
            assertRelative(s.stddev, d.stddev ?? 0, 1e-9, "\(d.name) stddev")
        }
        XCTAssertNil(Statistics.stats([], unit: "s"))
    }

    func testMannWhitneyMatchesScipy() throws {
        let ref = try Self.load()
        XCTAssertTrue(ref.mannwhitneyu.contains { $0.exact })
        XCTAssertTrue(ref.mannwhitneyu.contains { !$0.exact })
        for c in ref.mannwhitneyu {
            let r = try XCTUnwrap(MannWhitney.test(c.x, c.y), c.name)
            XCTAssertEqual(r.u, c.u, accuracy: 1e-9, "\(c.name) U")
            XCTAssertEqual(r.exact, c.exact, "\(c.name) method")
            assertRelative(r.pValue, c.p, 1e-6, "\(c.name) p")
        }
    }
}
