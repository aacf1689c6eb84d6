import Foundation
@testable import CleanroomKit

/// Builders for runs and objectives in the Analysis tests.
enum AT {
    static func run(_ index: Int, wall: Double?, warmup: Bool = false, outcome: Outcome = .ok,
                    extra: [String: Double] = [:]) -> RunRecord {
        var m = extra
        if let wall { m["wall_time"] = wall }
        var r = RunRecord(index: index, warmup: warmup, outcome: outcome, exitCode: 0, metrics: m)
        if wall == nil { r.unmeasured["wall_time"] = "clock unavailable in test" }
        return r
    }

    static func workload(_ name: String = "w", walls: [Double]) -> WorkloadReport {
        WorkloadReport(name: name, command: ["true"],
                       runs: walls.enumerated().map { run($0.offset + 1, wall: $0.element) })
    }

    static func slo(_ agg: Aggregate, _ cmp: Comparison, _ threshold: Threshold,
                    metric: MetricRef = .builtin(.wallTime), level: Level = .error, noise: Bool = true,
                    workload: String = "w", name: String = "O") -> SLOPlan {
        let text = "\(agg)(\(metric.key)) \(cmp.rawValue) \(threshold)"
        return SLOPlan(name: name, workload: workload,
                       objective: Objective(aggregate: agg, metric: metric, comparison: cmp, threshold: threshold, text: text),
                       level: level, noise: noise)
    }

    /// n evenly spaced values from a to b inclusive, in a scrambled (but fixed) order.
    static func spaced(_ a: Double, _ b: Double, _ n: Int) -> [Double] {
        let xs = (0..<n).map { a + (b - a) * Double($0) / Double(n - 1) }
        return xs.enumerated().sorted { ($0.offset * 7919) % n < ($1.offset * 7919) % n }.map(\.element)
    }
}
