import Foundation
import XCTest
@testable import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

/// The cgroup layout of a run with services: R (no process) → R/workload (limits) + R/svc-NAME.
final class ServiceCgroupLayoutTests: XCTestCase {
    func testV2ParentEnablesControllersForItsLeavesAndOnlyTheWorkloadIsLimited() throws {
        let root = try SandboxTest.fakeCgroup2Root(controllers: "cpu io memory pids")
        defer { try? FileManager.default.removeItem(atPath: root) }
        func read(_ rel: String) -> String? {
            (try? String(contentsOfFile: root + "/" + rel, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let b = CgroupV2Backend(base: root, fake: true)
        let g = try RunGroups.make(b, runID: "cr-1-2-3", limits: Limits(memory: 64 << 20, pids: 10), devices: [], limitedDevice: nil,
                                   services: [ServicePlan(name: "api", command: ["x"], ready: .tcp(port: 1))])
        XCTAssertEqual(read("cleanroom/cr-1-2-3/cgroup.subtree_control"), "cpu io memory pids", "R hands its controllers down")
        XCTAssertEqual(g.workload.paths.unified, root + "/cleanroom/cr-1-2-3/workload")
        XCTAssertEqual(g.workload.cloneInto, root + "/cleanroom/cr-1-2-3/workload", "the init is cloned into the leaf, never into R")
        XCTAssertEqual(read("cleanroom/cr-1-2-3/workload/memory.max"), "67108864")
        XCTAssertEqual(read("cleanroom/cr-1-2-3/workload/pids.max"), "10")
        XCTAssertEqual(g.services.map(\.paths.unified), [root + "/cleanroom/cr-1-2-3/svc-api"])
        XCTAssertNil(read("cleanroom/cr-1-2-3/svc-api/memory.max"), "services are not limited")
        XCTAssertNil(read("cleanroom/cr-1-2-3/memory.max"))
        XCTAssertEqual(g.remove(b), [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/cleanroom/cr-1-2-3"))
    }

    func testV1LeavesAndSweepOfANestedLeftover() throws {
        try XCTSkipUnless(SandboxTest.isRoot, "needs root")
        guard let b = SandboxHost.current.backend as? CgroupV1Backend else { throw XCTSkip("no v1 backend here") }
        let dev = BlockDevice.holding(TestFixtures.repoRoot.path).0
        // A run of a dead owner (pid 4194303 cannot exist) with a service: the sweep must remove the
        // leaves first, then the run's group.
        let g = try RunGroups.make(b, runID: "cr-4194303-1-77", limits: Limits(memory: 32 << 20), devices: dev.map { [$0] } ?? [], limitedDevice: dev,
                                   services: [ServicePlan(name: "db", command: ["x"], ready: .tcp(port: 1))])
        let mem = try XCTUnwrap(g.workload.paths.v1["memory"])
        XCTAssertTrue(mem.hasSuffix("/cleanroom/cr-4194303-1-77/workload"))
        XCTAssertEqual(try String(contentsOfFile: mem + "/memory.limit_in_bytes", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), "33554432")
        let svcMem = try XCTUnwrap(g.services.first?.paths.v1["memory"])
        XCTAssertTrue(svcMem.hasSuffix("/cleanroom/cr-4194303-1-77/svc-db"))
        if let u = g.services.first?.paths.unified { XCTAssertTrue(FileManager.default.fileExists(atPath: u + "/cpu.pressure")) }
        XCTAssertTrue(b.sweepLeftovers().contains("cr-4194303-1-77"))
        for p in b.parents { XCTAssertFalse(FileManager.default.fileExists(atPath: p + "/cr-4194303-1-77"), p) }
    }
}
