import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import CleanroomKit

/// The kernel says when a mount table changed (`MountTableWatch`), so the disks a run must count
/// are not re-derived from a fresh read of mountinfo at every run.
final class MountTableWatchTests: XCTestCase {
    /// A mount namespace of the test's own (`unshare -m`, private propagation: nothing reaches the
    /// host's table), watched through its process's mountinfo: quiet until a tmpfs is mounted in
    /// it, then one report per change (the mount, then the unmount).
    func testAMountInAWatchedNamespaceIsReportedOncePerChange() throws {
        try XCTSkipUnless(geteuid() == 0, "root needed to make a mount namespace")
        for tool in ["/usr/bin/unshare", "/usr/bin/nsenter"] {
            try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: tool), "\(tool) needed")
        }
        let scratch = SandboxTest.scratch()
        let target = scratch + "/mnt"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        holder.arguments = ["-m", "--propagation", "private", "sleep", "60"]
        try holder.run()
        defer { kill(holder.processIdentifier, SIGKILL); holder.waitUntilExit() }   // the one process this test started
        let pid = holder.processIdentifier
        // unshare(1) execs sleep in the new namespace: wait until the process is sleep there.
        let ownNS = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/mnt")
        var inside = false
        for _ in 0..<500 where !inside {
            let ns = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/mnt")
            let comm = SysFS.read("/proc/\(pid)/comm")?.trimmingSpaceAndNewlines
            inside = ns != nil && ns != ownNS && comm == "sleep"
            if !inside { usleep(10_000) }
        }
        XCTAssertTrue(inside, "the holder is in a mount namespace of its own")

        let watch = try XCTUnwrap(MountTableWatch(path: "/proc/\(pid)/mountinfo"))
        XCTAssertFalse(watch.changed(), "nothing mounted there since the watch was opened")
        func nsenter(_ args: [String]) throws -> Int32 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/nsenter")
            p.arguments = ["-t", "\(pid)", "-m", "--"] + args
            try p.run()
            p.waitUntilExit()
            return p.terminationStatus
        }
        XCTAssertEqual(try nsenter(["mount", "-t", "tmpfs", "-o", "size=64k", "cleanroom-watch-test", target]), 0)
        XCTAssertTrue(SysFS.read("/proc/\(pid)/mountinfo")?.contains("cleanroom-watch-test") == true, "mounted in the namespace")
        XCTAssertFalse(SysFS.read("/proc/self/mountinfo")?.contains("cleanroom-watch-test") == true, "and not on the host")
        XCTAssertTrue(watch.changed(), "the mount is reported")
        XCTAssertFalse(watch.changed(), "once")
        XCTAssertEqual(try nsenter(["umount", target]), 0)
        XCTAssertTrue(watch.changed(), "the unmount is reported")
        XCTAssertFalse(watch.changed(), "once")
    }

    /// A second ask for the same working directory, with no mount in between, reads no mount
    /// table and gives the same disks as a full derivation.
    func testKeptWritableDisksAreReusedWithoutReadingTheTable() {
        let cwd = TestFixtures.repoRoot.path
        let first = BlockDevice.writableKept(cwd: cwd)
        let reads = BlockDevice.mountinfoReadCount
        let second = BlockDevice.writableKept(cwd: cwd)
        XCTAssertEqual(BlockDevice.mountinfoReadCount, reads, "no read of mountinfo the second time")
        XCTAssertEqual(second, first)
        XCTAssertEqual(second, BlockDevice.writable(cwd: cwd), "the kept answer is the full derivation's")
        XCTAssertFalse(second.isEmpty && BlockDevice.holding(cwd).0 != nil, "the repository's disk is among them")
    }
}
