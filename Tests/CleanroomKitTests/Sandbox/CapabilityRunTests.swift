import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import CleanroomKit

/// `sandbox.capabilities` on the real kernel: an added capability is in the workload's and the
/// services' sets, and only when asked (docs/sandbox.md "Capabilities").
final class CapabilityRunTests: XCTestCase {
    override func setUpWithError() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root: the workload runs as uid 0") }
    }

    static let netAdmin: UInt64 = 1 << 12

    /// CapEff and CapBnd of the workload, as the kernel shows them in /proc/self/status.
    func sets(_ added: [String], settings: SandboxSettings = SandboxSettings(seccomp: .none)) throws -> (eff: UInt64, bnd: UInt64) {
        var s = settings
        s.capabilities = added
        let req = SandboxTest.request(["sh", "-c", "grep -E '^Cap(Eff|Bnd)' /proc/self/status"], settings: s)
        let r = try Sandbox.run(req)
        XCTAssertEqual(r.outcome, .ok, r.detail ?? "")
        return try Self.parse(SandboxTest.stdout(req))
    }

    static func parse(_ status: String) throws -> (eff: UInt64, bnd: UInt64) {
        var found: [String: UInt64] = [:]
        for line in status.split(separator: "\n") {
            let parts = line.split(separator: "\t")
            if parts.count == 2 { found[String(parts[0])] = UInt64(parts[1], radix: 16) }
        }
        return (try XCTUnwrap(found["CapEff:"], status), try XCTUnwrap(found["CapBnd:"], status))
    }

    func testAnAddedCapabilityIsPresentOnlyWhenAsked() throws {
        let plain = try sets([])
        XCTAssertEqual(plain.eff, 0xa80425fb)
        XCTAssertEqual(plain.eff & Self.netAdmin, 0, "NET_ADMIN is not kept by default")
        let added = try sets(["NET_ADMIN"])
        XCTAssertEqual(added.eff, 0xa80425fb | Self.netAdmin)
        XCTAssertEqual(added.bnd, 0xa80425fb | Self.netAdmin)
        // The default seccomp policy does not change the capability sets.
        XCTAssertEqual(try sets(["SYS_NICE"], settings: SandboxSettings()).eff, 0xa80425fb | 1 << 23)
    }

    /// What NET_ADMIN is for, in the run's own network namespace (harmless to the host): set
    /// `lo`'s MTU. Refused without it, done with it.
    func testNetAdminLetsTheWorkloadConfigureItsOwnNetwork() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") || FileManager.default.isExecutableFile(atPath: "/sbin/ip")
        else { throw XCTSkip("iproute2 (ip) not installed") }
        var outs: [String] = []
        for added in [[], ["cap_net_admin"]] {
            let req = SandboxTest.request(["sh", "-c", "PATH=$PATH:/usr/sbin:/sbin; ip link set lo mtu 1400 2>/dev/null && echo changed || echo refused"],
                                          settings: SandboxSettings(network: .none, seccomp: .none, capabilities: added.compactMap(Capabilities.canonical)))
            let r = try Sandbox.run(req)
            XCTAssertEqual(r.outcome, .ok, r.detail ?? "")
            outs.append(SandboxTest.stdout(req))
        }
        XCTAssertEqual(outs, ["refused\n", "changed\n"])
    }

    /// Services get the same set as the workload.
    func testServicesKeepTheSameSet() throws {
        for added in [[String](), ["NET_ADMIN"]] {
            var req = SandboxTest.request(["true"], settings: SandboxSettings(seccomp: .none, capabilities: added))
            req.services = [ServicePlan(name: "caps", command: ["sh", "-c", "grep -E '^Cap(Eff|Bnd)' /proc/self/status; echo READY; exec sleep 60"],
                                        ready: .log(regex: "READY"), readyTimeout: 10)]
            let r = try Sandbox.run(req)
            XCTAssertEqual(r.outcome, .ok, r.detail ?? "")
            let log = (try? String(contentsOfFile: req.outputDirectory + "/svc-caps.stdout.txt", encoding: .utf8)) ?? ""
            let sets = try Self.parse(log)
            XCTAssertEqual(sets.eff, Capabilities.mask(adding: added), "\(added)")
            XCTAssertEqual(sets.bnd, Capabilities.mask(adding: added), "\(added)")
        }
    }
}
