import Foundation
@testable import CleanroomKit

/// Reports with known figures for the history tests. Report `k` (1-based) has, for workload
/// `build`, one warmup run (wall_time 1000 + k, to prove warmups stay out of statistics) and
/// three measured runs with wall_time k + 0.1, k + 0.2, k + 0.4 and memory_peak k × 1 MiB.
enum HistoryFixtures {
    static func wallTimes(_ k: Int) -> [Double] { [Double(k) + 0.1, Double(k) + 0.2, Double(k) + 0.4] }

    static func report(_ k: Int, branch: String?, verdict: Verdict = .pass, custom: [Double]? = nil,
                       workload: String = "build", extraLabels: [String: String] = [:]) -> Report {
        var runs = [RunRecord(index: 1, warmup: true, outcome: .ok, exitCode: 0, metrics: ["wall_time": 1000 + Double(k)])]
        for (i, t) in wallTimes(k).enumerated() {
            var r = RunRecord(index: i + 2, outcome: .ok, exitCode: 0,
                              metrics: ["wall_time": t, "memory_peak": Double(k) * 1_048_576])
            r.services = ["api": ServiceRecord(metrics: ["memory_peak": Double(k) * 1000])]
            if let custom { r.custom = ["latency": CustomSeries(unit: "s", values: custom.map { $0 + Double(i) })] }
            runs.append(r)
        }
        var labels = extraLabels
        if let branch { labels["branch"] = branch }
        labels["commit"] = "c\(k)"
        // One report per minute, k minutes after a fixed start.
        let start = Date(timeIntervalSince1970: 1_800_000_000 + Double(k) * 60)
        return Report(verdict: verdict, startedAt: Timestamps.iso8601(start), finishedAt: Timestamps.iso8601(start + 30),
                      host: HostInfo(kernel: "6.1-test", cpus: 2, cgroup: "v2"),
                      workloads: [WorkloadReport(name: workload, command: ["make"], runs: runs)],
                      labels: labels)
    }

    static func tempDir() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("cleanroom-history-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    /// numpy `percentile(xs, p)` (linear), written out independently of `Statistics`.
    static func numpyPercentile(_ xs: [Double], _ p: Double) -> Double {
        let s = xs.sorted()
        let h = Double(s.count - 1) * p / 100
        let lo = Int(h.rounded(.down)), hi = min(lo + 1, s.count - 1)
        return s[lo] + (s[hi] - s[lo]) * (h - Double(lo))
    }
}
