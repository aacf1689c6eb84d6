import Foundation
import XCTest
@testable import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

/// The end-of-run reads from files opened while the run's init set up: the emptiness probes
/// (`KeptEmptiness`) and the final counters (`FinalFigures.keep`) must answer what the same files
/// opened by path answer at the moment they are read, not at the moment they were opened.
final class KeptEmptinessTests: XCTestCase {
    /// A process of ours, put into our own group only (never moved back out: that would be a
    /// write to a cgroup cleanroom did not make); it leaves by dying.
    func sleeper() throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sleep")
        p.arguments = ["60"]
        try p.run()
        return p
    }

    func testKeptProbesSeeAProcessInAnyOneHierarchy() throws {
        let b = try SandboxTest.hostV1Backend()
        let g = try b.create(name: RunID.next(), limits: Limits(), device: nil)
        var removed = false
        defer { if !removed { _ = b.remove(g) }; SandboxTest.assertNothingLeft() }
        let probes = b.emptinessProbes(g)
        XCTAssertEqual(probes.count, g.procsFiles.count + (g.paths.unified == nil ? 0 : 1),
                       "every listing isEmpty reads: each v1 hierarchy's cgroup.procs and the cgroup2 one")
        let kept = try XCTUnwrap(KeptEmptiness(probes))
        XCTAssertEqual(kept.isEmpty(), true)

        // In one hierarchy only (the last probe): what a process that left the others looks like.
        let p = try sleeper()
        try SysFS.write(try XCTUnwrap(probes.last).path, "\(p.processIdentifier)")
        XCTAssertEqual(kept.isEmpty(), false, "opened before the process came, read after")
        XCTAssertFalse(b.isEmpty(g))
        // And in every one of them.
        for probe in probes.dropLast() { try SysFS.write(probe.path, "\(p.processIdentifier)") }
        XCTAssertEqual(kept.isEmpty(), false)
        XCTAssertTrue(b.killAndWaitEmpty(g, seconds: 5, kept: kept), "the kept probes say non-empty, so the group is killed")
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .uncaughtSignal, "killed by the group kill, not by the test")
        XCTAssertEqual(kept.isEmpty(), true)
        XCTAssertTrue(b.isEmpty(g))
        XCTAssertEqual(b.remove(g), [])
        removed = true
        XCTAssertNil(kept.isEmpty(), "files of a removed group cannot be read (ENODEV): no answer, isEmpty is asked")
    }

    func testKeptFinalReadsAreTheValuesAtTheReadNotAtTheOpen() throws {
        let b = try SandboxTest.hostV1Backend()
        let g = try b.create(name: RunID.next(), limits: Limits(), device: nil)
        defer { XCTAssertEqual(b.remove(g), []); SandboxTest.assertNothingLeft() }
        let start = Snapshot.fresh(paths: g.paths)
        let kept = FinalFigures.keep(start)
        XCTAssertFalse(kept.isEmpty)
        let before = FinalFigures.read(start: start, kept: kept)
        XCTAssertEqual(before.metrics["cpu_time"], 0, "a new group has used nothing")

        // Joins the group during its sleep, then burns CPU in it.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "sleep 0.3; i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"]
        try p.run()
        for probe in b.emptinessProbes(g) { try SysFS.write(probe.path, "\(p.processIdentifier)") }
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)

        let viaKept = FinalFigures.read(start: start, kept: kept)
        let byPath = FinalFigures.read(start: start)
        let cpu = try XCTUnwrap(viaKept.metrics["cpu_time"])
        XCTAssertGreaterThan(cpu, 0.02, "the loop's CPU, read through files opened before it ran")
        XCTAssertEqual(viaKept.metrics, byPath.metrics, "the group is idle: both reads see the same counters")
        XCTAssertEqual(viaKept.sources, byPath.sources)
        XCTAssertGreaterThan(try XCTUnwrap(viaKept.metrics["memory_peak"]), 0)
    }

    func testCgroup2ProbeIsPopulated() throws {
        let root = try SandboxTest.fakeCgroup2Root(controllers: "cpu memory pids")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let b = CgroupV2Backend(base: root, fake: true)
        let g = try b.create(name: "cr-1-2-3", limits: Limits(), device: nil)
        let events = try XCTUnwrap(g.paths.unified) + "/cgroup.events"
        // Rewritten in place, as the kernel's file is the same file at every read.
        func put(_ text: String) throws {
            let h = try FileHandle(forWritingTo: URL(fileURLWithPath: events))
            try h.truncate(atOffset: 0); try h.write(contentsOf: Data(text.utf8)); try h.close()
        }
        FileManager.default.createFile(atPath: events, contents: Data("populated 1\nfrozen 0\n".utf8))
        XCTAssertEqual(b.emptinessProbes(g).map(\.path), [events])
        let kept = try XCTUnwrap(KeptEmptiness(b.emptinessProbes(g)))
        XCTAssertEqual(kept.isEmpty(), false)
        try put("populated 0\nfrozen 0\n")
        XCTAssertEqual(kept.isEmpty(), true)
        XCTAssertEqual(b.isEmpty(g), true)
    }

    func testNoProbesWithoutCgroups() {
        XCTAssertNil(KeptEmptiness([]))
        XCTAssertNil(KeptEmptiness([EmptinessProbe.procs("/nonexistent/cgroup.procs")]))
    }
}
