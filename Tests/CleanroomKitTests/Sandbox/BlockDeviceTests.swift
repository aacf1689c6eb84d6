import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import CleanroomKit

/// v1 blkio counts a disk only once it has a rule: the sandbox puts one on every disk the run can
/// write to (`BlockDevice.writable`), not only on the disk holding cwd.
final class BlockDeviceTests: XCTestCase {
    func testWritableDisksAreEveryReadWriteMountsWholeDisk() throws {
        let root = TestFixtures.workRoot + "/fake-sysfs-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fm = FileManager.default
        let cwd = TestFixtures.repoRoot.path
        let (cwdDisk, _) = BlockDevice.holding(cwd)
        var made: [String] = []
        func node(_ id: String) throws { try fm.createDirectory(atPath: root + "/dev/block/" + id, withIntermediateDirectories: true); made.append(id) }
        if let d = cwdDisk { try node(d.id) }
        try node("254:0")
        // A partition 8:17 of disk 8:16, linked as sysfs does it.
        try fm.createDirectory(atPath: root + "/devices/sdb/sdb1", withIntermediateDirectories: true)
        try "".write(toFile: root + "/devices/sdb/sdb1/partition", atomically: true, encoding: .utf8)
        try "8:16\n".write(toFile: root + "/devices/sdb/dev", atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(atPath: root + "/dev/block/8:17", withDestinationPath: "../../devices/sdb/sdb1")
        try node("8:33")
        let mountinfo = root + "/mountinfo"
        try """
        22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
        30 22 8:17 / /data rw,relatime shared:2 - ext4 /dev/sdb1 rw
        31 22 8:33 / /ro ro,relatime shared:3 - ext4 /dev/sdc1 ro
        32 22 0:45 / /tmp rw,nosuid shared:4 - tmpfs tmpfs rw

        """.write(toFile: mountinfo, atomically: true, encoding: .utf8)
        let got = BlockDevice.writable(cwd: cwd, mountinfo: mountinfo, sysfs: root)
        var want: [BlockDevice] = cwdDisk.map { [$0] } ?? []
        for d in [BlockDevice(major: 254, minor: 0), BlockDevice(major: 8, minor: 16)] where !want.contains(d) { want.append(d) }
        XCTAssertEqual(got, want, "cwd's disk, the root's, the partition's whole disk; not the read-only mount, not tmpfs")
    }

    /// I/O to a second disk is counted in the run's figures. Needs a second real block device
    /// under a writable mount: a loop device or tmpfs would not do (tmpfs has no block device;
    /// a loop device's I/O is charged to the disk holding its backing file).
    func testWritesToASecondDiskAreCounted() throws {
        guard geteuid() == 0, SandboxHost.current.backend is CgroupV1Backend else { throw XCTSkip("needs root and cgroup v1 blkio") }
        let cwdDisk = BlockDevice.holding(TestFixtures.repoRoot.path).0
        var target: String?
        for line in (SysFS.read("/proc/self/mountinfo") ?? "").split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count > 5, f[5].split(separator: ",").contains("rw") else { continue }
            let mm = f[2].split(separator: ":")
            guard mm.count == 2, let maj = UInt32(mm[0]), let min = UInt32(mm[1]), maj != 0, maj != 7,
                  SysFS.exists("/sys/dev/block/\(maj):\(min)"),
                  BlockDevice.wholeDisk(major: maj, minor: min) != cwdDisk,
                  access(String(f[4]), W_OK) == 0 else { continue }
            target = String(f[4])
        }
        guard let dir = target else {
            throw XCTSkip("one block device on this host (\(cwdDisk?.id ?? "none")): no second disk to write to")
        }
        let file = dir + "/cleanroom-second-disk-\(getpid()).bin"
        defer { unlink(file) }
        let r = try GroundTruthRun.measure(Layout.available[0], [try TestFixtures.binary("write_fsync"), file, "32"])
        XCTAssertGreaterThanOrEqual(r.metric(.diskWriteBytes) ?? 0, 32 * 1_048_576, r.describe)
        XCTAssertEqual(r.source(.diskWriteBytes), "cgroup v1 blkio.throttle.io_service_bytes")
    }
}
