import Foundation
import XCTest
@testable import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

/// `cleanroom exec` end to end through the built binary: exit codes and --json.
final class ExecCommandTests: XCTestCase {
    var binary = ""

    override func setUpWithError() throws {
        try XCTSkipUnless(geteuid() == 0, "root needed")
        binary = TestFixtures.repoRoot.appendingPathComponent(".build/debug/cleanroom").path
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: binary), "build the cleanroom executable first")
    }

    func exec(_ args: [String]) throws -> (Int32, String, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["exec"] + args
        p.currentDirectoryURL = URL(fileURLWithPath: SandboxTest.scratch())
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func testExitCodesFollowTheContract() throws {
        XCTAssertEqual(try exec(["--", "sh", "-c", "echo hi; exit 5"]).0, 5, "the workload's own code")
        let (code, out, err) = try exec(["--", "sh", "-c", "echo to-stdout; echo to-stderr >&2"])
        XCTAssertEqual(code, 0)
        XCTAssertEqual(out, "to-stdout\n", "captured output is shown after the run")
        XCTAssertTrue(err.hasPrefix("to-stderr\ncleanroom: ok"), err)
        XCTAssertEqual(try exec(["--timeout", "300ms", "--", "sleep", "5"]).0, 1, "timeout")
        XCTAssertEqual(try exec(["--memory", "10 parsecs", "--", "true"]).0, 2, "usage")
        XCTAssertEqual(try exec(["--", "no-such-command-x"]).0, 127)
        let bad = SandboxTest.scratch() + "/bad.json"
        try "[]".write(toFile: bad, atomically: true, encoding: .utf8)
        XCTAssertEqual(try exec(["--seccomp", bad, "--", "true"]).0, 3, "sandbox could not be set up")
        SandboxTest.assertNothingLeft()
    }

    /// `exec -- COMMAND` and `exec COMMAND` with no option skip ArgumentParser (main.swift's fast
    /// path); with an option given (here the default spelled out) it parses them. Same run either way.
    func testTheOptionlessFormsBehaveAsTheParsedOne() throws {
        let script = ["sh", "-c", "echo out; echo err >&2; exit 7"]
        for args in [["--"] + script, script, ["--network", "none", "--"] + script] {
            let (code, out, err) = try exec(args)
            XCTAssertEqual(code, 7, "\(args)")
            XCTAssertEqual(out, "out\n", "\(args)")
            XCTAssertTrue(err.hasPrefix("err\ncleanroom: failed · exit 7 · wall_time "), "\(args): \(err)")
        }
        // A leading option-looking word is never a program: ArgumentParser (or our hint) answers.
        let (code, _, err) = try exec(["--memroy", "1GiB", "--", "true"])
        XCTAssertEqual(code, 2)
        XCTAssertTrue(err.contains("--memory"), err)
        XCTAssertEqual(try exec(["--"]).0, 2, "no command")
        SandboxTest.assertNothingLeft()
    }

    func testSIGINTTearsDownAndExits130() throws {
        let marker = "cleanroom-sigint-\(UUID().uuidString.prefix(8))"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["exec", "--", "sh", "-c", "sleep 30; echo \(marker)"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Wait until the workload runs (its sleep is in a cgroup of the exec process).
        var waited = 0
        while SandboxTest.processes(containing: marker).count < 2 && waited < 100 { usleep(20_000); waited += 1 }
        let t = Monotonic.now
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 130)
        XCTAssertLessThan(Monotonic.now - t, 3)
        SandboxTest.assertNothingLeft(marker: marker)
        let prefix = "cr-\(p.processIdentifier)-"
        let left = ["memory", "pids", "unified"].flatMap { h in
            ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup/\(h)/cleanroom")) ?? []).filter { $0.hasPrefix(prefix) }
        }
        XCTAssertEqual(left, [], "the exec process removed its cgroups before exiting")
    }

    func testJsonIsARunRecord() throws {
        let (code, out, _) = try exec(["--json", "--pids", "16", "--", "sh", "-c", "exit 3"])
        XCTAssertEqual(code, 3)
        let record = try JSONDecoder().decode(RunRecord.self, from: Data(out.utf8))
        XCTAssertEqual(record.outcome, .failed)
        XCTAssertEqual(record.exitCode, 3)
        XCTAssertNotNil(record.metrics["wall_time"])
        XCTAssertNotNil(record.metrics["startup_time"])
        let obj = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any]
        XCTAssertEqual(obj?["degraded"] as? [String], [])
    }

    /// Started with standard output closed, cleanroom holds descriptor 1 with a read-only
    /// placeholder for its whole life: no file it opens can take the number and receive the
    /// report meant for stdout (this test once saw `exec --json … >&-` exit 0, its JSON written
    /// into whatever had taken descriptor 1).
    func testAClosedStandardOutputKeepsItsNumberForTheWholeRun() throws {
        let dir = SandboxTest.scratch()
        let sh = Process()
        sh.executableURL = URL(fileURLWithPath: "/bin/sh")
        sh.arguments = ["-c", "exec \"$0\" exec --filesystem host -- sh -c 'touch started; sleep 30' >&-", binary]
        sh.currentDirectoryURL = URL(fileURLWithPath: dir)
        sh.standardError = FileHandle.nullDevice
        try sh.run()
        // The event: the workload runs, so cleanroom has made its groups, pipes and sampler.
        while !FileManager.default.fileExists(atPath: dir + "/started"), sh.isRunning { usleep(20_000) }
        XCTAssertTrue(sh.isRunning, "cleanroom ended before its workload started")
        let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(sh.processIdentifier)/fd/1")) ?? "none"
        let flags = (try? String(contentsOfFile: "/proc/\(sh.processIdentifier)/fdinfo/1", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("flags:") }
            .flatMap { Int($0.dropFirst(6).trimmingCharacters(in: .whitespaces), radix: 8) }
        kill(sh.processIdentifier, SIGTERM)
        sh.waitUntilExit()
        XCTAssertEqual(target, "/dev/null")
        XCTAssertEqual(flags.map { Int32($0) & O_ACCMODE }, O_RDONLY, "descriptor 1 is writable")
        SandboxTest.assertNothingLeft()
    }

    /// The reader of cleanroom's standard output gone (`cleanroom exec --json … | head -0`) or
    /// the descriptor closed: a named output error and exit 3, never a trap (Foundation's
    /// FileHandle.write traps on EPIPE/EBADF: this exited 132 with SIGILL).
    func testAnUnwritableStandardOutputIsAnErrorNotATrap() throws {
        for args in [["exec", "--json", "--", "true"], ["exec", "--", "echo", "hi"], ["doctor", "--json"]] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = args
            p.currentDirectoryURL = URL(fileURLWithPath: SandboxTest.scratch())
            let out = Pipe(), err = Pipe()
            p.standardOutput = out
            p.standardError = err
            try p.run()
            try out.fileHandleForReading.close()   // no reader left: every write gets EPIPE
            let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationReason, .exit, "\(args): \(e)")
            XCTAssertEqual(p.terminationStatus, 3, "\(args): \(e)")
            XCTAssertTrue(e.contains("cannot write to standard output: Broken pipe"), "\(args): \(e)")
            XCTAssertFalse(e.contains("Fatal error"), e)
        }
        let sh = Process()
        sh.executableURL = URL(fileURLWithPath: "/bin/sh")
        sh.arguments = ["-c", "exec \"$0\" exec --json -- true >&-", binary]
        sh.currentDirectoryURL = URL(fileURLWithPath: SandboxTest.scratch())
        let err = Pipe()
        sh.standardError = err
        try sh.run()
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        sh.waitUntilExit()
        XCTAssertEqual(sh.terminationStatus, 3, e)
        XCTAssertTrue(e.contains("cannot write to standard output: Bad file descriptor"), e)
        SandboxTest.assertNothingLeft()
    }
}
