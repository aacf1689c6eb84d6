import Foundation
import XCTest
@testable import CleanroomKit

/// Pure pieces of issue 15: the sampler's schedule and time-weighted means, the contention
/// signal, memory parsers, custom-metric tags, chart gaps.
final class CadenceAndMeansTests: XCTestCase {
    func testLateWakeUpsCountTheTicksTheySkipped() {
        let ms: UInt64 = 1_000_000
        var c = Cadence(start: 0, step: 50 * ms)
        XCTAssertEqual(c.wait(from: 10 * ms), 40 * ms)
        c.woke(at: 50 * ms)            // on time
        XCTAssertEqual(c.missed, 0)
        c.woke(at: 101 * ms)           // 1 ms late: still tick 2
        XCTAssertEqual(c.missed, 0)
        XCTAssertEqual(c.next, 150 * ms, "absolute deadlines: lateness does not shift the schedule")
        c.woke(at: 370 * ms)           // ticks 150, 200, 250, 300, 350 due: serves one, misses 4
        XCTAssertEqual(c.missed, 4)
        XCTAssertEqual(c.next, 400 * ms)
        c.woke(at: 400 * ms)
        XCTAssertEqual(c.missed, 4)
    }

    func testTimeWeightedMeansOnASeriesWithGaps() throws {
        // 50 ms samples at 100 MiB, a 1 s gap, then samples at 300 MiB.
        let t = [0.05, 0.10, 0.15, 1.15, 1.20]
        let v = [100.0, 100, 100, 300, 300]
        let unweighted = v.reduce(0, +) / Double(v.count)
        let mean = try XCTUnwrap(TimeWeighted.gaugeMean(t: t, v: v))
        // Trapezoids: 0.1 s at 100, 1 s from 100 to 300 (mean 200), 0.05 s at 300 → 225/1.15.
        XCTAssertEqual(mean, (0.1 * 100 + 1.0 * 200 + 0.05 * 300) / 1.15, accuracy: 1e-9)
        XCTAssertEqual(unweighted, 180)
        XCTAssertNotEqual(mean, unweighted)
        XCTAssertEqual(TimeWeighted.gaugeMean(t: [0.3], v: [7]), 7)
        XCTAssertNil(TimeWeighted.gaugeMean(t: [], v: []))

        // CPU %: each sample is the mean over the interval since the previous one, so the
        // time-weighted mean is total CPU over total time: 0.15 s at 100 % + 1.05 s at 10 % → 25.5/1.2.
        let cpu = [100.0, 100, 100, 10, 10]
        let cpuMean = try XCTUnwrap(TimeWeighted.intervalMean(t: t, v: cpu, start: 0))
        XCTAssertEqual(cpuMean, (0.15 * 100 + 1.0 * 10 + 0.05 * 10) / 1.2, accuracy: 1e-9)
        XCTAssertEqual(cpuMean, 21.25, accuracy: 1e-9)
        XCTAssertEqual(cpu.reduce(0, +) / 5, 64, "the unweighted mean would say 64 %")
    }

    func testSamplerThreadTuningApplies() throws {
        guard getuid() == 0 else { throw XCTSkip("lowering a nice value needs root (CAP_SYS_NICE)") }
        // On a thread of its own: nice is per thread and children inherit the forking thread's.
        let notApplied = ThreadBox<[String]>(), slack = ThreadBox<String>()
        let done = DispatchSemaphore(value: 0)
        let t = Thread {
            notApplied.value = SamplerThreadTuning.applyToCurrentThread()
            slack.value = SamplerThreadTuning.currentTID().flatMap { try? String(contentsOfFile: "/proc/\($0)/timerslack_ns", encoding: .utf8) }
            done.signal()
        }
        t.start()
        done.wait()
        XCTAssertEqual(notApplied.value, [])
        XCTAssertEqual(slack.value?.trimmingCharacters(in: .whitespacesAndNewlines), "\(SamplerThreadTuning.timerSlackNanos)")
    }

    func testThreadIDIsTheKernelsOwn() throws {
        let tid = try XCTUnwrap(SamplerThreadTuning.currentTID())
        XCTAssertTrue(FileManager.default.fileExists(atPath: "/proc/self/task/\(tid)"))
    }
}

final class ChartGapTests: XCTestCase {
    func testLinesBreakAtGapsOverTwoIntervals() {
        let t = [0.05, 0.10, 0.15, 0.25, 1.20, 1.25, 1.30]   // 0.25 is 2 intervals: joined; 0.95 s: a gap
        let v = [1.0, 2, 3, 4, 5, 6, 7]
        let d = HTMLChart.segmented(t: t, v: v, interval: 0.05, maxPoints: 1000)
        XCTAssertEqual(d.t, t)
        XCTAssertEqual(d.breaks, [4])
        let chart = HTMLChart(id: "c", title: "t", description: "d", xLabel: "x", yLabel: "y", dimension: .percent,
                              series: [.init(label: "run 1", t: d.t, v: d.v, emphasised: false, colour: 0, breaks: d.breaks)])
        let svg = chart.render()
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 2, svg)
        // Without a stated interval the median spacing stands in (reports written before it existed).
        XCTAssertEqual(HTMLChart.segmented(t: t, v: v, interval: nil, maxPoints: 1000).breaks, [4])
    }

    func testDownsamplingDoesNotInventGaps() {
        let t = (1...4000).map { Double($0) * 0.05 }
        let v = t.map { sin($0) }
        let d = HTMLChart.segmented(t: t, v: v, interval: 0.05, maxPoints: 200)
        XCTAssertTrue(d.breaks.isEmpty)
        XCTAssertLessThanOrEqual(d.t.count, 200)
    }
}

final class ContentionTests: XCTestCase {
    func testHostPressureAndStealParsers() {
        let psi = "some avg10=1.00 avg60=0.50 avg300=0.10 total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=789\n"
        let p = KernelText.withBytes(psi, KernelText.psiTotals)
        XCTAssertEqual(p?.some, 123456)
        XCTAssertEqual(p?.full, 789)
        XCTAssertEqual(KernelText.withBytes("some avg10=0.00 avg60=0.00 avg300=0.00 total=5\n", KernelText.psiTotals)?.full, nil)
        let stat = "cpu  1000 20 300 40000 50 0 6 77 0 0\ncpu0 500 10 150 20000 25 0 3 40 0 0\nintr 1\n"
        XCTAssertEqual(KernelText.withBytes(stat, KernelText.procStatSteal), 77)
        XCTAssertNil(KernelText.withBytes("cpu  1 2 3 4\n", KernelText.procStatSteal))
    }

    func testFiguresAreDeltasWithSources() {
        let a = HostContention(pressureSomeMicros: 1_000_000, pressureFullMicros: 0, stealTicks: 100)
        let b = HostContention(pressureSomeMicros: 1_400_000, pressureFullMicros: 0, stealTicks: 150)
        let f = HostContention.figures(from: a, to: b, ticksPerSecond: 100)
        XCTAssertEqual(f.metrics["host_cpu_pressure"]!, 0.4, accuracy: 1e-12)
        XCTAssertEqual(f.metrics["steal_time"]!, 0.5, accuracy: 1e-12)
        XCTAssertTrue(f.sources["host_cpu_pressure"]!.contains("/proc/pressure/cpu"))
        let none = HostContention.figures(from: HostContention(), to: HostContention())
        XCTAssertNotNil(none.unmeasured["host_cpu_pressure"])
        XCTAssertNotNil(none.unmeasured["steal_time"])
        // The real host: this kernel has PSI and /proc/stat steal.
        let live = HostContention.figures(from: HostContention.read(), to: HostContention.read())
        XCTAssertNotNil(live.metrics["steal_time"], "\(live.unmeasured)")
    }

    /// The host files are kept open across reads (HostContention.Kept): each read must still be
    /// the kernel's counters of that moment. Threads spinning on every CPU and one more for 0.3 s
    /// make tasks wait for a CPU, so /proc/pressure/cpu's `some` total must have grown between two
    /// reads, and by about what a read by path sees. (One thread more than there are CPUs.)
    func testKeptHostCountersAreReadFresh() throws {
        let before = HostContention.read()
        let a = try XCTUnwrap(before.pressureSomeMicros, "no PSI on this host")
        let stop = Monotonic.nowNS + 300_000_000
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        let threads = (0...cpus).map { _ in Thread { while Monotonic.nowNS < stop {} } }
        threads.forEach { $0.start() }
        while Monotonic.nowNS < stop + 20_000_000 { usleep(10_000) }
        let byPath = try XCTUnwrap(SysFS.read(HostContention.pressureFile, KernelText.psiTotals)?.some)
        let after = try XCTUnwrap(HostContention.read().pressureSomeMicros)
        XCTAssertGreaterThan(byPath, a, "\(cpus + 1) spinning threads on \(cpus) CPUs left no pressure")
        XCTAssertGreaterThanOrEqual(after, byPath, "a kept read returned older counters than a read by path before it")
    }

    func testThresholdSubtractsTheRunsOwnStalls() {
        // 1 s run; host pressure 0.3 s of which 0.25 s the run's own: 5 % from others, not flagged.
        XCTAssertNil(Contention.reason(metrics: ["wall_time": 1, "host_cpu_pressure": 0.3, "cpu_pressure": 0.25]))
        let r = Contention.reason(metrics: ["wall_time": 1, "host_cpu_pressure": 0.3, "cpu_pressure": 0.05])
        XCTAssertEqual(r, "host CPU pressure from other tasks 25 % of the run's wall time (threshold 10 %)")
        XCTAssertNotNil(Contention.reason(metrics: ["wall_time": 2, "steal_time": 0.2]))
        XCTAssertNil(Contention.reason(metrics: ["wall_time": 2, "steal_time": 0.05]))
        XCTAssertNil(Contention.reason(metrics: ["host_cpu_pressure": 5]), "no wall time: cannot tell")
    }

    func testStrictRefusesTimingObjectivesOnContendedRuns() throws {
        let calm = RunRecord(index: 1, metrics: ["wall_time": 1, "host_cpu_pressure": 0.01])
        let busy = RunRecord(index: 2, metrics: ["wall_time": 1, "host_cpu_pressure": 0.6])
        XCTAssertNil(calm.contention)
        XCTAssertNotNil(busy.contention)
        // report.json carries the flag; decoding re-derives it from the metrics.
        let json = String(decoding: try JSONEncoder().encode(busy), as: UTF8.self)
        XCTAssertTrue(json.contains("\"contention\""), json)
        XCTAssertEqual(try JSONDecoder().decode(RunRecord.self, from: Data(json.utf8)).contention, busy.contention)

        func result(_ unit: String) -> ObjectiveResult {
            ObjectiveResult(name: "Fast", workload: "w", objective: "max(wall_time) <= 2s", level: .error,
                            observed: 1, threshold: 2, unit: unit, status: .pass)
        }
        var strict = result("s")
        Contention.review(&strict, metric: .builtin(.wallTime), runs: [calm, busy], strict: true)
        XCTAssertEqual(strict.status, .inconclusive)
        XCTAssertTrue(strict.reason!.contains("1 of 2 runs measured under host contention"), strict.reason!)
        XCTAssertTrue(strict.reason!.contains("--strict"))

        var lax = result("s")
        Contention.review(&lax, metric: .builtin(.wallTime), runs: [calm, busy], strict: false)
        XCTAssertEqual(lax.status, .pass)
        XCTAssertNil(lax.reason)

        var memory = result("B")
        Contention.review(&memory, metric: .builtin(.memoryPeak), runs: [busy], strict: true)
        XCTAssertEqual(memory.status, .pass, "memory is not a timing objective")

        var latency = result("s")
        Contention.review(&latency, metric: .custom("latency{op=get}"), runs: [busy], strict: true)
        XCTAssertEqual(latency.status, .inconclusive, "a custom metric in seconds is timing")

        var calmOnly = result("s")
        Contention.review(&calmOnly, metric: .builtin(.cpuTime), runs: [calm], strict: true)
        XCTAssertEqual(calmOnly.status, .pass)
    }
}

final class MemoryParserTests: XCTestCase {
    func testSmapsRollupPss() {
        let text = """
        55d0c0a3e000-7ffc8b5f6000 ---p 00000000 00:00 0                          [rollup]
        Rss:               82044 kB
        Pss:               81530 kB
        Pss_Dirty:         30760 kB
        Pss_Anon:          30740 kB
        Pss_File:          50790 kB
        Pss_Shmem:             0 kB
        Shared_Clean:       1024 kB

        """
        XCTAssertEqual(KernelText.withBytes(text, KernelText.smapsPss), 81530)
        XCTAssertNil(KernelText.withBytes("Rss: 1 kB\nPss_Anon: 3 kB\n", KernelText.smapsPss))
    }

    func testAnonFromMemoryStat() {
        let v2 = "anon 31457280\nfile 52428800\nkernel 1\nanon_thp 0\nfile_mapped 52428800\n"
        XCTAssertEqual(KernelText.withBytes(v2, MemoryStat.anonV2), 31_457_280)
        XCTAssertNil(KernelText.withBytes("anon_thp 5\nfile 1\n", MemoryStat.anonV2))
        let v1 = "cache 100\nrss 4096\nrss_huge 0\nshmem 0\ntotal_cache 200\ntotal_rss 8192\ntotal_rss_huge 0\n"
        XCTAssertEqual(KernelText.withBytes(v1, { KernelText.keyed($0, "total_rss") }), 8192)
        XCTAssertEqual(KernelText.withBytes(v1, { KernelText.keyed($0, "rss") }), 4096)
    }
}

final class CustomTagsTests: XCTestCase {
    func testTagsSplitTheSeries() throws {
        let m = CustomMetrics.parse("""
        {"name": "op_latency", "value": 1, "unit": "ms", "tags": {"op": "set"}}
        {"name": "op_latency", "value": 2, "unit": "ms", "tags": {"op": "get"}}
        {"name": "op_latency", "value": 3, "unit": "ms", "tags": {"op": "set"}}
        {"name": "op_latency", "value": 4, "unit": "ms"}
        {"name": "op_latency", "value": 5, "unit": "ms", "tags": {"shard": "2", "op": "get"}}
        {"name": "op_latency", "value": 6, "unit": "ms", "tags": {}}
        """)
        XCTAssertNil(m.malformed, "\(String(describing: m.malformed))")
        XCTAssertEqual(m.series["op_latency{op=set}"]?.values, [0.001, 0.003])
        XCTAssertEqual(m.series["op_latency{op=get}"]?.values, [0.002])
        XCTAssertEqual(m.series["op_latency"]?.values, [0.004, 0.006])
        XCTAssertEqual(m.series["op_latency{op=get,shard=2}"]?.values, [0.005])
    }

    func testUnknownKeysAndBadTagsAreMalformed() throws {
        let m = CustomMetrics.parse("""
        {"name": "a", "value": 1, "host": "x"}
        {"name": "a", "value": 1, "labels": {"k": [1, 2]}}
        {"name": "a", "value": 1, "tags": {"op": 3}}
        {"name": "a", "value": 1, "tags": {"o,p": "x"}}
        {"name": "a", "value": 1, "tags": "op=set"}
        {"name": "a{op=set}", "value": 1}
        {"name": "a", "value": 2}
        """)
        XCTAssertEqual(m.series["a"]?.values, [2])
        XCTAssertEqual(m.series.count, 1)
        XCTAssertEqual(m.malformed?.count, 6)
        XCTAssertTrue(m.malformed!.examples[0].contains("unknown key \"host\""), m.malformed!.examples[0])
        XCTAssertTrue(m.malformed!.examples[1].contains("unknown key \"labels\""), m.malformed!.examples[1])
    }

    func testObjectivesSelectATagSet() throws {
        let o = try ObjectiveParser.parse("p99(custom.op_latency{shard=2, op=get}) < 10ms")
        XCTAssertEqual(o.metric, .custom("op_latency{op=get,shard=2}"))
        XCTAssertEqual(o.metric.key, "custom.op_latency{op=get,shard=2}")
        XCTAssertEqual(o.threshold, .absolute(0.01))
        XCTAssertEqual(MetricRef(key: "custom.x{op=set}"), .custom("x{op=set}"))
        XCTAssertNil(MetricRef(key: "custom.x{op}"))
        XCTAssertThrowsError(try ObjectiveParser.parse("p99(custom.x{op) < 1"))
    }
}

final class ServiceChartTests: XCTestCase {
    func testServiceTimeSeriesAreChartedBesideTheWorkloads() throws {
        let t = [0.05, 0.10, 0.15, 0.90, 0.95]
        let svc = ServiceRecord(metrics: ["memory_peak": 3e7], outcome: .error, detail: "was OOM-killed",
                                samples: Samples(t: t, cpuPercent: [10, 20, 30, 40, 50], memory: [1e7, 2e7, 3e7, 3e7, 3e7], interval: 0.05))
        let run = RunRecord(index: 1, outcome: .error, metrics: ["wall_time": 1], samples: Samples(t: t, cpuPercent: [1, 1, 1, 1, 1], memory: [1, 1, 1, 1, 1]),
                            services: ["api": svc])
        let report = Report(verdict: .fail, startedAt: "2026-12-02T20:00:00Z", finishedAt: "2026-12-02T20:00:01Z",
                            host: HostInfo(kernel: "6.18", cpus: 2, cgroup: "hybrid"),
                            workloads: [WorkloadReport(name: "load", command: ["wrk"], runs: [run])])
        let html = HTMLReport.render(report)
        XCTAssertTrue(html.contains("CPU of service api"))
        XCTAssertTrue(html.contains("Memory of service api"))
        XCTAssertTrue(html.contains("run 1 (service failed)"))
        XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, 4, "workload CPU + memory, service CPU + memory")
        // The 0.75 s gap breaks the service's lines too: 2 pieces in its CPU chart.
        let svcPart = html.components(separatedBy: "CPU of service api")[1]
        XCTAssertEqual(svcPart.components(separatedBy: "<polyline").count - 1, 2)
        // report.json carries them, and the schema accepts them.
        let json = String(decoding: try JSONEncoder().encode(svc), as: UTF8.self)
        XCTAssertTrue(json.contains("\"samples\""))
    }
}
