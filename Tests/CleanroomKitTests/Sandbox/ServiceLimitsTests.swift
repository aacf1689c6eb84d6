import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import CleanroomKit

/// Issue 15 item 2 on the real kernel: a service's own `limits` are enforced in its own group,
/// an OOM kill there fails the run naming the service, and a measured run samples its services.
final class ServiceLimitsTests: XCTestCase {
    override func setUpWithError() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root: cgroups") }
        guard SandboxHost.current.backend.mode != .none else { throw XCTSkip("needs cgroups") }
    }

    func testAServiceOverItsMemoryLimitIsOOMKilledAndTheRunNamesIt() throws {
        try XCTSkipUnless(SandboxHost.current.backend.limitations(for: Limits(memory: 64 << 20)).isEmpty, "no memory controller")
        var req = SandboxTest.request(["sleep", "27.4"])
        // Ready at once, then it touches 200 MiB (bytes filled, so every page is really used).
        req.services = [ServicePlan(name: "hog", command: ["sh", "-c", "echo up; sleep 0.3; exec python3 -c 'b = b\"x\" * (200 << 20); import time; time.sleep(60)'"],
                                    ready: .log(regex: "up"), readyTimeout: 10, limits: Limits(memory: 64 << 20))]
        let r = try SandboxExecutor.measuredRun(req, sampling: 0.05)
        XCTAssertEqual(r.outcome, .error, r.detail ?? "")
        XCTAssertEqual(r.detail?.hasPrefix("service \"hog\" was killed by the OOM killer (its memory limit 64MiB) while the workload was running"),
                       true, r.detail ?? "")
        XCTAssertTrue(r.detail?.hasSuffix("the workload was stopped") ?? false, r.detail ?? "")
        XCTAssertEqual(r.services["hog"]?.outcome, .error)
        let peak = try XCTUnwrap(r.services["hog"]?.metrics["memory_peak"], "\(r.services)")
        XCTAssertLessThanOrEqual(peak, Double(64 << 20) + 65536, "held at its own limit")
        XCTAssertGreaterThan(peak, Double(60 << 20), "it really reached it")
        XCTAssertLessThan(r.metrics["memory_peak"] ?? .infinity, Double(32 << 20), "the workload's group is not the service's")
        SandboxTest.assertNothingLeft(marker: "27.4")
    }

    func testAMeasuredRunSamplesItsServicesOnTheWorkloadsClock() throws {
        // The service holds ~40 MiB and burns CPU while the workload sleeps 0.8 s.
        let server = "b = b'x' * (40 << 20)\nprint('READY', flush=True)\nwhile True: pass"
        var req = SandboxTest.request(["sleep", "0.8"])
        req.services = [ServicePlan(name: "busy", command: ["python3", "-c", server], ready: .log(regex: "READY"), readyTimeout: 10)]
        let r = try SandboxExecutor.measuredRun(req, sampling: 0.05)
        XCTAssertEqual(r.outcome, .ok, r.detail ?? "")
        let s = try XCTUnwrap(r.services["busy"]?.samples, "the service's own series")
        XCTAssertGreaterThanOrEqual(s.t.count, 8, "0.8 s at 50 ms: \(s.t)")
        XCTAssertGreaterThanOrEqual(s.t.first ?? -1, 0, "t counts from the workload's exec")
        XCTAssertGreaterThan(s.memory.max() ?? 0, Double(40 << 20), "its own memory, from its own group")
        XCTAssertGreaterThan(s.cpuPercent.max() ?? 0, 50, "it spins: its own CPU")
        XCTAssertLessThan(r.samples?.cpuPercent.max() ?? 0, 20, "the workload sleeps: the service's CPU is not in its series")
    }
}
