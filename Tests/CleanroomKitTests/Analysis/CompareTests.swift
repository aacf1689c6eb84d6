import XCTest
@testable import CleanroomKit

final class CompareTests: XCTestCase {
    func report(_ workloads: [WorkloadReport]) -> Report {
        Report(verdict: .pass, startedAt: "2026-11-22T10:00:00Z", finishedAt: "2026-11-22T10:01:00Z",
               host: HostInfo(kernel: "test", cpus: 2, cgroup: "v2"), workloads: workloads)
    }

    func workload(_ name: String, walls: [Double], memory: [Double], latency: [[Double]] = []) -> WorkloadReport {
        var w = AT.workload(name, walls: walls)
        for i in w.runs.indices {
            w.runs[i].metrics["memory_peak"] = memory[i]
            if i < latency.count { w.runs[i].custom["latency"] = CustomSeries(unit: "s", values: latency[i]) }
        }
        return w
    }

    func testClearSlowdownIsNamedAndNoiseIsNot() throws {
        let baseWalls = [1.00, 1.02, 0.98, 1.01, 0.99, 1.03]
        let headWalls = baseWalls.map { $0 * 1.2 }
        let mem = [100e6, 101e6, 99e6, 100.5e6, 99.5e6, 100.2e6]
        let base = report([workload("build", walls: baseWalls, memory: mem), workload("gone", walls: [1], memory: [1])])
        let head = report([workload("build", walls: headWalls, memory: mem.reversed()), workload("new", walls: [1], memory: [1])])
        let r = Compare.compare(base: base, head: head)
        XCTAssertEqual(r.onlyInBase, ["gone"])
        XCTAssertEqual(r.onlyInHead, ["new"])
        XCTAssertEqual(r.changes.map(\.metric), ["memory_peak", "wall_time"])

        let wall = try XCTUnwrap(r.changes.first { $0.metric == "wall_time" })
        XCTAssertEqual(wall.baseMedian, Statistics.percentile(baseWalls, 50))
        XCTAssertEqual(try XCTUnwrap(wall.changePercent), 20, accuracy: 1e-9)
        let ci = try XCTUnwrap(wall.ci)
        XCTAssertGreaterThan(ci[0], 0)
        XCTAssertLessThanOrEqual(ci[0], 20); XCTAssertGreaterThanOrEqual(ci[1], 20)
        XCTAssertEqual(wall.pValue, MannWhitney.test(baseWalls, headWalls)!.pValue)
        XCTAssertEqual(wall.pMethod, "exact")
        XCTAssertLessThan(wall.pValue, 0.05)
        XCTAssertEqual(wall.result, "slower")

        let memory = try XCTUnwrap(r.changes.first { $0.metric == "memory_peak" })
        XCTAssertEqual(try XCTUnwrap(memory.changePercent), 0, accuracy: 1e-12)
        XCTAssertEqual(memory.pValue, 1, accuracy: 1e-12)
        XCTAssertEqual(memory.result, "no change")
        XCTAssertEqual(memory.unit, "B")

        let back = Compare.compare(base: head, head: base)
        XCTAssertEqual(back.changes.first { $0.metric == "wall_time" }?.result, "faster")
    }

    func testNonTimeMetricsAreLargerOrSmaller() {
        let c = Compare.change(workload: "w", metric: .builtin(.memoryPeak), unit: "B",
                               base: [10, 11, 12, 10.5, 11.5], head: [20, 21, 22, 20.5, 21.5])
        XCTAssertEqual(c?.result, "larger")
        let d = Compare.change(workload: "w", metric: .custom("rps"), unit: "",
                               base: [20, 21, 22, 20.5, 21.5], head: [10, 11, 12, 10.5, 11.5])
        XCTAssertEqual(d?.result, "smaller")
    }

    /// Three runs a side can never reach p < 0.05 (the exact minimum is 0.1), but +83 % is
    /// slower by the gate's interval: compare says so, and that the rank test disagrees.
    func testThreeRunsASideSlowerByTheGatesMethod() throws {
        let c = try XCTUnwrap(Compare.change(workload: "w", metric: .builtin(.wallTime), unit: "s",
                                             base: [1, 1.1, 1.2], head: [2, 2.1, 2.2]))
        XCTAssertEqual(c.pValue, 0.1, accuracy: 1e-12)
        XCTAssertEqual(c.result, "slower")
        XCTAssertFalse(c.rankTestAgrees)
        XCTAssertTrue(c.note?.contains("rank test disagrees") ?? false, c.note ?? "")

        let one = try XCTUnwrap(Compare.change(workload: "w", metric: .builtin(.wallTime), unit: "s", base: [1], head: [2]))
        XCTAssertNil(one.ci)
        XCTAssertEqual(one.result, "inconclusive")
        XCTAssertNotNil(one.note)
    }

    func testCustomMetricsCompareOverObservations() throws {
        let base = report([workload("api", walls: [1, 1], memory: [1, 1],
                                    latency: [(0..<40).map { 0.010 + Double($0) * 1e-4 }, (0..<40).map { 0.011 + Double($0) * 1e-4 }])])
        let head = report([workload("api", walls: [1, 1], memory: [1, 1],
                                    latency: [(0..<40).map { 0.008 + Double($0) * 1e-4 }, (0..<40).map { 0.009 + Double($0) * 1e-4 }])])
        let c = try XCTUnwrap(Compare.compare(base: base, head: head).changes.first { $0.metric == "custom.latency" })
        XCTAssertEqual(c.baseN, 80)
        XCTAssertEqual(c.pMethod, "normal")
        XCTAssertEqual(c.unit, "s")
        XCTAssertEqual(c.result, "faster")
    }

    func testRenderingsCarryTheFigures() throws {
        let base = report([workload("build", walls: [1.0, 1.02, 0.98, 1.01, 0.99], memory: [1, 1, 1, 1, 1])])
        let head = report([workload("build", walls: [1.2, 1.22, 1.18, 1.21, 1.19], memory: [1, 1, 1, 1, 1])])
        let r = Compare.compare(base: base, head: head)
        let table = CompareRender.render(r, as: .table)
        XCTAssertTrue(table.contains("wall_time"), table)
        XCTAssertTrue(table.contains("+20.0%"), table)
        XCTAssertTrue(table.contains("slower"), table)
        XCTAssertTrue(table.contains("1.2 s (n=5)"), table)
        let md = CompareRender.render(r, as: .markdown)
        XCTAssertTrue(md.contains("| `build` | `wall_time` |"), md)
        XCTAssertTrue(md.contains("**slower**"), md)
        let json = CompareRender.render(r, as: .json)
        let decoded = try JSONDecoder().decode(ComparisonReport.self, from: Data(json.utf8))
        XCTAssertEqual(decoded, r)
        XCTAssertTrue(json.contains("\"change_percent\""))
        XCTAssertEqual(CompareRender.value(0.0123, "s"), "12.3 ms")
        XCTAssertEqual(CompareRender.value(3 * 1_048_576, "B"), "3 MiB")
    }
}
