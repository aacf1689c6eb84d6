import Foundation
import XCTest
@testable import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

/// Seccomp policies on the real kernel: denials counted by name through user notification.
final class SandboxSeccompTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(SandboxTest.isRoot, "the sandbox tests need root")
    }
    override func tearDown() { SandboxTest.assertNothingLeft() }

    func settings(_ mode: SeccompMode) -> SandboxSettings { SandboxSettings(seccomp: mode) }

    func testDefaultDeniesPtraceAndMountAndCountsThemByName() throws {
        try XCTSkipUnless(SandboxHost.current.seccompNotify, "user notification needed for counting")
        let bin = try TestFixtures.binary("forbidden_syscall")
        let req = SandboxTest.request([bin, "ptrace", "3", "mount", "2"], settings: settings(.default))
        let r = try Sandbox.run(req)
        XCTAssertEqual(r.outcome, .ok, r.detail ?? "")
        XCTAssertEqual(r.seccompDenied, ["ptrace": 3, "mount": 2])
        XCTAssertEqual(SandboxTest.stdout(req), String(repeating: "ptrace -1 EPERM\n", count: 3) + String(repeating: "mount -1 EPERM\n", count: 2))
    }

    func testNoneAllowsPtraceTraceme() throws {
        let bin = try TestFixtures.binary("forbidden_syscall")
        let req = SandboxTest.request([bin, "ptrace", "1"], settings: settings(.none))
        let r = try Sandbox.run(req)
        XCTAssertEqual(r.outcome, .ok)
        XCTAssertEqual(r.seccompDenied, [:])
        XCTAssertEqual(SandboxTest.stdout(req), "ptrace 0 OK\n")
    }

    func testStrictRunsShPythonAndCc() throws {
        let dir = SandboxTest.scratch()
        try "int main(void){return 42;}\n".write(toFile: dir + "/m.c", atomically: true, encoding: .utf8)
        let script = "echo sh-ok; python3 -c 'import json,subprocess; print(\"py-ok\")'; cc -o m m.c && ./m; echo cc-exit:$?"
        let req = SandboxTest.request(["sh", "-c", script], cwd: dir, settings: settings(.strict))
        let r = try Sandbox.run(req)
        XCTAssertEqual(r.outcome, .ok, r.detail ?? "")
        XCTAssertEqual(SandboxTest.stdout(req), "sh-ok\npy-ok\ncc-exit:42\n", SandboxTest.stderr(req))
    }

    func testStrictDeniesWhatIsNotListed() throws {
        try XCTSkipUnless(SandboxHost.current.seccompNotify)
        let bin = try TestFixtures.binary("forbidden_syscall")
        let req = SandboxTest.request([bin, "reboot", "2"], settings: settings(.strict))
        let r = try Sandbox.run(req)
        XCTAssertEqual(r.seccompDenied["reboot"], 2)
        XCTAssertEqual(SandboxTest.stdout(req), "reboot -1 EPERM\nreboot -1 EPERM\n")
    }

    func testOCIProfileDenyingMkdir() throws {
        let dir = SandboxTest.scratch()
        let profile = dir + "/no-mkdir.json"
        try """
        {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
         "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
        """.write(toFile: profile, atomically: true, encoding: .utf8)
        let req = SandboxTest.request(["sh", "-c", "mkdir newdir 2>&1; test -d newdir && echo made || echo not-made"], cwd: dir,
                                      settings: settings(.profile(path: profile)))
        let r = try Sandbox.run(req)
        XCTAssertEqual(r.outcome, .ok, r.detail ?? "")
        let out = SandboxTest.stdout(req)
        XCTAssertTrue(out.contains("Permission denied"), out)   // errnoRet 13 = EACCES, as the profile says
        XCTAssertTrue(out.hasSuffix("not-made\n"), out)
        if SandboxHost.current.seccompNotify {
            XCTAssertEqual((r.seccompDenied["mkdir"] ?? 0) + (r.seccompDenied["mkdirat"] ?? 0), 1, "\(r.seccompDenied)")
        }
    }

    func testOCIProfileKillActionIsOutcomeSeccomp() throws {
        let dir = SandboxTest.scratch()
        let profile = dir + "/kill-ptrace.json"
        try #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["ptrace"],"action":"SCMP_ACT_KILL"}]}"#
            .write(toFile: profile, atomically: true, encoding: .utf8)
        let bin = try TestFixtures.binary("forbidden_syscall")
        let r = try Sandbox.run(SandboxTest.request([bin, "ptrace", "1"], cwd: dir, settings: settings(.profile(path: profile))))
        XCTAssertEqual(r.outcome, .seccomp, r.detail ?? "")
        XCTAssertEqual(r.signal, "SIGSYS")
    }

    /// Who loads the filter: with our policies the run's init, before spawning the workload (so
    /// the load's CPU is not in the workload's own rusage); with an OCI profile, which may refuse
    /// what the init still calls, the workload itself. /proc/PID/status says "Seccomp: 2" for a
    /// filtered process.
    func testTheInitLoadsOurPoliciesAndTheWorkloadAnOCIProfile() throws {
        let dir = SandboxTest.scratch()
        let profile = dir + "/allow.json"
        try #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["ptrace"],"action":"SCMP_ACT_ERRNO"}]}"#
            .write(toFile: profile, atomically: true, encoding: .utf8)
        let script = "grep -E '^Seccomp:' /proc/1/status /proc/self/status | sed 's|/proc/||'"
        for (mode, initFiltered) in [(SeccompMode.default, true), (.strict, true), (.profile(path: profile), false)] {
            let req = SandboxTest.request(["sh", "-c", script], cwd: dir, settings: settings(mode))
            let r = try Sandbox.run(req)
            XCTAssertEqual(r.outcome, .ok, "\(mode): \(r.detail ?? "") \(SandboxTest.stderr(req))")
            XCTAssertEqual(SandboxTest.stdout(req), "1/status:Seccomp:\t\(initFiltered ? 2 : 0)\nself/status:Seccomp:\t2\n", "\(mode)")
        }
    }

    func testBadProfileIsASetupError() throws {
        let dir = SandboxTest.scratch()
        try "{\"defaultAction\": \"SCMP_ACT_MAYBE\"}".write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Sandbox.run(SandboxTest.request(["true"], cwd: dir, settings: settings(.profile(path: dir + "/bad.json"))))) { e in
            XCTAssertTrue("\(e)".contains("defaultAction"), "\(e)")
        }
    }
}
