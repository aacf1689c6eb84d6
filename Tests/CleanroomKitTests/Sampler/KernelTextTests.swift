import XCTest
@testable import CleanroomKit

/// The parsers on the exact texts the kernel writes (copied from this host and from v2 hosts).
final class KernelTextTests: XCTestCase {
    private func on<R>(_ text: String, _ f: (KernelText.Bytes) -> R) -> R { KernelText.withBytes(text, f) }

    func testSingleNumberFiles() {
        XCTAssertEqual(on("209715200\n", KernelText.single), 209_715_200)
        XCTAssertEqual(on("0\n", KernelText.single), 0)
        XCTAssertNil(on("max\n", KernelText.single))
        XCTAssertNil(on("", KernelText.single))
    }

    func testV2CPUStat() {
        let text = """
        usage_usec 104490884
        user_usec 78194033
        system_usec 26296850
        nice_usec 0
        core_sched.force_idle_usec 0
        nr_periods 120
        nr_throttled 7
        throttled_usec 350123
        nr_bursts 0
        burst_usec 0

        """
        XCTAssertEqual(on(text) { KernelText.keyed($0, "usage_usec") }, 104_490_884)
        XCTAssertEqual(on(text) { KernelText.keyed($0, "user_usec") }, 78_194_033)
        XCTAssertEqual(on(text) { KernelText.keyed($0, "system_usec") }, 26_296_850)
        XCTAssertEqual(on(text) { KernelText.keyed($0, "nr_throttled") }, 7)
        XCTAssertEqual(on(text) { KernelText.keyed($0, "throttled_usec") }, 350_123)
        XCTAssertNil(on(text) { KernelText.keyed($0, "usage") }, "a key is a whole word")
        XCTAssertNil(on(text) { KernelText.keyed($0, "missing") })
    }

    func testV1Files() {
        XCTAssertEqual(on("user 150\nsystem 30\n") { KernelText.keyed($0, "user") }, 150)
        XCTAssertEqual(on("user 150\nsystem 30\n") { KernelText.keyed($0, "system") }, 30)
        let oom = "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"
        XCTAssertEqual(on(oom) { KernelText.keyed($0, "oom_kill") }, 2)
        let cpu = "nr_periods 20\nnr_throttled 10\nthrottled_time 512345678\nnr_bursts 0\nburst_time 0\n"
        XCTAssertEqual(on(cpu) { KernelText.keyed($0, "throttled_time") }, 512_345_678)
        XCTAssertEqual(on("low 0\nhigh 0\nmax 0\noom 1\noom_kill 1\noom_group_kill 0\n") { KernelText.keyed($0, "oom_kill") }, 1)
    }

    func testProcColonFiles() {
        let io = "rchar: 8406540\nwchar: 8388701\nsyscr: 36\nsyscw: 11\nread_bytes: 225280\nwrite_bytes: 8396800\ncancelled_write_bytes: 4096\n"
        XCTAssertEqual(on(io) { KernelText.keyed($0, "read_bytes") }, 225_280)
        XCTAssertEqual(on(io) { KernelText.keyed($0, "write_bytes") }, 8_396_800)
        XCTAssertEqual(on(io) { KernelText.keyed($0, "cancelled_write_bytes") }, 4096)
        let rw = on(io, ProcTree.ioBytes)
        XCTAssertEqual(rw?.read, 225_280)
        XCTAssertEqual(rw?.write, 8_396_800 - 4096)
        let status = "Name:\tbash\nVmPeak:\t  10000 kB\nVmHWM:\t    5432 kB\nVmRSS:\t    5000 kB\n"
        XCTAssertEqual(on(status) { KernelText.keyed($0, "VmHWM") }, 5432)
    }

    func testPSI() {
        let text = "some avg10=0.20 avg60=0.87 avg300=0.67 total=5834793\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=17\n"
        XCTAssertEqual(on(text, KernelText.psiSomeTotal), 5_834_793)
        XCTAssertNil(on("full avg10=0.00 total=3\n", KernelText.psiSomeTotal))
    }

    func testV2IOStatSumsDevices() {
        let text = "254:0 rbytes=1000 wbytes=2000 rios=3 wios=4 dbytes=0 dios=0\n8:16 rbytes=24 wbytes=48 rios=1 wios=1 dbytes=0 dios=0\n"
        XCTAssertEqual(on(text) { KernelText.ioStat($0, "rbytes") }, 1024)
        XCTAssertEqual(on(text) { KernelText.ioStat($0, "wbytes") }, 2048)
        XCTAssertNil(on("") { KernelText.ioStat($0, "wbytes") })
    }

    func testV1BlkioSumsDevicesAndSkipsTotal() {
        let text = """
        254:0 Read 4096
        254:0 Write 67108864
        254:0 Sync 67112960
        254:0 Async 0
        254:0 Discard 0
        254:0 Total 67112960
        8:0 Read 100
        8:0 Write 200
        8:0 Total 300
        Total 67113260

        """
        XCTAssertEqual(on(text) { KernelText.blkio($0, "Read") }, 4196)
        XCTAssertEqual(on(text) { KernelText.blkio($0, "Write") }, 67_109_064)
        XCTAssertNil(on("Total 0\n") { KernelText.blkio($0, "Write") }, "no device line: nothing counted")
    }

    func testProcStatWithAnAwkwardCommandName() throws {
        // comm with spaces and a ')' inside: fields are counted from the last ')'.
        let text = "4242 (my (odd) prog) S 4000 4242 4000 0 -1 4194560 100 0 0 0 250 75 10 5 20 0 3 0 12345 104857600 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
        let s = try XCTUnwrap(on(text, KernelText.procStat))
        XCTAssertEqual(s.state, UInt8(ascii: "S"))
        XCTAssertEqual(s.ppid, 4000)
        XCTAssertEqual(s.utime, 250)
        XCTAssertEqual(s.stime, 75)
        XCTAssertEqual(s.cutime, 10)
        XCTAssertEqual(s.cstime, 5)
        XCTAssertEqual(s.numThreads, 3)
        XCTAssertEqual(s.rssPages, 2560)
        XCTAssertNil(on("garbage", KernelText.procStat))
    }

    func testNetDevSumsInterfaces() throws {
        let text = """
        Inter-|   Receive                                                |  Transmit
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
            lo: 10013848    1234    0    0    0     0          0         0 10013848    1234    0    0    0     0       0          0
          eth0:     500       5    0    0    0     0          0         0      700       7    0    0    0     0       0          0

        """
        let v = try XCTUnwrap(on(text, KernelText.netDev))
        XCTAssertEqual(v.rx, 10_014_348)
        XCTAssertEqual(v.tx, 10_014_548)
        XCTAssertNil(on("Inter-|\n face |\n", KernelText.netDev))
    }

    func testPidLists() {
        var out: [Int32] = []
        on("12\n345\n6789\n") { KernelText.pids($0, into: &out) }
        XCTAssertEqual(out, [12, 345, 6789])
        out = []
        on("7222 7223 ") { KernelText.pids($0, into: &out) }
        XCTAssertEqual(out, [7222, 7223])
    }
}
