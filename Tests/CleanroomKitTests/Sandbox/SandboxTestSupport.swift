import Foundation
import XCTest
@testable import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

/// Shared helpers for the sandbox tests, which run on the real kernel (root, this machine's cgroups).
enum SandboxTest {
    /// A scratch directory outside /tmp (private-tmp hides the host's /tmp from the workload).
    static func scratch(_ name: String = #function) -> String {
        let dir = TestFixtures.workRoot + "/sandbox-tests/\(getpid())-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// This host's v1/hybrid backend (root); skips elsewhere.
    static func hostV1Backend() throws -> CgroupV1Backend {
        try XCTSkipUnless(geteuid() == 0, "root needed")
        guard let b = SandboxHost.current.backend as? CgroupV1Backend else { throw XCTSkip("not a v1/hybrid host") }
        return b
    }

    /// A fake cgroup2 root (regular files) offering `controllers`, none enabled for children yet.
    /// The caller removes it.
    static func fakeCgroup2Root(controllers: String) throws -> String {
        let root = NSTemporaryDirectory() + "cleanroom-fake-cg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try (controllers + "\n").write(toFile: root + "/cgroup.controllers", atomically: true, encoding: .utf8)
        try "\n".write(toFile: root + "/cgroup.subtree_control", atomically: true, encoding: .utf8)
        return root
    }

    static func request(_ command: [String], cwd: String? = nil, limits: Limits = Limits(),
                        settings: SandboxSettings = SandboxSettings(), timeout: Double? = 20,
                        killGrace: Double = 1, outputLimit: Int = 1 << 20, env: [String: String] = [:],
                        expectExit: Int = 0, metricsFile: Bool = false) -> SandboxRequest {
        let dir = cwd ?? scratch()
        return SandboxRequest(command: command, cwd: dir, env: env, limits: limits, settings: settings,
                              timeout: timeout, killGrace: killGrace, outputLimit: outputLimit,
                              outputDirectory: dir + "/out", expectExit: expectExit, metricsFile: metricsFile)
    }

    static func stdout(_ r: SandboxRequest) -> String {
        (try? String(contentsOfFile: r.outputDirectory + "/stdout.txt", encoding: .utf8)) ?? ""
    }
    static func stderr(_ r: SandboxRequest) -> String {
        (try? String(contentsOfFile: r.outputDirectory + "/stderr.txt", encoding: .utf8)) ?? ""
    }

    /// Every process whose command line contains `marker`, other than us.
    static func processes(containing marker: String) -> [pid_t] {
        var out: [pid_t] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry), pid != getpid(),
                  let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { continue }
            let cmd = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            if cmd.contains(marker) { out.append(pid) }
        }
        return out
    }

    /// Our cgroups still present under any `cleanroom/` parent (v1 controllers and the unified tree).
    static func leftoverCgroups() -> [String] {
        let prefix = "cr-\(getpid())-"
        var out: [String] = []
        for h in ["memory", "cpu", "cpuacct", "pids", "blkio", "freezer", "unified", "cpu,cpuacct"] {
            let parent = "/sys/fs/cgroup/\(h)/cleanroom"
            for e in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] where e.hasPrefix(prefix) {
                out.append(parent + "/" + e)
            }
        }
        let v2 = "/sys/fs/cgroup/cleanroom"
        if FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers") {
            for e in (try? FileManager.default.contentsOfDirectory(atPath: v2)) ?? [] where e.hasPrefix(prefix) { out.append(v2 + "/" + e) }
        }
        return out
    }

    /// Asserts that nothing of the run is left: no process carrying `marker`, no cgroup of ours.
    static func assertNothingLeft(marker: String? = nil, file: StaticString = #filePath, line: UInt = #line) {
        if let m = marker {
            // A killed process can take a moment to be reaped by whoever its parent is.
            var left: [pid_t] = []
            for _ in 0..<50 {
                left = processes(containing: m)
                if left.isEmpty { break }
                usleep(20_000)
            }
            XCTAssertEqual(left, [], "processes left behind with marker \(m)", file: file, line: line)
            for p in left { kill(p, SIGKILL) }
        }
        XCTAssertEqual(leftoverCgroups(), [], "cgroups left behind", file: file, line: line)
        XCTAssertEqual(Sandbox.liveCount, 0, "runs still registered", file: file, line: line)
    }

    static var isRoot: Bool { geteuid() == 0 }
}

/// An observer that reads a few final cgroup counters before the sandbox removes the group —
/// the ground truth for limits (pids.peak, memory high-water mark).
final class CounterObserver: RunObserver {
    var start: RunStart?
    var pidsPeak: Int64?
    var memoryMax: Int64?
    var memoryLimit: Int64?
    var pidsMax: String?

    func started(_ run: RunStart) { start = run }

    func finished() -> RunObservation {
        guard let s = start else { return RunObservation() }
        func read(_ path: String) -> String? {
            (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if let p = s.paths.v1["pids"] {
            pidsPeak = read(p + "/pids.peak").flatMap { Int64($0) }
            pidsMax = read(p + "/pids.max")
        } else if let u = s.paths.unified {
            pidsPeak = read(u + "/pids.peak").flatMap { Int64($0) }
            pidsMax = read(u + "/pids.max")
        }
        if let m = s.paths.v1["memory"] {
            memoryMax = read(m + "/memory.max_usage_in_bytes").flatMap { Int64($0) }
            memoryLimit = read(m + "/memory.limit_in_bytes").flatMap { Int64($0) }
        }
        var f = Figures()
        if let peak = pidsPeak { f.set(.pidsPeak, Double(peak), source: "test observer pids.peak") }
        return RunObservation(figures: [.cgroup: f])
    }
}
