import Foundation
import XCTest
@testable import CleanroomKit

/// Services take `limits` with the same keys and checks as a workload (issue 15, item 2).
final class ServiceLimitsConfigTests: XCTestCase {
    private func load(_ limits: String) -> Result<Plan, ConfigErrors> {
        let cfg = """
        {"version": 1, "workloads": [{"name": "w", "command": ["true"], "services": [
          {"name": "api", "command": ["sleep", "9"], "ready": {"tcp": 8080}, "limits": \(limits)}]}]}
        """
        return ConfigLoader.load(data: Data(cfg.utf8), baseDirectory: NSTemporaryDirectory())
    }

    func testServiceLimitsAreParsedLikeAWorkloads() throws {
        let plan = try load(#"{"memory": "64MiB", "cpus": 0.5, "pids": 32}"#).get()
        let svc = try XCTUnwrap(plan.workloads.first?.services.first)
        XCTAssertEqual(svc.limits, Limits(memory: 64 << 20, cpus: 0.5, pids: 32))
        XCTAssertEqual(plan.workloads[0].limits, Limits(), "the workload's own limits are untouched")
    }

    func testBadServiceLimitsGetAPathAndAHint() {
        guard case .failure(let e) = load(#"{"memory": 512, "cpu": 1}"#) else { return XCTFail("accepted") }
        let paths = e.diagnostics.map(\.path)
        XCTAssertTrue(paths.contains("workloads[0].services[0].limits.memory"), "\(e.diagnostics)")
        XCTAssertTrue(paths.contains("workloads[0].services[0].limits.cpu"), "\(e.diagnostics)")
    }
}
