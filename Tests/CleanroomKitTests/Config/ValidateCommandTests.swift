import XCTest
@testable import CleanroomKit

/// Runs the built `cleanroom validate` and checks exit codes and output.
final class ValidateCommandTests: XCTestCase {
    /// The `cleanroom` executable sits next to the test bundle in .build/debug (on Linux the
    /// bundle is itself the test executable, so look beside it and inside its directory).
    private var binary: URL {
        let bundle = Bundle(for: ValidateCommandTests.self).bundleURL
        let candidates = [bundle.deletingLastPathComponent(), bundle,
                          URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
            .map { $0.appendingPathComponent("cleanroom") }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    private func run(_ args: [String]) throws -> (code: Int32, out: String, err: String) {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else { throw XCTSkip("no cleanroom binary at \(binary.path)") }
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        p.currentDirectoryURL = TestFixtures.repoRoot
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func testGoodFileExitsZeroWithASummary() throws {
        let r = try run(["validate", "Fixtures/configs/services.json"])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(r.out, "Fixtures/configs/services.json: 1 workload, 3 objectives\n")
        let top = try run(["validate"])
        XCTAssertEqual(top.code, 0, top.err)
        XCTAssertTrue(top.out.hasPrefix("slo.json: "), top.out)
    }

    func testBadFileExitsTwoWithEveryDiagnostic() throws {
        let r = try run(["validate", "Fixtures/configs/many-errors.json"])
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains("Fixtures/configs/many-errors.json:3:17: defaults.repat: unknown key \"repat\" (did you mean \"repeat\"?)"), r.err)
        XCTAssertTrue(r.err.contains("unknown unit \"milliseconds\" (try 10ms)"), r.err)
        XCTAssertTrue(r.err.hasSuffix("many-errors.json: 13 errors\n"), r.err)
        XCTAssertEqual(r.out, "")
    }

    func testJSONFormat() throws {
        let r = try run(["validate", "--format", "json", "Fixtures/configs/many-errors.json"])
        XCTAssertEqual(r.code, 2)
        let items = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [[String: Any]])
        XCTAssertEqual(items.count, 13)
        XCTAssertEqual(items[0]["path"] as? String, "defaults.repat")
        XCTAssertEqual(items[0]["line"] as? Int, 3)
        XCTAssertEqual(items[0]["column"] as? Int, 17)
        XCTAssertEqual(items[0]["hint"] as? String, "did you mean \"repeat\"?")
        let ok = try run(["validate", "--format", "json", "Fixtures/configs/minimal.json"])
        XCTAssertEqual(ok.code, 0)
        XCTAssertEqual(ok.out, "[]\n")
    }

    func testMissingFileAndUsageErrorsExitTwo() throws {
        let missing = try run(["validate", "does/not/exist.json"])
        XCTAssertEqual(missing.code, 2)
        XCTAssertTrue(missing.err.contains("does/not/exist.json: no such file"), missing.err)
        let usage = try run(["validate", "--format", "xml"])
        XCTAssertEqual(usage.code, 2, usage.err)
        let unknown = try run(["validate", "--bogus"])
        XCTAssertEqual(unknown.code, 2, unknown.err)
        let help = try run(["validate", "--help"])
        XCTAssertEqual(help.code, 0)
        XCTAssertTrue(help.out.contains("--format"), help.out)
        XCTAssertTrue(help.out.contains("default: text"), help.out)
        XCTAssertTrue(help.out.contains("cleanroom validate ci/slo.json"), help.out)
    }
}
