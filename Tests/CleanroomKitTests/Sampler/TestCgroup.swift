import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import CleanroomKit

/// Test-only stand-in for the sandbox's cgroup backend: real v1 groups under
/// /sys/fs/cgroup/<controller>/cleanroom/test-<pid>-<n> (+ the cgroup2 group for PSI), and a
/// launcher that puts a fixture into them before exec. Only ever touches its own directories
/// under a `cleanroom` parent; `destroy()` kills what it started and removes them.
final class TestCgroup {
    static let root = "/sys/fs/cgroup"
    static let controllers = ["memory", "cpu", "cpuacct", "pids", "blkio"]
    private static var counter = 0
    private static let lock = NSLock()

    let name: String
    private(set) var dirs: [String] = []
    let paths: CgroupPaths

    /// Skips the test when the host has no v1 hierarchy we can write (not root, pure v2 host).
    static func requireHybrid() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root to create cgroups") }
        guard access(root + "/memory/cgroup.procs", W_OK) == 0,
              access(root + "/unified/cgroup.procs", F_OK) == 0 else {
            throw XCTSkip("no writable hybrid cgroup layout (v1 controllers + /sys/fs/cgroup/unified)")
        }
    }

    init(unified: Bool = true) throws {
        try Self.requireHybrid()
        Self.lock.lock()
        Self.counter += 1
        let name = "test-\(getpid())-\(Self.counter)"
        Self.lock.unlock()
        self.name = name
        var v1: [String: String] = [:]
        var created: [String] = []
        let mkdirs = { (base: String) throws -> String in
            let parent = base + "/cleanroom"
            if mkdir(parent, 0o755) != 0 && errno != EEXIST { throw Self.error("mkdir \(parent)") }
            let dir = parent + "/" + name
            if mkdir(dir, 0o755) != 0 { throw Self.error("mkdir \(dir)") }
            return dir
        }
        do {
            for c in Self.controllers {
                let d = try mkdirs(Self.root + "/" + c)
                created.append(d)
                v1[c] = d
            }
            var u: String?
            if unified {
                let d = try mkdirs(Self.root + "/unified")
                created.append(d)
                u = d
            }
            dirs = created
            paths = CgroupPaths(mode: .hybrid, v1: v1, unified: u)
        } catch {
            for d in created.reversed() { rmdir(d) }
            throw error
        }
    }

    static func error(_ what: String) -> NSError {
        NSError(domain: "TestCgroup", code: Int(errno),
                userInfo: [NSLocalizedDescriptionKey: "\(what): \(String(cString: strerror(errno)))"])
    }

    /// Writes `value` to a control file of the group (e.g. cpu.cfs_quota_us).
    func write(_ controller: String, _ file: String, _ value: String) throws {
        let dir = controller == "unified" ? paths.unified! : paths.v1[controller]!
        guard BlkioInit.write(dir + "/" + file, value) else { throw Self.error("write \(file)") }
    }

    /// Kills every process still in the groups (only ours can be there) and removes the groups.
    func destroy() {
        for _ in 0..<50 {
            var left: [Int32] = []
            for d in dirs {
                _ = KernelFile.read(d + "/cgroup.procs") { b -> Bool? in KernelText.pids(b, into: &left); return true }
            }
            if left.isEmpty { break }
            for p in Set(left) { kill(p, SIGKILL) }
            usleep(20_000)
        }
        for d in dirs.reversed() {
            for _ in 0..<50 {
                if rmdir(d) == 0 || errno == ENOENT { break }
                usleep(20_000)
            }
        }
        dirs = []
    }

    deinit { destroy() }
}

/// One fixture run measured the way the sandbox will do it, in the documented order.
struct MeasuredRun {
    var result: SamplerResult
    var exitStatus: Int32
    var wallTime: Double
    var stdout: String
    var figures: Figures { result.figures }

    func metric(_ m: Metric) -> Double? { result.figures.metrics[m.rawValue] }
}

enum Launcher {
    /// Runs `argv` with its first process placed in every directory of `joining` (their
    /// cgroup.procs) before exec, sampled by a `Sampler` on `paths`.
    static func measure(paths: CgroupPaths, joining: [String], argv: [String], env: [String: String] = [:],
                        interval: Double = 0.05, network: NetworkMode = .host,
                        beforeSpawn: () throws -> Void = {}) throws -> MeasuredRun {
        try beforeSpawn()
        let sampler = Sampler(paths: paths, interval: interval, network: network)
        let out = NSTemporaryDirectory() + "cleanroom-sampler-\(getpid())-\(UUID().uuidString).out"
        defer { unlink(out) }
        let joins = joining.map { "echo $$ > '\($0)/cgroup.procs'" }.joined(separator: " && ")
        let script = (joins.isEmpty ? "" : joins + " && ") + "exec \"$@\""
        let args = ["/bin/sh", "-c", script, "sh"] + argv
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }

        let t0 = Clock.monotonicNanos()
        let pid = try spawn(args, env: environment, stdout: out)
        sampler.start(rootPID: pid, origin: t0)

        // Wait without reaping: the root stays a zombie, so /proc still answers for it.
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 {
            guard errno == EINTR else { throw TestCgroup.error("waitid") }
        }
        let tEnd = Clock.monotonicNanos()
        var result = sampler.stop()
        var status: Int32 = 0
        var ru = rusage()
        while wait4(pid, &status, 0, &ru) < 0 {
            guard errno == EINTR else { throw TestCgroup.error("wait4") }
        }
        let wall = Double(tEnd - t0) / 1e9
        result.complete(wallTime: wall, rusage: ru)
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return MeasuredRun(result: result, exitStatus: exit, wallTime: wall, stdout: text)
    }

    static func spawn(_ args: [String], env: [String: String], stdout: String) throws -> pid_t {
        var fa = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fa)
        defer { posix_spawn_file_actions_destroy(&fa) }
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&fa, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&fa, 1, 2)
        let cargs = args.map { strdup($0) } + [nil]
        let cenv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { cargs.forEach { free($0) }; cenv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, args[0], &fa, nil, cargs, cenv)
        guard rc == 0 else { errno = rc; throw TestCgroup.error("posix_spawn \(args[0])") }
        return pid
    }
}
