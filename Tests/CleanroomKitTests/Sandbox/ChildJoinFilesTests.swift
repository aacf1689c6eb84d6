import Foundation
import XCTest
@testable import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

/// The files the run's init writes "0" to, to join its groups: every v1 hierarchy's `tasks`, the
/// CPU-accounting one last (its getrusage just before that join is the sandbox's own CPU), the
/// group entered by CLONE_INTO_CGROUP left out. Paths are scanned as bytes (RunGroups.swift).
final class ChildJoinFilesTests: XCTestCase {
    func testTheCPUAccountingHierarchyIsJoinedLastAndByItsTasksFile() {
        let run = "cleanroom/cr-1-2-3"
        let group = CgroupGroup(
            name: "cr-1-2-3", paths: CgroupPaths(mode: .hybrid),
            procsFiles: ["/sys/fs/cgroup/cpu,cpuacct/\(run)/cgroup.procs", "/sys/fs/cgroup/memory/\(run)/cgroup.procs",
                         "/sys/fs/cgroup/unified/\(run)/cgroup.procs", "/sys/fs/cgroup/pids/\(run)/cgroup.procs"],
            cloneInto: "/sys/fs/cgroup/unified/\(run)", directories: [], degraded: [])
        XCTAssertEqual(group.childJoinFiles(v1: true), ["/sys/fs/cgroup/memory/\(run)/tasks", "/sys/fs/cgroup/pids/\(run)/tasks",
                                                       "/sys/fs/cgroup/cpu,cpuacct/\(run)/tasks"])
        XCTAssertEqual(group.childJoinFiles(v1: false), ["/sys/fs/cgroup/memory/\(run)/cgroup.procs", "/sys/fs/cgroup/pids/\(run)/cgroup.procs",
                                                        "/sys/fs/cgroup/cpu,cpuacct/\(run)/cgroup.procs"])
    }

    func testOnlyAWholeComponentNamesTheController() {
        XCTAssertTrue(CgroupGroup.accountsCPU("/sys/fs/cgroup/cpuacct/cleanroom/x/cgroup.procs"))
        XCTAssertTrue(CgroupGroup.accountsCPU("/sys/fs/cgroup/cpu,cpuacct/cleanroom/x/cgroup.procs"))
        XCTAssertTrue(CgroupGroup.accountsCPU("/sys/fs/cgroup/cpuacct,cpu/cleanroom/x/cgroup.procs"))
        XCTAssertTrue(CgroupGroup.accountsCPU("cpuacct"))
        XCTAssertFalse(CgroupGroup.accountsCPU("/sys/fs/cgroup/cpu/cleanroom/x/cgroup.procs"))
        XCTAssertFalse(CgroupGroup.accountsCPU("/sys/fs/cgroup/cpuacctx/cleanroom/x/cgroup.procs"))
        XCTAssertFalse(CgroupGroup.accountsCPU("/sys/fs/cgroup/memory/cleanroom/cr-cpuacct/cgroup.procs"))
        XCTAssertFalse(CgroupGroup.accountsCPU("/sys/fs/cgroup/cpuac/x"))
        XCTAssertFalse(CgroupGroup.accountsCPU(""))
    }

    /// On this host's hierarchies: a group made by the v1 backend, its join files are there to
    /// write, one per v1 hierarchy, cpuacct's last.
    func testARealGroupsJoinFilesExistWithCPUAccountingLast() throws {
        let backend = try SandboxTest.hostV1Backend()
        let group = try backend.create(name: "cr-joinfiles-\(getpid())", limits: Limits(), device: nil, counting: [])
        defer { _ = backend.remove(group) }
        let joins = group.childJoinFiles(v1: true)
        XCTAssertEqual(joins.count, group.paths.v1.count, "\(joins)")
        for f in joins {
            XCTAssertTrue(f.hasSuffix("/tasks"), f)
            XCTAssertEqual(access(f, W_OK), 0, f)
        }
        XCTAssertTrue(CgroupGroup.accountsCPU(try XCTUnwrap(joins.last)), "\(joins)")
        XCTAssertEqual(joins.filter(CgroupGroup.accountsCPU).count, 1, "\(joins)")
    }
}
