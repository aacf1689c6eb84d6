import Foundation
import XCTest
@testable import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

/// cgroup v2 where cleanroom is not in the true root (a container's cgroup namespace, a delegated
/// cgroup), against a fake cgroupfs tree whose fake kernel refuses to enable controllers in a
/// populated non-root cgroup (EBUSY), as the real one does.
final class CgroupV2PlacementTests: XCTestCase {
    var root = ""
    let me = getpid()

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "cleanroom-fake-cg2-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try put("cgroup.controllers", "cpuset cpu io memory pids\n")
        try put("cgroup.subtree_control", "\n")
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    func put(_ rel: String, _ text: String) throws {
        let path = root + "/" + rel
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
    func read(_ rel: String) -> String? {
        (try? String(contentsOfFile: root + "/" + rel, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    /// A namespace root (has cgroup.type, unlike the true root) holding `procs`.
    func namespaceRoot(holding procs: [pid_t]) throws {
        try put("cgroup.type", "domain\n")
        try put("cgroup.procs", procs.map(String.init).joined(separator: "\n") + "\n")
    }

    func testOwnCgroupHoldingOnlyUsMovesOurselfThenEnablesControllersAndRuns() throws {
        try namespaceRoot(holding: [me])
        let placement = CgroupV2Placement.decide(root: root, selfCgroup: "0::/\n", isRoot: true, pid: me)
        XCTAssertEqual(placement, .manage(base: root, moveSelf: true))

        // The fake kernel refuses controllers while we are still in the base: the order matters.
        XCTAssertThrowsError(try CgroupV2Backend(base: root, fake: true).prepareParent(), "EBUSY before the move")

        let b = try CgroupV2Backend.adopting(base: root, moveSelf: true, pid: me, fake: true)
        let leaf = "cleanroom/" + CgroupV2Placement.supervisorName
        XCTAssertEqual(b.supervisorLeaf, root + "/" + leaf)
        XCTAssertEqual(read(leaf + "/cgroup.procs"), String(me), "our own PID moved into the supervisor leaf")
        XCTAssertEqual(read("cgroup.procs"), "", "the base holds no process any more")
        XCTAssertEqual(read("cgroup.subtree_control"), "cpu io memory pids")
        XCTAssertEqual(read("cleanroom/cgroup.subtree_control"), "cpu io memory pids")

        let g = try b.create(name: "cr-1-2-3", limits: Limits(memory: 32 << 20, pids: 7), device: nil)
        XCTAssertEqual(g.cloneInto, root + "/cleanroom/cr-1-2-3")
        XCTAssertEqual(read("cleanroom/cr-1-2-3/memory.max"), "33554432")
        XCTAssertEqual(read("cleanroom/cr-1-2-3/pids.max"), "7")
        XCTAssertEqual(b.remove(g), [])

        // Our own supervisor leaf survives the sweep: its owner (this process) is alive.
        XCTAssertEqual(b.sweepLeftovers(), [])
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/" + leaf))

        // A later probe of the same process sees itself in the leaf: base two levels up, no move.
        XCTAssertEqual(CgroupV2Placement.decide(root: root, selfCgroup: "0::/\(leaf)\n", isRoot: true, pid: me),
                       .manage(base: root, moveSelf: false))
    }

    func testForeignProcessInOurCgroupDegradesWithTheReasonAndMovesNothing() throws {
        try namespaceRoot(holding: [1, me])
        let placement = CgroupV2Placement.decide(root: root, selfCgroup: "0::/\n", isRoot: true, pid: me)
        guard case let .unusable(why) = placement else { return XCTFail("\(placement)") }
        XCTAssertTrue(why.contains("PID 1"), why)
        XCTAssertTrue(why.contains("never moves processes it did not start"), why)
        XCTAssertEqual(read("cgroup.procs"), "1\n\(me)", "nobody moved")
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/cleanroom"))

        // Through the host probe: no cgroups, and the reason is what doctor and host.degraded show.
        try put("self-cgroup", "0::/\n")
        let host = SandboxHost(cgroupRoot: root, selfCgroupFile: root + "/self-cgroup")
        XCTAssertEqual(host.mode, .v2)
        XCTAssertEqual(host.backend.mode, CgroupPaths.Mode.none)
        XCTAssertEqual(host.backendNote, why)
        let req = SandboxRequest(command: ["true"], cwd: "/", limits: Limits(memory: 1 << 20), outputDirectory: root + "/out")
        XCTAssertTrue(host.degradations(for: req).contains("cgroups: " + why))
        XCTAssertEqual(read("cgroup.procs"), "1\n\(me)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/cleanroom"))
    }

    func testTrueRootNeedsNoMove() throws {
        // No cgroup.type: the true root, exempt from the rule; our own cgroup is not involved.
        try put("cgroup.procs", "1\n\(me)\n")
        XCTAssertEqual(CgroupV2Placement.decide(root: root, selfCgroup: "0::/\n", isRoot: true, pid: me),
                       .manage(base: root, moveSelf: false))
        XCTAssertEqual(CgroupV2Placement.decide(root: root, selfCgroup: "0::/user.slice/session-1.scope\n", isRoot: true, pid: me),
                       .manage(base: root, moveSelf: false))
        let b = try CgroupV2Backend.adopting(base: root, moveSelf: false, pid: me, fake: true)
        XCTAssertNil(b.supervisorLeaf)
        XCTAssertEqual(read("cgroup.procs"), "1\n\(me)", "nothing moved")
        XCTAssertEqual(read("cgroup.subtree_control"), "cpu io memory pids")
    }

    func testDelegatedCgroupOfOursIsTheBase() throws {
        // Not root: a delegated scope holding only us (systemd-run --scope -p Delegate=yes).
        let scope = "user.slice/user-1000.slice/user@1000.service/app.slice/run-1.scope"
        try put(scope + "/cgroup.type", "domain\n")
        try put(scope + "/cgroup.controllers", "cpu io memory pids\n")
        try put(scope + "/cgroup.subtree_control", "\n")
        try put(scope + "/cgroup.procs", "\(me)\n")
        XCTAssertEqual(CgroupV2Placement.decide(root: root, selfCgroup: "0::/\(scope)\n", isRoot: false, pid: me),
                       .manage(base: root + "/" + scope, moveSelf: true))
        // Same scope without the delegation (not writable for us): unusable, says why.
        if geteuid() != 0 {
            chmod(root + "/" + scope + "/cgroup.procs", 0o444)
            guard case .unusable = CgroupV2Placement.decide(root: root, selfCgroup: "0::/\(scope)\n", isRoot: false, pid: me) else {
                return XCTFail("a cgroup we cannot write is not ours")
            }
        }
        XCTAssertEqual(CgroupV2Placement.decide(root: root, selfCgroup: "", isRoot: false, pid: me),
                       .unusable("no cgroup2 entry in /proc/self/cgroup"))
    }

    func testSweepRemovesOnlyEmptySupervisorLeavesOfDeadOwners() throws {
        try namespaceRoot(holding: [])
        let b = CgroupV2Backend(base: root, fake: true)
        _ = try b.prepareParent()
        let live = CgroupV2Placement.supervisorName
        let deadBusy = "cr-4194303-1-supervisor"    // pid 4194303 cannot exist
        let deadEmpty = "cr-4194302-1-supervisor"
        try put("cleanroom/\(live)/cgroup.procs", "\(me)\n")
        try put("cleanroom/\(deadBusy)/cgroup.procs", "\(me)\n")   // something still lives there
        try put("cleanroom/\(deadEmpty)/cgroup.procs", "")
        XCTAssertEqual(b.sweepLeftovers(), [deadEmpty])
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/cleanroom/" + live), "live owner: kept")
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/cleanroom/" + deadBusy), "populated: kept")
        XCTAssertNil(read("cleanroom/\(deadBusy)/cgroup.kill"), "what lives in a supervisor leaf is never killed")
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/cleanroom/" + deadEmpty))
    }
}
