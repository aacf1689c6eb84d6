import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import CleanroomKit

/// Issue 14, on the real kernel: what a root workload keeps. Attempts are harmless even where a
/// protection is missing (a mount would land in the run's own private mount namespace).
final class SandboxHardeningTests: XCTestCase {
    override func setUpWithError() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root: the workload runs as uid 0") }
    }

    func run(_ req: SandboxRequest) throws -> (RunRecord, String) {
        let r = try Sandbox.run(req)
        return (r, SandboxTest.stdout(req))
    }

    /// Docker's default set (0xa80425fb) in every set, for the workload of every seccomp mode.
    func testWorkloadKeepsOnlyDockersDefaultCapabilities() throws {
        XCTAssertEqual(Capabilities.dockerDefaultMask, 0xa80425fb, "Docker's well-known CapBnd")
        let (r, out) = try run(SandboxTest.request(["sh", "-c", "grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status"],
                                                   settings: SandboxSettings(seccomp: .none)))
        XCTAssertEqual(r.outcome, .ok, r.detail ?? "")
        XCTAssertEqual(out, """
            CapInh:\t0000000000000000
            CapPrm:\t00000000a80425fb
            CapEff:\t00000000a80425fb
            CapBnd:\t00000000a80425fb
            CapAmb:\t0000000000000000

            """)
    }

    /// Without seccomp in the way, the kernel itself refuses what needs a dropped capability.
    func testMountAndRawIOAreRefusedWithoutSeccomp() throws {
        let (r, out) = try run(SandboxTest.request(["sh", "-c", """
            mount -t tmpfs cleanroom-test /tmp 2>/dev/null && echo mounted || echo mount-refused
            python3 -c "import os; os.open('/dev/mem', os.O_RDONLY)" 2>/dev/null && echo mem-open || echo mem-refused
            """], settings: SandboxSettings(seccomp: .none)))
        XCTAssertEqual(r.outcome, .ok, r.detail ?? "")
        XCTAssertEqual(out, "mount-refused\nmem-refused\n")
    }
}
