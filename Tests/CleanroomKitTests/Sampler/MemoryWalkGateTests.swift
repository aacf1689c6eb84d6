import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import CleanroomKit

/// The sampler's walks of the processes' memory (rss_peak, max_rss) are its dearest reads; with
/// cgroups they wait for the group's page-fault or process count to move. Against the real kernel:
/// a tree that stands still is not walked, and memory that only faults reveal — a file whose pages
/// are charged to another cgroup, so the run's charge does not move — is still walked and counted.
final class MemoryWalkGateTests: XCTestCase {
    private let MiB = 1_048_576.0

    func testASettledTreeIsWalkedAgainOnlyOnceItFaults() throws {
        let layout = try Layout.withMemoryController()
        let dir = SandboxTest.scratch()
        let file = dir + "/50mib", settled = dir + "/settled", fifo = dir + "/fifo"
        let ready = dir + "/ready", go = dir + "/go"
        try MemoryFixtures.cachedFile(file)
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let fixture = try TestFixtures.binary("map_file_anon")
        // 20 sleepers, then still (blocked opening the FIFO), then the file mapped (and 1 MiB of anon).
        let script = """
            pids=; for i in $(seq 20); do sleep 60 & pids="$pids $!"; done
            : > settled; read x < fifo
            \(fixture) \(file) 1 ready go; kill $pids
            """
        let req = SandboxTest.request(["/bin/sh", "-c", script], cwd: dir,
                                      settings: SandboxSettings(network: .host), timeout: 90)
        let observer = TunableObserver(interval: 0.05)
        let background = BackgroundRun(req, observer: observer, layout: layout)
        func waitFor(_ path: String) {
            var waited = 0
            while access(path, F_OK) != 0 && waited < 30_000 { usleep(10_000); waited += 10 }
            XCTAssertEqual(access(path, F_OK), 0, "\(path) never appeared")
        }
        waitFor(settled)
        // The kernel folds per-CPU event counts into memory.stat at least every 2 s: faults taken
        // while the tree grew may show that late. After that the tree is still.
        usleep(2_500_000)
        let walksSettled = observer.memoryWalks
        usleep(1_500_000)
        let walksStill = observer.memoryWalks
        XCTAssertEqual(walksStill, walksSettled, "walked a tree that stood still for 1.5 s")

        let w = open(fifo, O_WRONLY)
        XCTAssertGreaterThanOrEqual(w, 0)
        _ = write(w, "x\n", 2); close(w)
        waitFor(ready)
        var waited = 0
        while observer.memoryWalks <= walksStill && waited < 60_000 { usleep(10_000); waited += 10 }
        XCTAssertGreaterThan(observer.memoryWalks, walksStill, "the file's faults did not call for a walk")
        FileManager.default.createFile(atPath: go, contents: nil)
        let r = try background.finish()
        let result = try XCTUnwrap(observer.result)
        let describe = "rss_peak=\(r.metrics["rss_peak"] ?? -1) memory_peak=\(r.metrics["memory_peak"] ?? -1) "
            + "walks=\(result.memoryWalks) \(r.sources["rss_peak"] ?? "") | \(r.unmeasured)"
        // The 50 MiB are in the run's Pss but not in its charge: only the fault count moved.
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(r.metrics["rss_peak"], describe), 50 * MiB, describe)
        XCTAssertLessThan(try XCTUnwrap(r.metrics["memory_peak"], describe), 50 * MiB, describe)
        XCTAssertTrue(r.sources["rss_peak"]?.contains("pgfault moved or the charge or process count rose") == true, describe)
        // Paced by cost alone, the still 1.5 s would have held walks: the gate is what kept them out.
        let perWalk = result.memoryWalkCPUTime / Double(max(1, result.memoryWalks))
        XCTAssertLessThan(perWalk / ProcessMemory.cpuBudget, 0.75, "walks too dear for the still window to prove anything: \(describe)")
        print(String(format: "walk gate (%@): %d walks in the run, %d in the 1.5 s still, %.0f µs each; rss_peak %.1f MiB, memory_peak %.1f MiB",
                     layout.name, result.memoryWalks, walksStill - walksSettled, perWalk * 1e6, r.metrics["rss_peak"]! / MiB, r.metrics["memory_peak"]! / MiB))
    }

    /// The walk at the run's end is past the budget (what changed since the walk before would be
    /// lost otherwise) but not past the gate: a tree whose faults, charge and process count stood
    /// still since its last walk cannot have a higher Pss, so it is not walked again — at that
    /// point its processes have mostly exited, and a walk of 100 exiting `sleep`s was 3–5 ms.
    func testTheLastWalkIsPastTheBudgetButNotPastTheGate() throws {
        // A child of ours (a process running our own executable would be taken for the init).
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["30"]
        try sleeper.run()
        defer { sleeper.terminate(); sleeper.waitUntilExit() }
        let memory = ProcessMemory(listing: .descendants(of: sleeper.processIdentifier))
        // No walk yet: the last one is taken whatever the gate says (the run's only chance).
        XCTAssertTrue(memory.maybeWalk(now: 1, interval: 0.05, last: true, changed: false))
        XCTAssertNotNil(memory.peaks.pssKiB, "the sleeper was not read")
        // A tick right after: the budget defers it, the gate would let it through.
        XCTAssertFalse(memory.maybeWalk(now: 2, interval: 0.05, changed: true))
        // The end, nothing changed since: no walk.
        XCTAssertFalse(memory.maybeWalk(now: 3, interval: 0.05, last: true, changed: false))
        XCTAssertEqual(memory.peaks.walks, 1)
        // The end, something changed: walked although the budget would defer a tick's walk.
        XCTAssertTrue(memory.maybeWalk(now: 4, interval: 0.05, last: true, changed: true))
        XCTAssertEqual(memory.peaks.walks, 2)
    }

    /// No walk at exec: the workload is then mapping its libraries and smaps_rollup would hold its
    /// memory map's lock against it. A run that ends before the first tick has no rss_peak, and
    /// says why, rather than the Pss of a half-loaded image.
    func testARunShorterThanOneIntervalIsNotWalkedWhileItStarts() throws {
        let layout = try Layout.withMemoryController()
        let req = SandboxTest.request(["/bin/true"], cwd: SandboxTest.scratch(),
                                      settings: SandboxSettings(network: .host), timeout: 30)
        let observer = TunableObserver(interval: 2)
        let r = try BackgroundRun(req, observer: observer, layout: layout).finish()
        let result = try XCTUnwrap(observer.result)
        XCTAssertEqual(observer.memoryWalks, 0, "a walk was taken on a tick")
        XCTAssertEqual(result.memoryWalks, 1, "only the final walk, after the run's processes exited")
        XCTAssertNil(r.metrics["rss_peak"], "\(r.metrics)")
        let reason = try XCTUnwrap(r.unmeasured["rss_peak"], "\(r.unmeasured)")
        XCTAssertTrue(reason.contains("exited before the first walk"), reason)
    }
}
