import Foundation
import XCTest
@testable import CleanroomKit

/// `sandbox.capabilities` and `exec --cap-add`: checked like every key (docs/sandbox.md "Capabilities").
final class CapabilityConfigTests: XCTestCase {
    func plan(_ workload: String, extra: String = "") throws -> WorkloadPlan {
        switch ConfigTestSupport.load(ConfigTestSupport.config(workload: workload, extra: extra)) {
        case .success(let p): return p.workloads[0]
        case .failure(let e): XCTFail("\(e.diagnostics)"); throw e
        }
    }

    func testNamesWithOrWithoutPrefixInAnyCaseAreOneCapability() throws {
        let w = try plan(#""sandbox": {"capabilities": ["NET_ADMIN", "cap_sys_nice", "Cap_Net_Admin"]}"#)
        XCTAssertEqual(w.sandbox.capabilities, ["NET_ADMIN", "SYS_NICE"])
        // CAP_NET_ADMIN is 12, CAP_SYS_NICE 23 (linux/capability.h), on top of Docker's 0xa80425fb.
        XCTAssertEqual(Capabilities.mask(adding: w.sandbox.capabilities), 0xa80425fb | 1 << 12 | 1 << 23)
        XCTAssertEqual(Capabilities.mask(adding: []), 0xa80425fb)
        XCTAssertEqual(Capabilities.mask(adding: ["ALL"]), UInt64.max)
        XCTAssertEqual(try plan(#""sandbox": {"capabilities": []}"#).sandbox.capabilities, [])
        XCTAssertEqual(Capabilities.all.count, 41, "CAP_CHOWN (0) … CAP_CHECKPOINT_RESTORE (40)")
        XCTAssertEqual(Capabilities.all.firstIndex(of: "BPF"), 39)
    }

    func testAWorkloadListReplacesTheDefaultsList() throws {
        let defaults = #""defaults": {"sandbox": {"capabilities": ["SYS_NICE"], "network": "host"}}"#
        XCTAssertEqual(try plan("", extra: defaults).sandbox.capabilities, ["SYS_NICE"])
        let own = try plan(#""sandbox": {"capabilities": ["NET_ADMIN"]}"#, extra: defaults)
        XCTAssertEqual(own.sandbox.capabilities, ["NET_ADMIN"])
        XCTAssertEqual(own.sandbox.network, .host, "other sandbox keys still merge key by key")
    }

    func testUnknownNamesAreErrorsWithPathAndHint() {
        let d = ConfigTestSupport.diagnostics(ConfigTestSupport.config(
            workload: #""sandbox": {"capabilities": ["NET_ADMN", "CAP_SYS_ADMIM", "FLY", 7]}"#))
        XCTAssertEqual(d.map(\.path), (0..<4).map { "workloads[0].sandbox.capabilities[\($0)]" })
        XCTAssertEqual(d[0].message, #"unknown capability "NET_ADMN""#)
        XCTAssertEqual(d[0].hint, #"did you mean "NET_ADMIN"?"#)
        XCTAssertEqual(d[1].hint, #"did you mean "SYS_ADMIN"?"#)
        XCTAssertTrue(d[2].hint?.hasPrefix("one of (with or without CAP_, any case): CHOWN, DAC_OVERRIDE") == true, d[2].hint ?? "")
        XCTAssertTrue(d[2].hint?.hasSuffix("CHECKPOINT_RESTORE, ALL") == true, d[2].hint ?? "")
        XCTAssertEqual(d[3].message, "expected a string, found a number")
        XCTAssertNotNil(d[0].caretOffset, "a caret under the bad name")
    }

    func testAStringOrAnObjectIsRefusedWithTheArrayForm() {
        let s = ConfigTestSupport.diagnostics(ConfigTestSupport.config(workload: #""sandbox": {"capabilities": "NET_ADMIN"}"#))
        XCTAssertEqual(s.map(\.path), ["workloads[0].sandbox.capabilities"])
        XCTAssertEqual(s.first?.hint, #"write ["NET_ADMIN"]"#)
        let key = ConfigTestSupport.diagnostics(ConfigTestSupport.config(workload: #""sandbox": {"cap_add": ["NET_ADMIN"]}"#))
        XCTAssertEqual(key.first?.hint, #"did you mean "capabilities"?"#)
        let misplaced = ConfigTestSupport.diagnostics(ConfigTestSupport.config(workload: #""capabilities": ["NET_ADMIN"]"#))
        XCTAssertEqual(misplaced.first?.hint, #"capabilities goes in "sandbox": { "capabilities": ... }"#)
    }

    func testExecCapAddIsCheckedByTheSameCode() {
        switch ExecFlags.plan(flags: [], env: [], command: ["true"], baseDirectory: "/", capAdd: ["net_admin", "CAP_SYS_NICE"]) {
        case .success(let w): XCTAssertEqual(w.sandbox.capabilities, ["NET_ADMIN", "SYS_NICE"])
        case .failure(let p): XCTFail("\(p.lines)")
        }
        switch ExecFlags.plan(flags: [], env: [], command: ["true"], baseDirectory: "/", capAdd: ["NET_ADMN", ""]) {
        case .success: XCTFail("unknown names must be refused")
        case .failure(let p):
            XCTAssertEqual(p.lines.first, #"--cap-add: unknown capability "NET_ADMN" (did you mean "NET_ADMIN"?)"#)
            XCTAssertEqual(p.lines.count, 2, "the empty name too: \(p.lines)")
        }
    }
}
