import Foundation
import XCTest
@testable import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

final class DoctorTests: XCTestCase {
    func testDoctorDescribesThisHost() throws {
        try XCTSkipUnless(geteuid() == 0, "root host expected")
        let r = DoctorReport.probe()
        // Ground truth from the mounts: this machine is hybrid (v1 controllers + cgroup2 at unified/).
        let expected: String
        if FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers") { expected = "v2" }
        else if FileManager.default.fileExists(atPath: "/sys/fs/cgroup/unified/cgroup.controllers") { expected = "hybrid" }
        else { expected = "v1" }
        XCTAssertEqual(r.cgroup, expected)
        XCTAssertTrue(r.root)
        for ns in ["net", "pid", "ipc", "uts", "mnt", "user"] {
            XCTAssertEqual(r.checks.first { $0.area == "namespaces" && $0.item == ns }?.status, "ok", ns)
        }
        XCTAssertEqual(r.checks.first { $0.item == "sandboxed /bin/true" }?.status, "ok")
        XCTAssertEqual(r.checks.first { $0.item == "user notification" }?.status, SandboxHost.current.seccompNotify ? "ok" : "missing")
        XCTAssertTrue(r.table().contains("cgroup " + expected))
        if expected == "hybrid" { XCTAssertEqual(r.checks.first { $0.item == "PSI per run" }?.status, "ok") }
        SandboxTest.assertNothingLeft()
    }

    func testDegradationsAreListedForANoCgroupHost() {
        // The `none` backend's limitations are what doctor and host.degraded would say.
        let lim = NoCgroupBackend().limitations(for: Limits(memory: 1, cpus: 1, pids: 1, diskReadRate: 1))
        XCTAssertEqual(lim.count, 5, "\(lim)")
        XCTAssertTrue(lim.contains { $0.hasPrefix("cpus limit not enforced") })
    }
}
