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
        // The test bundle sits in the build directory beside cleanroom-webhook.
        let sender = r.checks.first { $0.area == "alerts" && $0.item == "webhook sender" }
        XCTAssertEqual(sender?.status, "ok", "\(String(describing: sender))")
        XCTAssertEqual(sender?.detail.hasSuffix("/cleanroom-webhook: alerts are delivered"), true, "\(String(describing: sender))")
        XCTAssertEqual(r.checks.first { $0.item == "sandboxed /bin/true" }?.status, "ok")
        XCTAssertEqual(r.checks.first { $0.item == "user notification" }?.status, SandboxHost.current.seccompNotify ? "ok" : "missing")
        XCTAssertTrue(r.table().contains("cgroup " + expected))
        if expected == "hybrid" { XCTAssertEqual(r.checks.first { $0.item == "PSI per run" }?.status, "ok") }
        // Every protection, as seen from inside a real run (issue 14, item 7).
        let protect = r.checks.filter { $0.area == "protect" }
        XCTAssertEqual(protect.map(\.item), ["capabilities", "cgroup namespace", "/sys read-only", "cgroups visible",
                                            "/proc/sys read-only", "masked /proc files", "init unreadable"])
        for c in protect { XCTAssertEqual(c.status, "ok", "\(c.item): \(c.detail)") }
        XCTAssertTrue(protect[0].detail.hasSuffix("00000000a80425fb"), protect[0].detail)
        SandboxTest.assertNothingLeft()
    }

    /// A probe that reports a protection missing (a host where it could not be applied) is a
    /// `missing` row with what the probe saw, never an `ok`.
    func testAProtectionTheProbeFoundMissingIsReportedMissing() {
        let rows = DoctorProtections.checks(stdout: "caps yes 00000000a80425fb\nsys no /sys is rw,nosuid\ncgroupns yes\n", host: SandboxHost.current)
        XCTAssertEqual(rows.first { $0.item == "/sys read-only" }?.status, "missing")
        XCTAssertEqual(rows.first { $0.item == "/sys read-only" }?.detail, "not applied: /sys is rw,nosuid")
        XCTAssertEqual(rows.first { $0.item == "masked /proc files" }?.status, "missing", "not reported is not ok")
        XCTAssertEqual(rows.first { $0.item == "cgroup namespace" }?.status, "ok")
        XCTAssertTrue(DoctorProtections.checks(stdout: nil, host: SandboxHost.current).allSatisfy { $0.status == "missing" })
    }

    /// Doctor's probe runs write into mkdtemp directories (0700, unpredictable names), not a
    /// predictable /tmp path another user could plant; and leave none behind.
    func testDoctorScratchIsPrivateAndRemoved() throws {
        let a = try XCTUnwrap(SysFS.privateTemporaryDirectory(prefix: "cleanroom-doctor"))
        let b = try XCTUnwrap(SysFS.privateTemporaryDirectory(prefix: "cleanroom-doctor"))
        defer { rmdir(a); rmdir(b) }
        XCTAssertNotEqual(a, b)
        var st = stat()
        XCTAssertEqual(lstat(a, &st), 0)
        XCTAssertEqual(st.st_mode & 0o7777, 0o700)
        XCTAssertEqual(st.st_uid, geteuid())
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFDIR)
        guard geteuid() == 0 else { return }
        let tmp = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        func ours() -> Set<String> {
            Set(((try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? []).filter { $0.hasPrefix("cleanroom-doctor") })
        }
        let before = ours().subtracting([a, b].map { ($0 as NSString).lastPathComponent })
        _ = DoctorReport.probe()
        XCTAssertEqual(ours().subtracting([a, b].map { ($0 as NSString).lastPathComponent }), before, "doctor left scratch behind")
    }

    func testDegradationsAreListedForANoCgroupHost() {
        // The `none` backend's limitations are what doctor and host.degraded would say.
        let lim = NoCgroupBackend().limitations(for: Limits(memory: 1, cpus: 1, pids: 1, diskReadRate: 1))
        XCTAssertEqual(lim.count, 5, "\(lim)")
        XCTAssertTrue(lim.contains { $0.hasPrefix("cpus limit not enforced") })
    }
}
