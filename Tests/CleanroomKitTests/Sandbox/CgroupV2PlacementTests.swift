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

/// The same on the real kernel: cleanroom started inside a cgroup namespace whose root (a group
/// of ours under `cleanroom/`) holds only cleanroom's own process — the container case.
final class CgroupV2NamespaceRealKernelTests: XCTestCase {
    func testAForeignProcessInTheNamespaceRootIsLeftAloneAndCgroupsAreDegraded() throws {
        try XCTSkipUnless(geteuid() == 0, "root needed")
        let binary = TestFixtures.repoRoot.appendingPathComponent(".build/debug/cleanroom").path
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: binary), "build the cleanroom executable first")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare"), "unshare(1) needed")
        let cg2 = SysFS.exists("/sys/fs/cgroup/cgroup.controllers") ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified"
        try XCTSkipUnless(SysFS.exists(cg2 + "/cgroup.controllers"), "no cgroup2 mount")
        let nsRoot = cg2 + "/cleanroom/" + RunID.next() + "-ns"
        try SysFS.mkdir(cg2 + "/cleanroom")
        try SysFS.mkdir(nsRoot)
        let scratch = SandboxTest.scratch()
        var sleeper: pid_t = 0
        defer {
            if sleeper > 0 { kill(sleeper, SIGKILL); usleep(50_000) }   // the one process this test started there
            XCTAssertEqual(SysFS.rmdirRetrying(nsRoot), 0, "test group removed")
        }
        let mnt = scratch + "/cg2"
        try FileManager.default.createDirectory(atPath: mnt, withIntermediateDirectories: true)
        let inner = """
        mount -t cgroup2 none '\(mnt)' || exit 90
        CLEANROOM_CGROUP_ROOT='\(mnt)' exec '\(binary)' exec --json -- true
        """
        try inner.write(toFile: scratch + "/inner.sh", atomically: true, encoding: .utf8)
        // A process that is not cleanroom's (a `sleep` started first) shares the root.
        let s = Process()
        s.executableURL = URL(fileURLWithPath: "/bin/sh")
        s.arguments = ["-c", "echo $$ > '\(nsRoot)/cgroup.procs' && exec sleep 30"]
        s.standardOutput = FileHandle.nullDevice
        s.standardError = FileHandle.nullDevice
        try s.run()
        sleeper = s.processIdentifier
        for _ in 0..<200 where !SysFS.pids(nsRoot + "/cgroup.procs").contains(sleeper) { usleep(5000) }
        XCTAssertEqual(SysFS.pids(nsRoot + "/cgroup.procs"), [sleeper])
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "echo $$ > '\(nsRoot)/cgroup.procs' || exit 91; exec unshare -C -m sh '\(scratch)/inner.sh'"]
        FileManager.default.createFile(atPath: scratch + "/out", contents: nil)
        FileManager.default.createFile(atPath: scratch + "/err", contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: scratch + "/out")
        p.standardError = FileHandle(forWritingAtPath: scratch + "/err")
        try p.run()
        p.waitUntilExit()
        let o = try Data(contentsOf: URL(fileURLWithPath: scratch + "/out"))
        let e = (try? String(contentsOfFile: scratch + "/err", encoding: .utf8)) ?? ""
        XCTAssertEqual(p.terminationStatus, 0, e)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: o) as? [String: Any], e)
        XCTAssertEqual(json["outcome"] as? String, "ok", "the run still happens, without cgroups")
        let degraded = json["degraded"] as? [String] ?? []
        XCTAssertTrue(degraded.contains { $0.hasPrefix("cgroups: ") && $0.contains("PID \(sleeper) (sleep)") }, "\(degraded)")
        XCTAssertEqual(SysFS.pids(nsRoot + "/cgroup.procs"), [sleeper], "the foreign process was not moved")
        XCTAssertFalse(SysFS.exists(nsRoot + "/cleanroom"), "nothing created below a root we may not manage")
        if let d = (json["output"] as? [String: Any])?["stdout"] as? String {
            try? FileManager.default.removeItem(atPath: (d as NSString).deletingLastPathComponent)
        }
    }

    func testCleanroomAloneInANamespaceRootMovesItselfAndRunsBelowIt() throws {
        try XCTSkipUnless(geteuid() == 0, "root needed")
        let binary = TestFixtures.repoRoot.appendingPathComponent(".build/debug/cleanroom").path
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: binary), "build the cleanroom executable first")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare"), "unshare(1) needed")
        let cg2 = SysFS.exists("/sys/fs/cgroup/cgroup.controllers") ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified"
        try XCTSkipUnless(SysFS.exists(cg2 + "/cgroup.controllers"), "no cgroup2 mount")

        // The namespace's root: a group of ours (named like a run of this process, so the suite's
        // leftover check would see it).
        let nsRoot = cg2 + "/cleanroom/" + RunID.next() + "-ns"
        try SysFS.mkdir(cg2 + "/cleanroom")
        try SysFS.mkdir(nsRoot)
        let scratch = SandboxTest.scratch()
        defer {
            // Children first; nothing lives here any more (the process exited).
            for d in SysFS.list(nsRoot + "/cleanroom") where SysFS.isDirectory(nsRoot + "/cleanroom/" + d) {
                rmdir(nsRoot + "/cleanroom/" + d)
            }
            rmdir(nsRoot + "/cleanroom")
            XCTAssertEqual(SysFS.rmdirRetrying(nsRoot), 0, "test group removed")
        }
        let mnt = scratch + "/cg2"
        try FileManager.default.createDirectory(atPath: mnt, withIntermediateDirectories: true)
        // The shell joins nsRoot, enters a new cgroup namespace (rooted there) and a private mount
        // namespace, mounts cgroup2 (showing nsRoot as its root) and becomes cleanroom (same PID).
        let inner = """
        mount -t cgroup2 none '\(mnt)' || exit 90
        CLEANROOM_CGROUP_ROOT='\(mnt)' exec '\(binary)' exec --json -- sh -c 'grep ^0:: /proc/self/cgroup; touch ready; while [ ! -e go ]; do sleep 0.05; done'
        """
        try inner.write(toFile: scratch + "/inner.sh", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "echo $$ > '\(nsRoot)/cgroup.procs' || exit 91; exec unshare -C -m sh '\(scratch)/inner.sh'"]
        p.currentDirectoryURL = URL(fileURLWithPath: scratch)
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let pid = p.processIdentifier
        // While the workload waits: its group, as the host sees it, is a run of cleanroom's below
        // the namespace's root (inside, its own cgroup namespace shows it as "/").
        var waited = 0
        while !SysFS.exists(scratch + "/ready") && waited < 30_000 { usleep(20_000); waited += 20 }
        let during = SysFS.list(nsRoot + "/cleanroom").filter { SysFS.isDirectory(nsRoot + "/cleanroom/" + $0) }
        let runGroup = during.first { $0.hasPrefix("cr-\(pid)-") && !$0.hasSuffix("-supervisor") }
        XCTAssertNotNil(runGroup, "the run's group below the namespace's cleanroom/: \(during)")
        FileManager.default.createFile(atPath: scratch + "/go", contents: nil)
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, e)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: o) as? [String: Any], e)
        XCTAssertEqual(json["outcome"] as? String, "ok")
        let degraded = json["degraded"] as? [String] ?? []
        XCTAssertFalse(degraded.contains { $0.hasPrefix("cgroups:") }, "placed under our own cgroup: nothing degraded (\(degraded))")

        // cleanroom (the shell's PID, exec'd twice) moved itself into its supervisor leaf…
        let leaves = SysFS.list(nsRoot + "/cleanroom").filter { SysFS.isDirectory(nsRoot + "/cleanroom/" + $0) }
        XCTAssertTrue(leaves.contains { $0.hasPrefix("cr-\(pid)-") && $0.hasSuffix("-supervisor") }, "\(leaves)")
        XCTAssertEqual(SysFS.pids(nsRoot + "/cgroup.procs"), [], "nobody left in the namespace's root")
        // …and the run, in a cgroup namespace of its own, saw its group as the root.
        let seen = try XCTUnwrap(json["stdout"] as? String, "exec --json carries the captured stdout")
        XCTAssertEqual(seen, "0::/\n")
        XCTAssertFalse(leaves.contains { !$0.hasSuffix("-supervisor") }, "the run's group was removed: \(leaves)")
    }
}
