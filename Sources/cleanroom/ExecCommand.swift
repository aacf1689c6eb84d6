import ArgumentParser
import CleanroomKit
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `cleanroom exec`: one command in a sandbox, its real figures, its exit code.
///
/// The workload's stdout/stderr are captured to files in a private scratch directory
/// (`ExecScratch`; capped at --output-limit, the tail kept) and, without --json, printed after the
/// run to our own stdout/stderr, followed by a one-line summary on stderr. With --json only the
/// run record is printed, the kept output as text in it. The directory goes on every exit path.
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

    @Option(help: "Memory limit, no swap (e.g. 256MiB; at least 1MiB).") var memory: String?
    @Option(help: "CPU quota in cores (e.g. 1.5; above 0, at most 4096).") var cpus: String?
    @Option(help: "Maximum number of processes/threads (1 to 4194304).") var pids: String?
    @Option(name: .customLong("disk-read-rate"), help: "Read rate limit on cwd's disk (e.g. 20MB/s).") var diskReadRate: String?
    @Option(name: .customLong("disk-write-rate"), help: "Write rate limit on cwd's disk (e.g. 20MB/s).") var diskWriteRate: String?
    @Option(help: "Kill the run after this long (e.g. 10s; default: no timeout).") var timeout: String?
    @Option(name: .customLong("kill-grace"), help: "Time between SIGTERM and SIGKILL (default 2s).") var killGrace: String?
    @Option(help: "none (only loopback; the default) or host.") var network: String?
    @Option(help: "default, strict, none, or an OCI/Docker seccomp JSON profile (default: default).") var seccomp: String?
    @Option(help: "host, private-tmp (the default) or readonly.") var filesystem: String?
    @Option(name: .customLong("output-limit"), help: "Bytes of stdout and of stderr kept, the tail (default 16MiB).") var outputLimit: String?
    @Option(name: .customLong("expect-exit"), help: "Exit code that counts as ok (0 to 255; default 0).") var expectExit: String?
    @Option(name: .customLong("env"), help: "Extra environment KEY=VALUE (repeatable).") var envs: [String] = []
    @Option(name: .customLong("cap-add"), help: "Add a capability to Docker's default set (e.g. NET_ADMIN; CAP_ prefix and case optional; ALL; repeatable).")
    var capAdd: [String] = []
    @Option(help: "Working directory (default: the current one).") var cwd: String?
    @Option(help: "Sampling interval of the CPU and memory time series (default 50ms).") var sampling: String?
    @Flag(help: "Exit 3 instead of running when something asked for cannot be enforced.") var strict = false
    @Flag(help: "Print the run record as JSON (the shape of report.json's runs).") var json = false
    @Argument(parsing: .captureForPassthrough, help: "-- COMMAND [ARG ...]") var command: [String] = []

    /// The flags given, as `ExecFlags` reads them (with the slo.json key each stands for).
    var givenFlags: [ExecFlags.Flag] {
        let all: [(String, String?)] = [
            ("--memory", memory), ("--cpus", cpus), ("--pids", pids), ("--disk-read-rate", diskReadRate),
            ("--disk-write-rate", diskWriteRate), ("--timeout", timeout), ("--kill-grace", killGrace),
            ("--network", network), ("--seccomp", seccomp), ("--filesystem", filesystem),
            ("--output-limit", outputLimit), ("--expect-exit", expectExit), ("--cwd", cwd), ("--sampling", sampling),
        ]
        return all.compactMap { name, value in value.map { ExecFlags.Flag(name, $0) } }
    }

    static let flagNames = ["--memory", "--cpus", "--pids", "--disk-read-rate", "--disk-write-rate", "--timeout",
                            "--kill-grace", "--network", "--seccomp", "--filesystem", "--output-limit", "--expect-exit",
                            "--env", "--cap-add", "--cwd", "--sampling", "--strict", "--json", "--help"]

    func run() throws {
        var argv = command
        // Everything from the first word that is not one of our options is captured as the
        // command; a leading `-…` there is an option we do not know (or --help), not a program.
        if let first = argv.first, first != "--", first.hasPrefix("-") {
            if first == "--help" || first == "-h" { throw CleanExit.helpRequest(ExecCommand.self) }
            let name = String(first.split(separator: "=", maxSplits: 1).first ?? "")
            let near = ExecCommand.flagNames.min { Units.editDistance($0, name) < Units.editDistance($1, name) }
            let hint = near.flatMap { Units.editDistance($0, name) <= 3 ? "did you mean \($0)?" : nil }
                ?? "options go before --, the command after it: cleanroom exec [OPTIONS] -- COMMAND [ARG ...]"
            fputs("cleanroom exec: unknown option \(ConsoleText.escape(name)) (\(hint)); see cleanroom exec --help\n", stderr)
            throw ExitCode(ExitStatus.usage)
        }
        if argv.first == "--" { argv.removeFirst() }
        guard !argv.isEmpty else { throw ValidationError("no command given: cleanroom exec [OPTIONS] -- COMMAND [ARG ...]") }
        let base = FileManager.default.currentDirectoryPath
        let workload: WorkloadPlan
        switch ExecFlags.plan(flags: givenFlags, env: envs, command: argv, baseDirectory: base, capAdd: capAdd) {
        case .success(let w): workload = w
        case .failure(let problems):
            // Every problem at once, as `validate` does for slo.json; nothing was run.
            for line in problems.lines { fputs("cleanroom exec: \(line)\n", stderr) }
            throw ExitCode(ExitStatus.usage)
        }
        // Handlers first: a signal from here on tears the run down and still reaches `leave`.
        SignalTeardown.install()
        let outDir: String
        do { outDir = try ExecScratch.make() } catch {
            // Nothing was made or run; a parent we cannot trust is an environment problem (exit 3).
            fputs("cleanroom exec: \(ConsoleText.escape("\(error)"))\n", stderr)
            throw ExitCode(ExitStatus.environment)
        }
        // The scratch directory goes on every exit path (error, signal, --json, plain).
        func leave(_ code: Int32) -> Never {
            ExecScratch.remove(outDir)
            Glibc.exit(code)
        }
        do { leave(try runInScratch(workload, outDir: outDir)) } catch {
            // The sandbox could not be set up, or the output capture could not be written (exit 3).
            fputs("cleanroom: \(ConsoleText.escape("\(error)"))\n", stderr)
            leave(ExitStatus.environment)
        }
    }

    /// The run, its output and summary; returns the exit code.
    func runInScratch(_ workload: WorkloadPlan, outDir: String) throws -> Int32 {
        let request = SandboxRequest(workload: workload, outputDirectory: outDir, metricsFile: true, strict: strict)
        let degraded = Sandbox.degradations(for: request)
        var record = try SandboxExecutor.measuredRun(request, sampling: workload.sampling)
        try CaptureCheck.verify(&record, directory: outDir, relative: nil)
        if SignalTeardown.caught != 0 {
            fputs("cleanroom: interrupted by signal \(SignalTeardown.caught); the sandbox was torn down\n", stderr)
            return 130
        }
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            var obj = try JSONSerialization.jsonObject(with: enc.encode(record)) as! [String: Any]
            obj["degraded"] = degraded
            // The capture files go with the scratch directory: the record carries their text
            // (the kept tail) instead of paths that would no longer exist.
            obj["output"] = nil
            for name in ["stdout", "stderr"] {
                obj[name] = FileManager.default.contents(atPath: outDir + "/\(name).txt").map { String(decoding: $0, as: UTF8.self) }
            }
            let data = try JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys])
            try StandardStreams.write(data + Array("\n".utf8))
        } else {
            if let o = FileManager.default.contents(atPath: outDir + "/stdout.txt") { try StandardStreams.write(o) }
            if let e = FileManager.default.contents(atPath: outDir + "/stderr.txt") { try StandardStreams.write(e, fd: 2) }
            fputs(Self.summary(record, degraded: degraded) + "\n", stderr)
        }
        return Self.exitCode(record)
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
        if let d = r.detail { line += "\n  " + ConsoleText.escape(d) }
        for d in degraded { line += "\n  not enforced: " + d }
        return line
    }
}
