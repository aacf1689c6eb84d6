import XCTest
@testable import CleanroomKit

/// `cleanroom exec`'s flags become a one-workload config read by the slo.json code.
final class ExecFlagsTests: XCTestCase {
    func testTheNumberGrammarIsRFC8259s() {
        for ok in ["0", "512", "-1", "1.5", "-0.25", "1e9", "2E-3", "6.02e+23"] {
            XCTAssertTrue(ExecFlags.isJSONNumber(ok), ok)
        }
        for bad in ["", "-", "01", "1.", ".5", "1e", "1e+", "+1", "512MiB", "1 ", " 1", "0x10", "1.2.3", "NaN"] {
            XCTAssertFalse(ExecFlags.isJSONNumber(bad), bad)
        }
    }

    func testFlagsMeanWhatTheirSloJsonKeysMean() throws {
        let flags = [ExecFlags.Flag("--memory", "512MiB"), ExecFlags.Flag("--timeout", "2"), ExecFlags.Flag("--cpus", "1.5"),
                     ExecFlags.Flag("--pids", "64"), ExecFlags.Flag("--network", "host"), ExecFlags.Flag("--expect-exit", "3")]
        switch ExecFlags.plan(flags: flags, env: ["A=1", "B=x=y", "A=2"], command: ["sh", "-c", "echo \"$A\""], baseDirectory: "/") {
        case .failure(let p): XCTFail("\(p.lines)")
        case .success(let w):
            XCTAssertEqual(w.command, ["sh", "-c", "echo \"$A\""])
            XCTAssertEqual(w.limits.memory, 512 << 20)
            XCTAssertEqual(w.timeout, 2, "a bare number is the base unit, seconds")
            XCTAssertEqual(w.limits.cpus, 1.5)
            XCTAssertEqual(w.limits.pids, 64)
            XCTAssertEqual(w.sandbox.network, .host)
            XCTAssertEqual(w.expectExit, 3)
            XCTAssertEqual(w.env["A"], "2", "a repeated --env KEY: the last wins")
            XCTAssertEqual(w.env["B"], "x=y")
        }
        switch ExecFlags.plan(flags: [ExecFlags.Flag("--network", "banana"), ExecFlags.Flag("--memory", "lots")],
                              env: ["=x"], command: ["true"], baseDirectory: "/") {
        case .success: XCTFail("bad flags accepted")
        case .failure(let p):
            XCTAssertEqual(p.lines.count, 3, "\(p.lines)")
            XCTAssertTrue(p.lines.contains { $0.hasPrefix("--network banana: ") }, "\(p.lines)")
            XCTAssertTrue(p.lines.contains { $0.hasPrefix("--memory lots: ") }, "\(p.lines)")
            XCTAssertTrue(p.lines.contains { $0.hasPrefix("--env =x: ") }, "\(p.lines)")
        }
    }
}
