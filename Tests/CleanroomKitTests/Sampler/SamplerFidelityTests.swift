import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import CleanroomKit

/// Issue 15 against the real kernel: the memory figures people read (rss_peak, anon_peak,
/// max_rss) beside the cgroup's charge, and the sampler's cadence on a host whose cores are busy.
final class SamplerFidelityTests: XCTestCase {
    private let MiB = 1_048_576.0

    /// A 50 MiB file already in the page cache (charged to this test process's cgroup, which
    /// wrote it) mapped and read by the fixture, plus 30 MiB of anonymous memory it touches.
    /// While the fixture holds, the test reads the kernel's own figures; the sampler's must match:
    /// - rss_peak = the fixture's Pss (file pages included: they are resident in its mapping);
    /// - anon_peak = the cgroup's memory.stat total_rss (the 30 MiB);
    /// - memory_peak = the cgroup's max_usage_in_bytes: the 30 MiB but NOT the file, whose pages
    ///   were charged to the cgroup that first read them.
    func testMappedCachedFileAndAnonMemoryMatchTheKernel() throws {
        let g = try TestCgroup()
        defer { g.destroy() }
        let dir = TestFixtures.workRoot + "/memory-truth-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/50mib", ready = dir + "/ready", go = dir + "/go"
        var bytes = [UInt8](repeating: 0, count: 50 << 20)
        for i in stride(from: 0, to: bytes.count, by: 4096) { bytes[i] = UInt8(truncatingIfNeeded: i >> 12) | 1 }
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        _ = try Data(contentsOf: URL(fileURLWithPath: file))   // in the page cache, charged here

        let sampler = Sampler(paths: g.paths, interval: 0.05, network: .host)
        let joins = g.dirs.map { "echo $$ > '\($0)/cgroup.procs'" }.joined(separator: " && ")
        let out = dir + "/out"
        let argv = ["/bin/sh", "-c", joins + " && exec \"$@\"", "sh", try TestFixtures.binary("map_file_anon"), file, "30", ready, go]
        let t0 = Clock.monotonicNanos()
        let pid = try Launcher.spawn(argv, env: ProcessInfo.processInfo.environment, stdout: out)
        sampler.start(rootPID: pid, origin: t0)
        var waited = 0
        while access(ready, F_OK) != 0 && waited < 30_000 { usleep(10_000); waited += 10 }
        XCTAssertEqual(access(ready, F_OK), 0, "fixture never got ready")
        usleep(300_000)   // a few samples and at least one smaps walk while holding
        let kernelPss = try XCTUnwrap(KernelFile.read("/proc/\(pid)/smaps_rollup", KernelText.smapsPss)) * 1024
        let kernelHWM = try XCTUnwrap(KernelFile.read("/proc/\(pid)/status", { KernelText.keyed($0, "VmHWM") })) * 1024
        let kernelAnon = try XCTUnwrap(KernelFile.read(g.paths.v1["memory"]! + "/memory.stat", { KernelText.keyed($0, "total_rss") }))
        FileManager.default.createFile(atPath: go, contents: nil)
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 { guard errno == EINTR else { break } }
        let kernelPeak = try XCTUnwrap(KernelFile.read(g.paths.v1["memory"]! + "/memory.max_usage_in_bytes", KernelText.single))
        var result = sampler.stop()
        var status: Int32 = 0
        var ru = rusage()
        _ = wait4(pid, &status, 0, &ru)
        result.complete(wallTime: Double(Clock.monotonicNanos() - t0) / 1e9, rusage: ru)
        let f = result.figures
        let describe = f.metrics.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            + " | kernel: pss=\(kernelPss) hwm=\(kernelHWM) anon=\(kernelAnon) peak=\(kernelPeak) | \(f.unmeasured)"

        let rss = try XCTUnwrap(f.metrics["rss_peak"], describe)
        let anon = try XCTUnwrap(f.metrics["anon_peak"], describe)
        let peak = try XCTUnwrap(f.metrics["memory_peak"], describe)
        let maxRSS = try XCTUnwrap(f.metrics["max_rss"], describe)
        // Equal to the kernel's figure read during the hold (the peak may include a page or two
        // more, touched by the shell before exec or by printf at exit).
        XCTAssertEqual(rss, Double(kernelPss), accuracy: 0.5 * MiB, describe)
        XCTAssertEqual(anon, Double(kernelAnon), accuracy: 0.5 * MiB, describe)
        XCTAssertEqual(peak, Double(kernelPeak), describe)
        XCTAssertEqual(maxRSS, Double(kernelHWM), accuracy: 0.5 * MiB, describe)
        // What they mean: the file is in rss_peak and max_rss, not in the cgroup's charge.
        XCTAssertGreaterThanOrEqual(rss, 80 * MiB, describe)
        XCTAssertGreaterThanOrEqual(anon, 30 * MiB, describe)
        XCTAssertLessThan(anon, 32 * MiB, describe)
        XCTAssertGreaterThanOrEqual(peak, 30 * MiB, describe)
        XCTAssertLessThan(peak, 50 * MiB, "the cached file must not be charged to the run: \(describe)")
        XCTAssertEqual(f.sources["anon_peak"]?.hasPrefix("peak of"), true)
        XCTAssertTrue(f.sources["rss_peak"]!.contains("smaps_rollup"), f.sources["rss_peak"]!)
        print(String(format: "memory truth: rss_peak=%.1f MiB (kernel Pss %.1f) anon_peak=%.1f MiB (total_rss %.1f) "
                     + "memory_peak=%.1f MiB (max_usage %.1f) max_rss=%.1f MiB (VmHWM %.1f); %d walks, %.0f µs each",
                     rss / MiB, Double(kernelPss) / MiB, anon / MiB, Double(kernelAnon) / MiB, peak / MiB,
                     Double(kernelPeak) / MiB, maxRSS / MiB, Double(kernelHWM) / MiB, result.memoryWalks,
                     result.memoryWalkCPUTime / Double(max(1, result.memoryWalks)) * 1e6))
    }

    /// Both cores busy with spinning processes outside the run: the sampler keeps its schedule,
    /// every tick is either a sample or counted as missed, and a stall of the thread (forced
    /// here, as a host freeze would) shows up as missed intervals, not as a silent gap.
    func testCadenceUnderACPUHogCountsMissedIntervals() throws {
        let g = try TestCgroup()
        defer { g.destroy() }
        let hog = try Launcher.spawn([try TestFixtures.binary("spin"), "2", "4000", "wall"],
                                     env: [:], stdout: "/dev/null")
        defer { kill(hog, SIGKILL); var st: Int32 = 0; waitpid(hog, &st, 0) }
        let interval = 0.02

        func measure(tuned: Bool, stallAt: Int?) throws -> (Samples, Double) {
            let sampler = Sampler(paths: g.paths, interval: interval, network: .host)
            sampler.tuneThread = tuned
            if let k = stallAt { sampler.onSample = { n in if n == k { usleep(UInt32(interval * 3.5 * 1e6)) } } }
            let argv = ["/bin/sh", "-c", g.dirs.map { "echo $$ > '\($0)/cgroup.procs'" }.joined(separator: " && ")
                        + " && exec \"$@\"", "sh", try TestFixtures.binary("spin"), "1", "1000", "wall"]
            let t0 = Clock.monotonicNanos()
            let pid = try Launcher.spawn(argv, env: [:], stdout: "/dev/null")
            sampler.start(rootPID: pid, origin: t0)
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 { guard errno == EINTR else { break } }
            let r = sampler.stop()
            var st: Int32 = 0
            _ = waitpid(pid, &st, 0)
            let f = r.figures
            return (r.samples, f.metrics["memory_avg"] ?? -1)
        }

        for (tuned, stall) in [(true, nil), (false, nil), (true, 10)] as [(Bool, Int?)] {
            let (s, _) = try measure(tuned: tuned, stallAt: stall)
            let missed = try XCTUnwrap(s.missedIntervals)
            XCTAssertEqual(s.interval, interval)
            let t = s.t
            XCTAssertGreaterThan(t.count, 10)
            // Every tick of the schedule is a sample or a missed interval: their sum is the
            // number of ticks up to the last sample (± the first tick's offset from exec).
            let ticks = (t.last! - t.first!) / interval + 1
            XCTAssertEqual(Double(t.count + missed), ticks, accuracy: 1.5, "samples \(t.count) + missed \(missed) vs \(ticks) ticks")
            let gaps = zip(t.dropFirst(), t).map { $0 - $1 }.sorted()
            let p99 = gaps[min(gaps.count - 1, Int(Double(gaps.count) * 0.99))]
            if stall != nil {
                XCTAssertGreaterThanOrEqual(missed, 3, "a 3.5-interval stall misses at least 3 ticks")
                XCTAssertGreaterThan(gaps.last!, 3 * interval)
            }
            print(String(format: "cadence under 2 hogs (%@%@): %d samples, %d missed, gap p50 %.1f ms p99 %.1f ms max %.1f ms",
                         tuned ? "nice -10, slack 1 µs" : "untuned", stall != nil ? ", forced stall" : "",
                         t.count, missed, gaps[gaps.count / 2] * 1000, p99 * 1000, gaps.last! * 1000))
        }
    }
}
