import Foundation
import XCTest
@testable import CleanroomKit

/// `CgroupCounters.resolved` reuses a group's layout for the next group made beside it (each run
/// of `run --repeat`): on the real kernel, the reused layout is the one resolving the new group
/// afresh gives — same files in the new group's directories, same sources and reasons — and its
/// counters read there.
final class CounterLayoutReuseTests: XCTestCase {
    func testASiblingGroupsReusedLayoutIsItsFreshOne() throws {
        try XCTSkipUnless(geteuid() == 0, "root needed")
        let backend = SandboxHost.current.backend
        try XCTSkipIf(backend.mode == .none, "no cgroups on this host")
        // The first with a disk throttle rule (on v1, blkio then counts the group's I/O), the second
        // without: what a layout depends on beyond its place is resolved for each group.
        let (dev, _) = BlockDevice.holding(TestFixtures.repoRoot.path)
        let first = try backend.create(name: RunID.next(), limits: Limits(memory: 64 << 20, pids: 16, diskReadRate: dev == nil ? nil : 1 << 40),
                                       device: dev)
        defer { XCTAssertEqual(backend.remove(first), []) }
        let second = try backend.create(name: RunID.next(), limits: Limits(memory: 32 << 20, pids: 8), device: nil)
        defer { XCTAssertEqual(backend.remove(second), []) }
        XCTAssertTrue(first.paths.isSibling(of: second.paths), "\(first.paths) / \(second.paths)")

        _ = CgroupCounters.resolved(first.paths)
        let probed = CgroupCounters.probedLayouts
        let reused = CgroupCounters.resolved(second.paths)
        XCTAssertEqual(CgroupCounters.probedLayouts, probed, "the second group's layout was probed again, not reused")
        let fresh = CgroupCounters(paths: second.paths)
        XCTAssertEqual(reused.procsFile, fresh.procsFile)
        var counters = 0
        for key in CgroupCounters.Key.allCases {
            switch (reused[key], fresh[key]) {
            case (.counter(let a), .counter(let b)):
                counters += 1
                XCTAssertEqual(a.path, b.path, "\(key)")
                XCTAssertEqual(a.source, b.source, "\(key)")
                XCTAssertEqual(a.scale, b.scale, "\(key)")
                XCTAssertTrue(a.path.hasPrefix(second.paths.unified ?? "\u{0}") || second.paths.v1.values.contains { a.path.hasPrefix($0 + "/") },
                              "\(key): \(a.path) is not in the second group")
                XCTAssertEqual(a.read(), b.read(), "\(key) reads the same file")
            case (.absent(let a), .absent(let b)):
                XCTAssertEqual(a, b, "\(key)")
            default:
                XCTFail("\(key): reused \(reused[key]) vs fresh \(fresh[key])")
            }
        }
        XCTAssertGreaterThan(counters, 5, "a real layout has its counters")
        if backend.mode != .v2, dev != nil {
            XCTAssertNotNil(CgroupCounters(paths: first.paths)[.diskRead].spec, "the first group's rule makes blkio count")
            XCTAssertNil(reused[.diskRead].spec, "the second group has no rule: nothing counts its I/O")
        }
        // The same group asked for again is the same resolution, not a third one.
        XCTAssertEqual(CgroupCounters.resolved(second.paths).table.count, reused.table.count)
        XCTAssertEqual(CgroupCounters.probedLayouts, probed)
        // A group in another place (another mode) is never taken for a sibling.
        XCTAssertFalse(first.paths.isSibling(of: CgroupPaths(mode: first.paths.mode == .v2 ? .v1 : .v2,
                                                             v1: first.paths.v1, unified: first.paths.unified)))
    }

    /// Paths outside the earlier group's directories cannot be moved: no reuse, a fresh resolution.
    func testALayoutWithAPathOutsideItsGroupIsNotMoved() throws {
        let dir = NSTemporaryDirectory() + "cleanroom-layout-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/a", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "usage_usec 5\nuser_usec 3\nsystem_usec 2\n".write(toFile: dir + "/a/cpu.stat", atomically: false, encoding: .utf8)
        let a = CgroupCounters(paths: CgroupPaths(mode: .v2, unified: dir + "/a"))
        XCTAssertNotNil(a.moved(to: CgroupPaths(mode: .v2, unified: dir + "/b")))
        XCTAssertEqual(a.moved(to: CgroupPaths(mode: .v2, unified: dir + "/b"))?[.cpuTime].spec?.path, dir + "/b/cpu.stat")
        XCTAssertNil(a.moved(to: CgroupPaths(mode: .v1, v1: ["memory": dir + "/b"])), "no cgroup2 directory to move to")
    }
}
