import ArgumentParser
import CleanroomKit
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `cleanroom exec`: one command in a sandbox, its real figures, its exit code.
///
/// The workload's stdout/stderr are captured to files in a temporary directory (capped at
/// --output-limit, the tail kept) and, without --json, printed after the run to our own
/// stdout/stderr, followed by a one-line summary on stderr. With --json only the run record is
/// printed (the output files' paths are in it and the directory is kept).
struct ExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run one command in a sandbox and report what it used.",
        discussion: """
        Exit code: the command's own; 1 when it ended by timeout, OOM kill, seccomp kill or another \
        signal; 2 for usage errors; 3 when the sandbox could not be set up (or, with --strict, a \
        limit or isolation could not be enforced).

        Example: cleanroom exec --memory 256MiB --timeout 10s -- make test
        """)

    @Option(help: "Memory limit, no swap (e.g. 256MiB).") var memory: String?
    @Option(help: "CPU quota in cores (e.g. 1.5).") var cpus: Double?
    @Option(help: "Maximum number of processes/threads.") var pids: Int?
    @Option(name: .customLong("disk-read-rate"), help: "Read rate limit on cwd's disk (e.g. 20MB/s).") var diskReadRate: String?
    @Option(name: .customLong("disk-write-rate"), help: "Write rate limit on cwd's disk (e.g. 20MB/s).") var diskWriteRate: String?
    @Option(help: "Kill the run after this long (e.g. 10s).") var timeout: String?
    @Option(name: .customLong("kill-grace"), help: "Time between SIGTERM and SIGKILL.") var killGrace: String = "2s"
    @Option(help: "none (only loopback) or host.") var network: String = "none"
    @Option(help: "default, strict, none, or an OCI/Docker seccomp JSON profile.") var seccomp: String = "default"
    @Option(help: "host, private-tmp or readonly.") var filesystem: String = "private-tmp"
    @Option(name: .customLong("output-limit"), help: "Bytes of stdout and of stderr kept (the tail).") var outputLimit: String = "16MiB"
    @Option(name: .customLong("expect-exit"), help: "Exit code that counts as ok.") var expectExit: Int = 0
    @Option(name: .customLong("env"), help: "Extra environment KEY=VALUE (repeatable).") var envs: [String] = []
    @Option(help: "Working directory (default: the current one).") var cwd: String?
    @Option(help: "Sampling interval of the CPU and memory time series.") var sampling: String = "50ms"
    @Flag(help: "Exit 3 instead of running when something asked for cannot be enforced.") var strict = false
    @Flag(help: "Print the run record as JSON (the shape of report.json's runs).") var json = false
    @Argument(parsing: .captureForPassthrough, help: "-- COMMAND [ARG ...]") var command: [String] = []

    func parse<T>(_ what: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw ValidationError("--\(what): \(error)") }
    }

    func run() throws {
        var argv = command
        if argv.first == "--" { argv.removeFirst() }
        guard !argv.isEmpty else { throw ValidationError("no command given: cleanroom exec [OPTIONS] -- COMMAND [ARG ...]") }
        var limits = Limits()
        if let m = memory { limits.memory = UInt64(try parse("memory") { try Units.parse(m, as: .bytes) }) }
        if let c = cpus { guard c > 0 else { throw ValidationError("--cpus must be > 0") }; limits.cpus = c }
        if let p = pids { guard p > 0 else { throw ValidationError("--pids must be > 0") }; limits.pids = p }
        if let r = diskReadRate { limits.diskReadRate = UInt64(try parse("disk-read-rate") { try Units.parse(r, as: .rate) }) }
        if let w = diskWriteRate { limits.diskWriteRate = UInt64(try parse("disk-write-rate") { try Units.parse(w, as: .rate) }) }
        let timeoutS = try timeout.map { t in try parse("timeout") { try Units.parse(t, as: .duration) } }
        let grace = try parse("kill-grace") { try Units.parse(killGrace, as: .duration) }
        let limit = try parse("output-limit") { try Units.parse(outputLimit, as: .bytes) }
        let interval = try parse("sampling") { try Units.parse(sampling, as: .duration) }
        guard interval >= 0.001 else { throw ValidationError("--sampling must be at least 1ms") }
        guard let net = NetworkMode(rawValue: network) else { throw ValidationError("--network must be none or host") }
        guard let fs = FilesystemMode(rawValue: filesystem) else { throw ValidationError("--filesystem must be host, private-tmp or readonly") }
        let sc = SeccompMode(seccomp)
        if case .profile(let path) = sc, !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("--seccomp: \(path) is neither default, strict, none nor an existing profile file")
        }
        var env: [String: String] = [:]
        for e in envs {
            guard let eq = e.firstIndex(of: "="), eq != e.startIndex else { throw ValidationError("--env needs KEY=VALUE, got \(e)") }
            env[String(e[..<eq])] = String(e[e.index(after: eq)...])
        }
        let dir = cwd.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? FileManager.default.currentDirectoryPath
        let outDir = FileManager.default.temporaryDirectory.appendingPathComponent("cleanroom-exec-\(getpid())").path

        let request = SandboxRequest(command: argv, cwd: dir, env: env, limits: limits,
                                     settings: SandboxSettings(network: net, seccomp: sc, filesystem: fs),
                                     timeout: timeoutS, killGrace: grace, outputLimit: Int(limit),
                                     outputDirectory: outDir, expectExit: expectExit, metricsFile: true, strict: strict)
        let degraded = Sandbox.degradations(for: request)
        SignalTeardown.install()
        let record: RunRecord
        do {
            record = try SandboxExecutor.measuredRun(request, sampling: interval)
        } catch {
            fputs("cleanroom: \(error)\n", stderr)
            Glibc.exit(ExitStatus.environment)
        }
        if SignalTeardown.caught != 0 {
            fputs("cleanroom: interrupted by signal \(SignalTeardown.caught); the sandbox was torn down\n", stderr)
            Glibc.exit(130)
        }
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            var obj = try JSONSerialization.jsonObject(with: enc.encode(record)) as! [String: Any]
            obj["degraded"] = degraded
            let data = try JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys])
            FileHandle.standardOutput.write(data)
            FileHandle.standardOutput.write("\n".data(using: .utf8)!)
        } else {
            if let o = FileManager.default.contents(atPath: outDir + "/stdout.txt") { FileHandle.standardOutput.write(o) }
            if let e = FileManager.default.contents(atPath: outDir + "/stderr.txt") { FileHandle.standardError.write(e) }
            try? FileManager.default.removeItem(atPath: outDir)
            fputs(Self.summary(record, degraded: degraded) + "\n", stderr)
        }
        Glibc.exit(Self.exitCode(record))
    }

    static func exitCode(_ r: RunRecord) -> Int32 {
        switch r.outcome {
        case .ok, .failed: return Int32(r.exitCode ?? 1)
        case .error:
            // As shells and `docker run` do: 127 command not found, 126 found but not executable.
            let d = r.detail ?? ""
            if d.hasPrefix("command not found") || (d.hasPrefix("execve") && d.hasSuffix("(ENOENT)")) { return 127 }
            if d.hasPrefix("execve") { return 126 }
            return 1
        case .timeout, .oom, .seccomp, .killed: return 1
        }
    }

    static func summary(_ r: RunRecord, degraded: [String]) -> String {
        var parts = ["cleanroom: \(r.outcome.rawValue)"]
        if let c = r.exitCode { parts.append("exit \(c)") }
        if let s = r.signal { parts.append(s) }
        for (key, dim) in [("wall_time", Dimension.duration), ("startup_time", .duration), ("cpu_time", .duration)] {
            if let v = r.metrics[key] { parts.append("\(key) \(Units.format(v, dim))") }
        }
        if !r.seccompDenied.isEmpty {
            parts.append("seccomp denied " + r.seccompDenied.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " "))
        }
        if r.output?.truncated == true { parts.append("output truncated to the tail") }
        var line = parts.joined(separator: " · ")
        if let d = r.detail { line += "\n  " + d }
        for d in degraded { line += "\n  not enforced: " + d }
        return line
    }
}
