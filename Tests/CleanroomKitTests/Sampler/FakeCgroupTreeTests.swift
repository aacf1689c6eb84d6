import Foundation
import XCTest
@testable import CleanroomKit

/// The readers on a fake cgroupfs tree in a temp dir: pure v2 (what users' CI has), v1, and the
/// reasons given when a layout cannot supply a figure.
final class FakeCgroupTreeTests: XCTestCase {
    private var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "cleanroom-fakecg-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: root)
        super.tearDown()
    }

    private func put(_ dir: String, _ files: [String: String]) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: dir + "/" + name, atomically: false, encoding: .utf8) }
    }

    private func psi(_ total: Int) -> String {
        "some avg10=0.00 avg60=0.00 avg300=0.00 total=\(total)\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
    }

    private func v2Files(usage: Int, user: Int, sys: Int, throttled: Int, rbytes: Int, wbytes: Int,
                         peak: Int, oom: Int, psiCPU: Int) -> [String: String] {
        [
            "cgroup.procs": "",
            "cpu.stat": "usage_usec \(usage)\nuser_usec \(user)\nsystem_usec \(sys)\nnr_periods 10\nnr_throttled 3\nthrottled_usec \(throttled)\n",
            "memory.current": "1048576\n",
            "memory.peak": "\(peak)\n",
            "memory.events": "low 0\nhigh 0\nmax 4\noom 1\noom_kill \(oom)\noom_group_kill 0\n",
            "io.stat": rbytes + wbytes == 0 ? "" : "254:0 rbytes=\(rbytes) wbytes=\(wbytes) rios=1 wios=1 dbytes=0 dios=0\n",
            "pids.current": "3\n",
            "pids.peak": "17\n",
            "cpu.pressure": psi(psiCPU),
            "memory.pressure": psi(0),
            "io.pressure": psi(250_000),
        ]
    }

    func testPureV2EndMinusStart() throws {
        let dir = root + "/run"
        try put(dir, v2Files(usage: 1_000_000, user: 600_000, sys: 400_000, throttled: 5_000, rbytes: 0, wbytes: 0,
                             peak: 4096, oom: 0, psiCPU: 10_000))
        let paths = CgroupPaths(mode: .v2, unified: dir)
        let start = Snapshot.take(paths: paths)
        try put(dir, v2Files(usage: 3_500_000, user: 2_100_000, sys: 1_400_000, throttled: 255_000,
                             rbytes: 4096, wbytes: 67_108_864, peak: 209_715_200, oom: 1, psiCPU: 1_010_000))

        let f = FinalFigures.read(paths: paths, start: start)
        XCTAssertEqual(f.metrics["cpu_time"], 2.5)
        XCTAssertEqual(f.metrics["cpu_user"]!, 1.5, accuracy: 1e-9)
        XCTAssertEqual(f.metrics["cpu_system"]!, 1.0, accuracy: 1e-9)
        XCTAssertEqual(f.metrics["cpu_throttled_time"]!, 0.25, accuracy: 1e-9)
        XCTAssertEqual(f.metrics["memory_peak"], 209_715_200)
        XCTAssertEqual(f.metrics["disk_read_bytes"], 4096)
        XCTAssertEqual(f.metrics["disk_write_bytes"], 67_108_864)
        XCTAssertEqual(f.metrics["pids_peak"], 17)
        XCTAssertEqual(f.metrics["cpu_pressure"]!, 1.0, accuracy: 1e-9)
        XCTAssertEqual(f.metrics["memory_pressure"], 0)
        XCTAssertEqual(f.metrics["io_pressure"], 0, "unchanged total: no stall during the run")
        XCTAssertEqual(FinalFigures.oomKills(paths: paths, since: start), 1)
        XCTAssertEqual(f.sources["cpu_time"], "cgroup v2 cpu.stat usage_usec")
        XCTAssertEqual(f.sources["memory_peak"], "cgroup v2 memory.peak")
        XCTAssertEqual(f.sources["disk_write_bytes"], "cgroup v2 io.stat wbytes")
        XCTAssertEqual(f.sources["pids_peak"], "cgroup v2 pids.peak")
        XCTAssertEqual(f.sources["io_pressure"], "cgroup v2 io.pressure some total")
        XCTAssertTrue(f.unmeasured.isEmpty, "\(f.unmeasured)")

        let done = Self.withWallTime(f, 2.0)
        XCTAssertEqual(done.metrics["cpu_percent"], 125)
        XCTAssertEqual(done.metrics["wall_time"], 2.0)
    }

    func testV2WithoutControllersSaysWhy() throws {
        // A cgroup2 group with only the files that need no controller (like this host's unified tree).
        let dir = root + "/bare"
        try put(dir, ["cgroup.procs": "", "cpu.stat": "usage_usec 10\nuser_usec 6\nsystem_usec 4\n",
                      "cpu.pressure": psi(0), "memory.pressure": psi(0), "io.pressure": psi(0)])
        let paths = CgroupPaths(mode: .v2, unified: dir)
        let f = FinalFigures.read(start: Snapshot.take(paths: paths))
        XCTAssertEqual(f.metrics["cpu_time"], 0)
        XCTAssertNil(f.metrics["memory_peak"])
        XCTAssertEqual(f.unmeasured["memory_peak"], "the memory controller is not enabled for the run's cgroup")
        XCTAssertEqual(f.unmeasured["cpu_throttled_time"],
                       "the cpu controller is not enabled for the run's cgroup (no throttled_usec in cpu.stat)")
        XCTAssertEqual(f.unmeasured["disk_write_bytes"], "the io controller is not enabled for the run's cgroup")
        XCTAssertNotNil(f.unmeasured["pids_peak"])
        for key in f.unmeasured.keys { XCTAssertNil(f.metrics[key], "never 0 as a stand-in for \(key)") }
    }

    func testV1Layout() throws {
        func files(usage: Int, user: Int, sys: Int, thr: Int, max: Int, read: Int, write: Int, oom: Int) -> [String: [String: String]] {
            [
                "cpuacct": ["cgroup.procs": "", "cpuacct.usage": "\(usage)\n", "cpuacct.usage_user": "\(user)\n",
                            "cpuacct.usage_sys": "\(sys)\n", "cpuacct.stat": "user 1\nsystem 1\n"],
                "cpu": ["cgroup.procs": "", "cpu.stat": "nr_periods 20\nnr_throttled 10\nthrottled_time \(thr)\n"],
                "memory": ["cgroup.procs": "", "memory.max_usage_in_bytes": "\(max)\n", "memory.usage_in_bytes": "4096\n",
                           "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill \(oom)\n"],
                "blkio": ["cgroup.procs": "", "blkio.throttle.read_bps_device": "254:0 1000000000000000\n",
                          "blkio.throttle.write_bps_device": "254:0 1000000000000000\n",
                          "blkio.throttle.io_service_bytes": "254:0 Read \(read)\n254:0 Write \(write)\n254:0 Total \(read + write)\nTotal \(read + write)\n"],
                "pids": ["cgroup.procs": "", "pids.current": "1\n", "pids.peak": "5\n"],
            ]
        }
        var v1: [String: String] = [:]
        for c in ["cpuacct", "cpu", "memory", "blkio", "pids"] { v1[c] = root + "/" + c + "/run" }
        let paths = CgroupPaths(mode: .v1, v1: v1)
        for (c, fs) in files(usage: 500, user: 300, sys: 200, thr: 0, max: 0, read: 0, write: 0, oom: 0) { try put(v1[c]!, fs) }
        let start = Snapshot.take(paths: paths)
        for (c, fs) in files(usage: 1_000_000_500, user: 700_000_300, sys: 300_000_200, thr: 512_000_000,
                             max: 210_763_776, read: 8192, write: 67_108_864, oom: 0) { try put(v1[c]!, fs) }
        let f = FinalFigures.read(start: start)
        XCTAssertEqual(f.metrics["cpu_time"]!, 1.0, accuracy: 1e-9)
        XCTAssertEqual(f.metrics["cpu_user"]!, 0.7, accuracy: 1e-9)
        XCTAssertEqual(f.metrics["cpu_system"]!, 0.3, accuracy: 1e-9)
        XCTAssertEqual(f.metrics["cpu_throttled_time"]!, 0.512, accuracy: 1e-9)
        XCTAssertEqual(f.metrics["memory_peak"], 210_763_776)
        XCTAssertEqual(f.metrics["disk_read_bytes"], 8192)
        XCTAssertEqual(f.metrics["disk_write_bytes"], 67_108_864)
        XCTAssertEqual(f.metrics["pids_peak"], 5)
        XCTAssertEqual(FinalFigures.oomKills(paths: paths, since: start), 0)
        XCTAssertEqual(f.sources["cpu_user"], "cgroup v1 cpuacct.usage split in the ratio of cpuacct.usage_user/usage_sys")
        XCTAssertEqual(f.sources["disk_read_bytes"], "cgroup v1 blkio.throttle.io_service_bytes")
        // Pure v1: no cgroup2 group, so no PSI — with the reason, not 0.
        XCTAssertNil(f.metrics["cpu_pressure"])
        XCTAssertEqual(f.unmeasured["io_pressure"], "cgroup v1 has no pressure-stall (PSI) files and the run has no cgroup2 group")
    }

    func testV1BlkioWithoutRuleIsNotTrusted() throws {
        let dir = root + "/blkio/run"
        try put(dir, ["cgroup.procs": "", "blkio.throttle.read_bps_device": "", "blkio.throttle.write_bps_device": "",
                      "blkio.throttle.io_service_bytes": "Total 0\n"])
        let f = FinalFigures.read(start: Snapshot.take(paths: CgroupPaths(mode: .v1, v1: ["blkio": dir])))
        XCTAssertNil(f.metrics["disk_write_bytes"], "a 0 from an uninitialised blkio would be a lie")
        XCTAssertEqual(f.unmeasured["disk_write_bytes"],
                       "cgroup v1 blkio counts I/O only on devices with a throttle rule, and the run's group has none")
    }

    func testV1CpuacctStatTicksWhenNsFilesAreMissing() throws {
        let dir = root + "/cpuacct/run"
        try put(dir, ["cgroup.procs": "", "cpuacct.usage": "0\n", "cpuacct.stat": "user 0\nsystem 0\n"])
        let paths = CgroupPaths(mode: .v1, v1: ["cpuacct": dir])
        let start = Snapshot.take(paths: paths)
        try put(dir, ["cpuacct.usage": "1500000000\n", "cpuacct.stat": "user 100\nsystem 50\n"])
        let f = FinalFigures.read(start: start)
        // Exact total 1.5 s, split 2:1 as the ticks say.
        XCTAssertEqual(f.metrics["cpu_user"]!, 1.0, accuracy: 1e-9)
        XCTAssertEqual(f.metrics["cpu_system"]!, 0.5, accuracy: 1e-9)
        XCTAssertEqual(f.sources["cpu_user"], "cgroup v1 cpuacct.usage split in the ratio of cpuacct.stat user/system ticks")
    }

    func testModeNoneGivesReasonsForEverything() {
        let f = FinalFigures.read(start: Snapshot.take(paths: CgroupPaths(mode: .none)))
        XCTAssertTrue(f.metrics.isEmpty)
        for m in [Metric.cpuTime, .memoryPeak, .diskWriteBytes, .pidsPeak, .cpuPressure, .cpuThrottledTime] {
            XCTAssertNotNil(f.unmeasured[m.rawValue], m.rawValue)
        }
        let g = Self.withWallTime(f, 1)
        XCTAssertNil(g.metrics["cpu_percent"])
        XCTAssertEqual(g.unmeasured["cpu_percent"], "no cpu_time: no cgroup for the run")
    }

    func testCounterGoingBackwardsIsNotAFigure() throws {
        let dir = root + "/back"
        try put(dir, v2Files(usage: 5_000_000, user: 1, sys: 1, throttled: 0, rbytes: 0, wbytes: 0, peak: 1, oom: 0, psiCPU: 0))
        let paths = CgroupPaths(mode: .v2, unified: dir)
        let start = Snapshot.take(paths: paths)
        try put(dir, v2Files(usage: 1_000, user: 1, sys: 1, throttled: 0, rbytes: 0, wbytes: 0, peak: 1, oom: 0, psiCPU: 0))
        let f = FinalFigures.read(start: start)
        XCTAssertNil(f.metrics["cpu_time"])
        XCTAssertEqual(f.unmeasured["cpu_time"], "cgroup v2 cpu.stat usage_usec went backwards during the run")
    }

    func testBlkioRulesLimitTheCwdDeviceAndCountEveryOther() throws {
        let dir = root + "/blkinit"
        try put(dir, ["blkio.throttle.read_bps_device": "", "blkio.throttle.write_bps_device": ""])
        XCTAssertFalse(BlkioInit.hasThrottleRule(cgroupDir: dir))
        let cwdDisk = BlockDevice(major: 254, minor: 0), other = BlockDevice(major: 8, minor: 16)
        // Plain files stand in for the kernel's: each write replaces the text, so the last rule shows.
        try BlkioInit.applyRules(cgroupDir: dir, limits: Limits(diskWriteRate: 5000), limitDevice: cwdDisk,
                                 counting: [cwdDisk])
        XCTAssertEqual(try String(contentsOfFile: dir + "/blkio.throttle.write_bps_device", encoding: .utf8), "254:0 5000",
                       "the user's limit on the device holding cwd")
        XCTAssertEqual(try String(contentsOfFile: dir + "/blkio.throttle.read_bps_device", encoding: .utf8),
                       "254:0 \(BlkioInit.unlimitedBps)", "the other direction only counts")
        try BlkioInit.applyRules(cgroupDir: dir, limits: Limits(diskWriteRate: 5000), limitDevice: cwdDisk,
                                 counting: [cwdDisk, other])
        XCTAssertEqual(try String(contentsOfFile: dir + "/blkio.throttle.write_bps_device", encoding: .utf8),
                       "8:16 \(BlkioInit.unlimitedBps)", "a second writable device gets the counting rule, not the limit")
        XCTAssertTrue(BlkioInit.hasThrottleRule(cgroupDir: dir))
    }

    /// The cgroup's figures assembled with a wall time, as the sandbox does (cpu_percent derived).
    static func withWallTime(_ f: Figures, _ wall: Double) -> Figures {
        var a = FigureAssembler()
        a.offer(f, from: .cgroup)
        a.offer(Figures(metrics: ["wall_time": wall], sources: ["wall_time": "test clock"]), from: .clock)
        return a.assemble()
    }
}
