import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import CleanroomKit

/// cleanroom's own measuring cost: CPU of the sampler thread (CLOCK_THREAD_CPUTIME_ID) while a
/// 101-process tree runs for 3 s, as % of one core. Runs only with CLEANROOM_BENCH=1
/// (bench/sampler-cost); prints one table row per configuration.
final class SamplerCostBench: XCTestCase {
    func testSamplerCost() throws {
        guard ProcessInfo.processInfo.environment["CLEANROOM_BENCH"] == "1" else {
            throw XCTSkip("benchmark: set CLEANROOM_BENCH=1 (bench/sampler-cost)")
        }
        let tree = [try TestFixtures.binary("fork_alloc"), "100", "0", "3000"]
        print("| layout | what is read per sample | interval | samples | CPU per sample | sampler CPU (% of one core) | rss_peak/max_rss walks (smaps_rollup + status × 101) | CPU per walk |")
        print("|---|---|---|---|---|---|---|---|")
        for interval in [0.05, 0.005] {
            // Hybrid with blkio initialised: cgroup files only, no /proc walk.
            do {
                let g = try TestCgroup()
                defer { g.destroy() }
                BlkioInit.ensureCountingAllDevices(cgroupDir: g.paths.v1["blkio"]!)
                let r = try Launcher.measure(paths: g.paths, joining: g.dirs, argv: tree, interval: interval)
                row("hybrid (v1 + cgroup2)", "cpuacct.usage, memory.usage_in_bytes, memory.stat, pids.current", interval, r)
            }
            // Hybrid without a blkio rule: disk from /proc/PID/io over the 101 processes (cgroup.procs).
            do {
                let g = try TestCgroup()
                defer { g.destroy() }
                let r = try Launcher.measure(paths: g.paths, joining: g.dirs, argv: tree, interval: interval)
                row("hybrid, blkio not initialised", "+ cgroup.procs, 101 × /proc/PID/{stat,io}", interval, r)
            }
            // No cgroup: everything from the /proc tree walk.
            do {
                let r = try Launcher.measure(paths: CgroupPaths(mode: .none), joining: [], argv: tree, interval: interval)
                row("none", "101 × /proc/PID/{stat,io,status,task/*/children}", interval, r)
            }
        }
    }

    private func row(_ layout: String, _ what: String, _ interval: Double, _ r: MeasuredRun) {
        let n = max(r.result.sampleCount, 1)
        let perSample = r.result.samplerCPUTime / Double(n) * 1e6
        let pct = r.result.samplerCPUTime / r.wallTime * 100
        let walks = r.result.memoryWalks
        let perWalk = walks > 0 ? r.result.memoryWalkCPUTime / Double(walks) * 1e6 : 0
        print(String(format: "| %@ | %@ | %.0f ms | %d | %.0f µs | %.2f %% | %d | %.0f µs |",
                     layout, what, interval * 1000, r.result.sampleCount, perSample, pct, walks, perWalk))
        // When one sample costs more than the interval, ticks are skipped (by design): visible in
        // the samples column, not a failure.
        XCTAssertGreaterThan(r.result.sampleCount, 0)
    }
}
