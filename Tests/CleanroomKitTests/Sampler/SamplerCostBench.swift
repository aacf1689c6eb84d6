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
            // Through the real Sandbox.run path, on every layout the host offers: on hybrid the
            // cgroup files only (blkio initialised by the sandbox), else the /proc tree walk too.
            for layout in Layout.available {
                let observer = KeepingObserver(interval: interval)
                let req = SandboxTest.request(tree, settings: SandboxSettings(network: .host), timeout: 60)
                let record = try Sandbox.run(req, observer: observer, host: layout.host)
                let r = try XCTUnwrap(observer.result)
                row(layout.name, layout.mode == .none ? "101 × /proc/PID/{stat,io,status,task/*/children}"
                        : "the run's cgroup files (+ /proc where a controller is missing)",
                    interval, r, wall: record.metrics[Metric.wallTime.rawValue] ?? 1)
            }
        }
    }

    private func row(_ layout: String, _ what: String, _ interval: Double, _ r: SamplerResult, wall: Double) {
        let n = max(r.sampleCount, 1)
        let perSample = r.samplerCPUTime / Double(n) * 1e6
        let pct = r.samplerCPUTime / wall * 100
        let perWalk = r.memoryWalks > 0 ? r.memoryWalkCPUTime / Double(r.memoryWalks) * 1e6 : 0
        print(String(format: "| %@ | %@ | %.0f ms | %d | %.0f µs | %.2f %% | %d | %.0f µs |",
                     layout, what, interval * 1000, r.sampleCount, perSample, pct, r.memoryWalks, perWalk))
        // When one sample costs more than the interval, ticks are skipped (by design): visible in
        // the samples column, not a failure.
        XCTAssertGreaterThan(r.sampleCount, 0)
    }
}

/// The Sampler plugged into a real run, keeping its whole result (the sampler's own CPU cost).
final class KeepingObserver: RunObserver {
    let interval: Double
    var sampler: Sampler?
    var result: SamplerResult?
    init(interval: Double) { self.interval = interval }
    func started(_ run: RunStart) {
        let s = Sampler(paths: run.paths, interval: interval, network: .host)
        s.start(rootPID: run.rootPID, origin: UInt64(run.at * 1e9), rootIsInit: run.rootIsInit)
        sampler = s
    }
    func finished() -> RunObservation {
        guard let s = sampler else { return RunObservation() }
        let r = s.stop()
        result = r
        return RunObservation(figures: r.figures, samples: r.samples)
    }
}
