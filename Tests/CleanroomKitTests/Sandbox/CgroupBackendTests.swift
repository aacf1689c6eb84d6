import Foundation
import XCTest
@testable import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

/// cgroup v2 logic against a fake cgroupfs tree (this host has no v2 controllers), and the v1
/// backend against the real kernel.
final class CgroupV2FakeTreeTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "cleanroom-fake-cg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try "cpuset cpu io memory hugetlb pids rdma misc\n".write(toFile: root + "/cgroup.controllers", atomically: true, encoding: .utf8)
        try "cpu memory\n".write(toFile: root + "/cgroup.subtree_control", atomically: true, encoding: .utf8)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    func read(_ rel: String) -> String? {
        (try? String(contentsOfFile: root + "/" + rel, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testCreateEnablesControllersAndWritesLimits() throws {
        let b = CgroupV2Backend(base: root, fake: true)
        let g = try b.create(name: "cr-1-2-3", limits: Limits(memory: 64 << 20, cpus: 1.5, pids: 32,
                                                              diskReadRate: 10_000_000, diskWriteRate: 5_000_000),
                             device: BlockDevice(major: 8, minor: 0))
        XCTAssertEqual(read("cgroup.subtree_control"), "cpu io memory pids", "only the missing ones were added")
        XCTAssertEqual(read("cleanroom/cgroup.subtree_control"), "cpu io memory pids")
        XCTAssertEqual(read("cleanroom/cr-1-2-3/memory.max"), "67108864")
        XCTAssertEqual(read("cleanroom/cr-1-2-3/memory.swap.max"), "0", "no swap on top of the limit")
        XCTAssertEqual(read("cleanroom/cr-1-2-3/cpu.max"), "150000 100000")
        XCTAssertEqual(read("cleanroom/cr-1-2-3/pids.max"), "32")
        XCTAssertEqual(read("cleanroom/cr-1-2-3/io.max"), "8:0 rbps=10000000 wbps=5000000")
        XCTAssertEqual(g.paths, CgroupPaths(mode: .v2, unified: root + "/cleanroom/cr-1-2-3"))
        XCTAssertEqual(g.cloneInto, root + "/cleanroom/cr-1-2-3", "CLONE_INTO_CGROUP target")
        XCTAssertEqual(g.degraded, [])
        XCTAssertEqual(b.remove(g), [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/cleanroom/cr-1-2-3"))
    }

    func testMissingControllersAreDegradedNotFatal() throws {
        try "cpu pids\n".write(toFile: root + "/cgroup.controllers", atomically: true, encoding: .utf8)
        let b = CgroupV2Backend(base: root, fake: true)
        let g = try b.create(name: "cr-1-2-4", limits: Limits(memory: 1 << 20, cpus: 1, pids: 8, diskWriteRate: 1),
                             device: BlockDevice(major: 8, minor: 0))
        XCTAssertNil(read("cleanroom/cr-1-2-4/memory.max"))
        XCTAssertNil(read("cleanroom/cr-1-2-4/io.max"))
        XCTAssertEqual(read("cleanroom/cr-1-2-4/pids.max"), "8")
        XCTAssertEqual(g.degraded.count, 2, "\(g.degraded)")
        XCTAssertTrue(g.degraded.contains { $0.hasPrefix("memory limit not enforced") })
        XCTAssertTrue(g.degraded.contains { $0.hasPrefix("disk rate limits not enforced") })
    }

    func testKillEmptyOomAndSweepReadTheKernelFiles() throws {
        let b = CgroupV2Backend(base: root, fake: true)
        let g = try b.create(name: "cr-4194303-1-9", limits: Limits(), device: nil)
        let dir = root + "/cleanroom/cr-4194303-1-9"
        try "populated 1\nfrozen 0\n".write(toFile: dir + "/cgroup.events", atomically: true, encoding: .utf8)
        XCTAssertFalse(b.isEmpty(g))
        b.killAll(g)
        XCTAssertEqual(read("cleanroom/cr-4194303-1-9/cgroup.kill"), "1", "cgroup.kill is how v2 kills the whole group")
        try "low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\noom_group_kill 0\n".write(toFile: dir + "/memory.events", atomically: true, encoding: .utf8)
        try "0\n".write(toFile: dir + "/memory.current", atomically: true, encoding: .utf8)   // a memory-controlled group has both
        XCTAssertEqual(FinalFigures.oomKills(paths: g.paths), 2)
        try "populated 0\nfrozen 0\n".write(toFile: dir + "/cgroup.events", atomically: true, encoding: .utf8)
        XCTAssertTrue(b.isEmpty(g))
        // Not ours by name: never touched by the sweep.
        try FileManager.default.createDirectory(atPath: root + "/cleanroom/someone-else", withIntermediateDirectories: true)
        XCTAssertEqual(b.sweepLeftovers(), ["cr-4194303-1-9"], "dead owner (pid 4194303) swept")
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/cleanroom/someone-else"))
    }

    func testHostDetection() throws {
        XCTAssertEqual(SandboxHost.detect(root: root), .v2)
        let hybrid = root + "/h"
        for c in ["memory", "cpu", "unified"] { try FileManager.default.createDirectory(atPath: hybrid + "/" + c, withIntermediateDirectories: true) }
        FileManager.default.createFile(atPath: hybrid + "/memory/cgroup.procs", contents: nil)
        XCTAssertEqual(SandboxHost.detect(root: hybrid), .v1)
        FileManager.default.createFile(atPath: hybrid + "/unified/cgroup.controllers", contents: nil)
        XCTAssertEqual(SandboxHost.detect(root: hybrid), .hybrid)
        XCTAssertEqual(SandboxHost.detect(root: root + "/nothing"), .none)
    }
}

final class CgroupV1RealKernelTests: XCTestCase {
    func backend() throws -> CgroupV1Backend { try SandboxTest.hostV1Backend() }

    func testLimitsLandInTheKernelFiles() throws {
        let b = try backend()
        let (dev, _) = BlockDevice.holding(TestFixtures.repoRoot.path)
        let g = try b.create(name: RunID.next(), limits: Limits(memory: 64 << 20, cpus: 0.5, pids: 16, diskReadRate: 1_000_000, diskWriteRate: 2_000_000), device: dev)
        defer { XCTAssertEqual(b.remove(g), []); SandboxTest.assertNothingLeft() }
        func read(_ c: String, _ f: String) -> String? {
            g.paths.v1[c].flatMap { try? String(contentsOfFile: $0 + "/" + f, encoding: .utf8) }?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        XCTAssertEqual(read("memory", "memory.limit_in_bytes"), "67108864")
        if FileManager.default.fileExists(atPath: g.paths.v1["memory"]! + "/memory.memsw.limit_in_bytes") {
            XCTAssertEqual(read("memory", "memory.memsw.limit_in_bytes"), "67108864")
        }
        XCTAssertEqual(read("cpu", "cpu.cfs_quota_us"), "50000")
        XCTAssertEqual(read("cpu", "cpu.cfs_period_us"), "100000")
        XCTAssertEqual(read("pids", "pids.max"), "16")
        if let dev {
            XCTAssertEqual(read("blkio", "blkio.throttle.read_bps_device"), "\(dev.id) 1000000")
            XCTAssertEqual(read("blkio", "blkio.throttle.write_bps_device"), "\(dev.id) 2000000")
        }
        XCTAssertNotNil(g.paths.v1["cpuacct"], "cpuacct group for usage")
        XCTAssertNotNil(g.paths.v1["freezer"])
        if b.mode == .hybrid {
            let u = try XCTUnwrap(g.paths.unified)
            XCTAssertTrue(FileManager.default.fileExists(atPath: u + "/cpu.pressure"), "per-run PSI in the unified tree")
        }
        XCTAssertEqual(FinalFigures.oomKills(paths: g.paths), 0)
        XCTAssertTrue(b.isEmpty(g))
    }

    func testDiskRateLimitThrottlesDirectIO() throws {
        _ = try backend()
        let dir = SandboxTest.scratch()
        // 4 MiB with O_DIRECT under 2 MB/s takes about 2 s; unthrottled well under 0.5 s.
        let req = SandboxTest.request(["dd", "if=/dev/zero", "of=\(dir)/f", "bs=1M", "count=4", "oflag=direct"],
                                      cwd: dir, limits: Limits(diskWriteRate: 2_000_000), timeout: 20)
        let r = try Sandbox.run(req)
        XCTAssertEqual(r.outcome, .ok, r.detail ?? SandboxTest.stderr(req))
        let wall = try XCTUnwrap(r.metrics["wall_time"])
        XCTAssertGreaterThan(wall, 1.2, "throttled to ~2 MB/s")
        SandboxTest.assertNothingLeft()
    }

    func testBlockDeviceOfAPartitionIsTheWholeDisk() throws {
        let (dev, why) = BlockDevice.holding("/")
        if let dev {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "/sys/dev/block/\(dev.id)"))
            XCTAssertFalse(FileManager.default.fileExists(atPath: "/sys/dev/block/\(dev.id)/partition"), "whole disk, not a partition")
        } else {
            XCTAssertNotNil(why)
        }
        let (tmpfsDev, reason) = BlockDevice.holding("/dev/shm")
        XCTAssertNil(tmpfsDev)
        XCTAssertNotNil(reason)
    }
}
