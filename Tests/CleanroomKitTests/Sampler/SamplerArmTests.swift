import Foundation
import XCTest
@testable import CleanroomKit

/// The sandbox makes the sampler's thread while the init sets up (`RunObserver.arm`) and lets it go at the
/// workload's exec: an armed sampler samples like one started at once, and one whose run ended
/// before its exec leaves no thread behind.
final class SamplerArmTests: XCTestCase {
    private func samplerThreads() -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.filter { (try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8))?.hasPrefix("cr-sampler") == true }.count
    }

    private func waitForSamplerThreads(_ n: Int) -> Int {
        for _ in 0..<500 where samplerThreads() != n { usleep(10_000) }
        return samplerThreads()
    }

    func testAnObserverDroppedBeforeTheExecLeavesNoThread() {
        let before = samplerThreads()
        var observer: SamplerObserver? = SamplerObserver(interval: 0.05, network: .host)
        observer?.prepare(CgroupPaths(mode: .none))
        XCTAssertEqual(samplerThreads(), before, "prepare alone makes no thread")
        observer?.arm()
        XCTAssertEqual(waitForSamplerThreads(before + 1), before + 1, "the armed thread exists before the exec")
        observer = nil
        XCTAssertEqual(waitForSamplerThreads(before), before, "the armed thread ended with its observer")
    }

    func testAnArmedSamplerSamplesTheRun() throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["0.4"]
        let sampler = Sampler(paths: CgroupPaths(mode: .none), interval: 0.05, network: .host)
        sampler.arm()
        try child.run()
        sampler.start(rootPID: child.processIdentifier)
        child.waitUntilExit()
        let result = sampler.stop()
        XCTAssertGreaterThanOrEqual(result.sampleCount, 3, "a 0.4 s run sampled every 50 ms")
        XCTAssertNotNil(result.figures[.procTree]?.metrics[Metric.cpuTime.rawValue] ?? result.figures[.samples]?.metrics[Metric.memoryPeak.rawValue],
                        "figures from the process tree: \(result.figures)")
        XCTAssertEqual(waitForSamplerThreads(0), 0)
    }

    func testStopOfAnArmedSamplerThatNeverStartedReturns() {
        let sampler = Sampler(paths: CgroupPaths(mode: .none), interval: 0.05, network: .host)
        sampler.arm()
        let result = sampler.stop()
        XCTAssertEqual(result.sampleCount, 0)
        XCTAssertEqual(waitForSamplerThreads(0), 0)
    }

    /// Through the sandbox: a run whose service cannot start ends before the workload's exec.
    func testARunThatEndsBeforeItsExecLeavesNoSamplerThread() throws {
        try XCTSkipUnless(geteuid() == 0, "root needed")
        let before = samplerThreads()
        var req = SandboxTest.request(["true"])
        req.services = [ServicePlan(name: "ghost", command: ["/nonexistent/server"], ready: .tcp(port: 80), readyTimeout: 5)]
        let r = try SandboxExecutor.measuredRun(req, sampling: 0.05)
        XCTAssertEqual(r.outcome, .error, r.detail ?? "")
        XCTAssertNil(r.samples, "never started, never sampled")
        XCTAssertEqual(waitForSamplerThreads(before), before, "the armed thread ended with the run")
        // And a run that does exec is sampled by its armed thread.
        let ok = try SandboxExecutor.measuredRun(SandboxTest.request(["sleep", "0.3"]), sampling: 0.05)
        XCTAssertEqual(ok.outcome, .ok, ok.detail ?? "")
        XCTAssertGreaterThanOrEqual(ok.samples?.t.count ?? 0, 3)
        XCTAssertEqual(waitForSamplerThreads(before), before)
    }
}
