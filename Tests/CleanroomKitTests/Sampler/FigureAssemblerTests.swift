import XCTest
@testable import CleanroomKit

/// The precedence rules of `FigureAssembler`, one test each: the source named with every figure.
final class FigureAssemblerTests: XCTestCase {
    func figures(_ m: Metric, _ v: Double, _ source: String) -> Figures {
        var f = Figures(); f.set(m, v, source: source); return f
    }
    func rusage(cpu: Double) -> Figures {
        var f = Figures()
        f.set(.cpuTime, cpu, source: "rusage"); f.set(.cpuUser, cpu, source: "rusage"); f.set(.cpuSystem, 0, source: "rusage")
        return f
    }

    func testCgroupFigureBeatsRusageWhicheverIsOfferedFirst() {
        for cgroupFirst in [true, false] {
            var a = FigureAssembler()
            if cgroupFirst { a.offer(figures(.cpuTime, 2.0, "cgroup v1 cpuacct.usage"), from: .cgroup) }
            a.offer(rusage(cpu: 1.9), from: .rusage)
            if !cgroupFirst { a.offer(figures(.cpuTime, 2.0, "cgroup v1 cpuacct.usage"), from: .cgroup) }
            let f = a.assemble()
            XCTAssertEqual(f.metrics["cpu_time"], 2.0)
            XCTAssertEqual(f.sources["cpu_time"], "cgroup v1 cpuacct.usage")
            XCTAssertEqual(f.sources["cpu_user"], "rusage", "what the cgroup lacks comes from the next source")
        }
    }

    /// The sandbox's own CPU comes out of cpu_time, cpu_user and cpu_system, and the two parts still
    /// add up to the whole when the run's (tick-counted) split and the init's (exact) one disagree.
    func testStartupCPUIsTakenOutAndUserPlusSystemStaysTheWhole() {
        var a = FigureAssembler()
        var cg = Figures()
        cg.set(.cpuTime, 0.021, source: "cgroup v1 cpuacct.usage")
        cg.set(.cpuUser, 0.001, source: "cgroup v1 cpuacct.usage split")
        cg.set(.cpuSystem, 0.020, source: "cgroup v1 cpuacct.usage split")
        a.offer(cg, from: .cgroup)
        let f = a.assemble(setupCPU: SetupCPU(user: 0.002, system: 0.003))
        let cpu = f.metrics["cpu_time"] ?? -1, user = f.metrics["cpu_user"] ?? -1, system = f.metrics["cpu_system"] ?? -1
        XCTAssertEqual(cpu, 0.016, accuracy: 1e-12)
        XCTAssertEqual(f.metrics["startup_cpu"] ?? -1, 0.005, accuracy: 1e-12)
        XCTAssertEqual(user + system, cpu, accuracy: 1e-12, "user \(user) + system \(system)")
        XCTAssertEqual(user, 0, "the user part could not give 2 ms it did not have")
        XCTAssertTrue(f.sources["cpu_time"]?.hasSuffix("less the sandbox's own part (startup_cpu)") ?? false)
    }

    func testRusageUsedWhereNoCgroupEvenBeforeTheProcTree() {
        var a = FigureAssembler()
        var none = Figures(); none.missing(.cpuTime, "no cgroup for the run")
        a.offer(none, from: .cgroup)
        a.offer(figures(.cpuTime, 0.9, "/proc ticks"), from: .procTree)
        a.offer(rusage(cpu: 1.0), from: .rusage)
        let f = a.assemble()
        XCTAssertEqual(f.metrics["cpu_time"], 1.0)
        XCTAssertEqual(f.sources["cpu_time"], "rusage", "for CPU, the root's rusage is exact; /proc ticks are not")
        XCTAssertNil(f.unmeasured["cpu_time"])
    }

    func testProcTreeUsedWhenNothingBetterHasIt() {
        var a = FigureAssembler()
        var none = Figures(); none.missing(.cpuTime, "no cgroup for the run")
        a.offer(none, from: .cgroup)
        a.offer(figures(.cpuTime, 0.9, "/proc ticks"), from: .procTree)
        XCTAssertEqual(a.assemble().sources["cpu_time"], "/proc ticks")
    }

    func testGeneralOrderCgroupNetnsProcTreeSamples() {
        var a = FigureAssembler()
        a.offer(figures(.memoryPeak, 100, "max of samples"), from: .samples)
        a.offer(figures(.memoryPeak, 90, "VmHWM"), from: .procTree)
        XCTAssertEqual(a.assemble().sources["memory_peak"], "VmHWM", "/proc tree beats samples")
        a.offer(figures(.memoryPeak, 200, "cgroup v2 memory.peak"), from: .cgroup)
        XCTAssertEqual(a.assemble().sources["memory_peak"], "cgroup v2 memory.peak", "cgroup beats /proc")
        XCTAssertEqual(FigureAssembler.precedence("net_rx_bytes"), [.cgroup, .netns, .procTree, .samples, .rusage, .clock, .host])
    }

    func testUnmeasuredKeepsTheBestSourcesReasonAndCpuPercentIsDerived() {
        var a = FigureAssembler()
        var c = Figures(); c.missing(.memoryPeak, "no memory controller")
        a.offer(c, from: .cgroup)
        var s = Figures(); s.missing(.memoryPeak, "too short")
        a.offer(s, from: .samples)
        a.offer(figures(.wallTime, 2, "clock"), from: .clock)
        a.offer(rusage(cpu: 1.0), from: .rusage)
        let f = a.assemble()
        XCTAssertEqual(f.unmeasured["memory_peak"], "no memory controller")
        XCTAssertEqual(f.metrics["cpu_percent"], 50)
        XCTAssertEqual(f.sources["cpu_percent"], "cpu_time / wall_time × 100")
        // Over a service's lifetime instead of the run's wall time.
        XCTAssertEqual(a.assemble(cpuPercentOver: (4, "its lifetime")).metrics["cpu_percent"], 25)
    }
}
