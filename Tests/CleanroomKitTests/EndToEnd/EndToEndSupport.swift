import Foundation
import XCTest
@testable import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

/// Base class of the end-to-end tests: skips without root or the built binary, and removes the
/// scratch directories of a test that passed.
class EndToEndTestCase: XCTestCase {
    override func setUpWithError() throws { try E2E.requireRunnable() }
    override func tearDown() {
        // Not `hasSucceeded`: corelibs XCTest says false until the run has stopped, after tearDown.
        E2E.removeScratch(keep: (testRun?.totalFailureCount ?? 1) > 0)
        super.tearDown()
    }
}

/// End-to-end helpers: run the built `cleanroom` binary on slo.json files written to scratch
/// directories, with real workloads in real sandboxes, and read what it wrote.
enum E2E {
    /// The `cleanroom` executable next to the test bundle (.build/debug).
    static var binary: String {
        let bundle = Bundle(for: BundleMarker.self).bundleURL
        let candidates = [bundle.deletingLastPathComponent(), bundle,
                          URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
                          TestFixtures.repoRoot.appendingPathComponent(".build/debug")]
            .map { $0.appendingPathComponent("cleanroom").path }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }

    final class BundleMarker {}

    /// Skips unless root (sandboxes need cgroups and namespaces) and the binary is built.
    static func requireRunnable() throws {
        try XCTSkipUnless(geteuid() == 0, "root needed for real sandboxes")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: binary), "build the cleanroom executable first")
    }

    /// A fresh directory outside /tmp: with `filesystem: private-tmp` the workload sees its own
    /// /tmp, so its cwd (where hooks append their lines) must live elsewhere.
    static func scratch() -> String {
        let dir = TestFixtures.repoRoot.appendingPathComponent(".build/e2e-tests/\(getpid())-\(UUID().uuidString.prefix(8))").path
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        scratchLock.lock(); scratchDirs.append(dir); scratchLock.unlock()
        return dir
    }

    private static let scratchLock = NSLock()
    nonisolated(unsafe) private static var scratchDirs: [String] = []

    /// Removes the scratch directories made so far; kept when the test failed, to look into.
    static func removeScratch(keep: Bool) {
        scratchLock.lock(); let dirs = scratchDirs; scratchDirs = []; scratchLock.unlock()
        guard !keep else { return }
        for d in dirs { try? FileManager.default.removeItem(atPath: d) }
    }

    struct Result: CustomStringConvertible {
        var code: Int32
        var out: String
        var err: String
        var seconds: Double
        var pid: pid_t
        var description: String { "exit \(code) after \(String(format: "%.2f", seconds)) s\n--- stdout\n\(out)--- stderr\n\(err)" }
    }

    /// A started `cleanroom` process whose output goes to files (no pipe can fill up and block it).
    final class Running {
        let process = Process()
        let outPath: String
        let errPath: String
        let started = Date()
        var pid: pid_t { process.processIdentifier }

        init(_ args: [String], in dir: String, env: [String: String]) throws {
            let id = UUID().uuidString.prefix(8)
            outPath = dir + "/.cleanroom-\(id).out"
            errPath = dir + "/.cleanroom-\(id).err"
            FileManager.default.createFile(atPath: outPath, contents: nil)
            FileManager.default.createFile(atPath: errPath, contents: nil)
            process.executableURL = URL(fileURLWithPath: E2E.binary)
            process.arguments = args
            process.currentDirectoryURL = URL(fileURLWithPath: dir)
            process.environment = env
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle(forWritingAtPath: outPath)
            process.standardError = FileHandle(forWritingAtPath: errPath)
            try process.run()
        }

        func wait() -> Result {
            process.waitUntilExit()
            let secs = Date().timeIntervalSince(started)
            let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
            let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            return Result(code: process.terminationStatus, out: out, err: err, seconds: secs, pid: process.processIdentifier)
        }
    }

    /// A clean environment: no CI history, webhooks or TTY detection leaking in from the caller.
    static var environment: [String: String] {
        let host = ProcessInfo.processInfo.environment
        var env: [String: String] = ["CI": "1", "LANG": "C.UTF-8"]
        for k in ["PATH", "HOME"] { if let v = host[k] { env[k] = v } }
        return env
    }

    /// Runs `cleanroom ARGS` in `dir` to completion.
    @discardableResult
    static func cleanroom(_ args: [String], in dir: String, env: [String: String] = E2E.environment) throws -> Result {
        try Running(args, in: dir, env: env).wait()
    }

    /// Runs `executable ARGS` to completion with stdout and stderr in one pipe: its exit status and
    /// what it printed. In `dir` when given.
    static func combinedOutput(_ executable: String, _ args: [String], env: [String: String] = E2E.environment,
                               in dir: String? = nil) throws -> (status: Int32, text: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        p.environment = env
        if let dir { p.currentDirectoryURL = URL(fileURLWithPath: dir) }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text)
    }

    /// Writes `config` as `dir/name` and returns its path.
    @discardableResult
    static func writeConfig(_ config: [String: Any], in dir: String, name: String = "slo.json") throws -> String {
        let path = dir + "/" + name
        let data = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A config with the given workloads and objectives; `defaults` are merged over small, quick
    /// ones (repeat 3, 20 s timeout, 1 s kill grace).
    static func config(workloads: [[String: Any]], slos: [[String: Any]], defaults: [String: Any] = [:]) -> [String: Any] {
        var d: [String: Any] = ["repeat": 3, "timeout": "20s", "kill_grace": "1s", "sampling": "20ms"]
        for (k, v) in defaults { d[k] = v }
        return ["version": 1, "defaults": d, "workloads": workloads, "slos": slos]
    }

    /// report.json as a JSON tree.
    static func report(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let data = try XCTUnwrap(FileManager.default.contents(atPath: path), "no report at \(path)", file: file, line: line)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any], file: file, line: line)
    }

    static func workloads(_ report: [String: Any]) -> [[String: Any]] { report["workloads"] as? [[String: Any]] ?? [] }
    static func slos(_ report: [String: Any]) -> [[String: Any]] { report["slos"] as? [[String: Any]] ?? [] }

    static func workload(_ report: [String: Any], _ name: String) -> [String: Any]? {
        workloads(report).first { $0["name"] as? String == name }
    }

    static func runs(_ report: [String: Any], _ name: String) -> [[String: Any]] {
        workload(report, name)?["runs"] as? [[String: Any]] ?? []
    }

    static func measuredRuns(_ report: [String: Any], _ name: String) -> [[String: Any]] {
        runs(report, name).filter { ($0["warmup"] as? Bool) != true }
    }

    /// The objective result `name` for `workload` (nil workload: the only one of that name).
    static func slo(_ report: [String: Any], _ name: String, workload: String? = nil) -> [String: Any]? {
        slos(report).first { $0["name"] as? String == name && (workload == nil || $0["workload"] as? String == workload) }
    }

    static func status(_ report: [String: Any], _ name: String, workload: String? = nil) -> String? {
        slo(report, name, workload: workload)?["status"] as? String
    }

    static func wallTimes(_ report: [String: Any], _ name: String) -> [Double] {
        measuredRuns(report, name).compactMap { ($0["metrics"] as? [String: Any])?["wall_time"] as? Double }
    }

    // MARK: leftovers

    /// Processes (other than us) whose command line contains `marker`.
    static func processes(containing marker: String) -> [pid_t] { SandboxTest.processes(containing: marker) }

    /// Run cgroups made by the cleanroom process `pid` (names `cr-<pid>-…`) under any
    /// `cleanroom/` parent: every v1 hierarchy, the unified tree and a pure cgroup2 mount.
    static func cgroups(ofCleanroomPID pid: pid_t) -> [String] {
        let prefix = "cr-\(pid)-"
        var parents = ["/sys/fs/cgroup/cleanroom"]
        for h in (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [] {
            parents.append("/sys/fs/cgroup/\(h)/cleanroom")
        }
        var out: [String] = []
        for parent in parents {
            for e in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] where e.hasPrefix(prefix) {
                out.append(parent + "/" + e)
            }
        }
        return out
    }

    /// Asserts that `cleanroom` (pid) left no cgroup and no process carrying `marker`; kills
    /// stragglers (by PID) so one failure does not leak into the next test.
    static func assertNothingLeft(cleanroomPID pid: pid_t, marker: String? = nil,
                                  file: StaticString = #filePath, line: UInt = #line) {
        if let marker {
            var left: [pid_t] = []
            for _ in 0..<50 {
                left = processes(containing: marker)
                if left.isEmpty { break }
                usleep(20_000)
            }
            XCTAssertEqual(left, [], "processes left behind carrying \(marker)", file: file, line: line)
            for p in left { kill(p, SIGKILL) }
        }
        XCTAssertEqual(cgroups(ofCleanroomPID: pid), [], "cgroups left behind by cleanroom \(pid)", file: file, line: line)
    }

    /// A `sh -c` workload.
    static func sh(_ script: String) -> [String] { ["/bin/sh", "-c", script] }
}
