import ArgumentParser
import CleanroomKit
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What `cleanroom exec` was asked, as plain values, and the run itself. From `ExecCommand`'s
/// parsed options, or — for the common `cleanroom exec -- COMMAND [ARG ...]` (or
/// `exec COMMAND ...`) with no option at all — straight from argv (`fastPath`, called by
/// main.swift): then ArgumentParser's command tree is never built, whose reflection and first
/// protocol-conformance lookups were a sixth of exec's own CPU (docs/BENCHMARKS.md). The defaults
/// are this struct's, the same values `ExecCommand` passes when no option is given.
struct ExecInvocation {
    var flags: [ExecFlags.Flag] = []
    var envs: [String] = []
    var capAdd: [String] = []
    var command: [String]
    var strict = false
    var json = false

    /// `cleanroom exec -- COMMAND ...` / `cleanroom exec COMMAND ...` with no option: the
    /// invocation with every default; nil for anything else (ArgumentParser reads it).
    static func fastPath(_ argv: [String]) -> ExecInvocation? {
        guard argv.count >= 3, argv[1] == "exec" else { return nil }
        if argv[2] == "--" { return argv.count > 3 ? ExecInvocation(command: Array(argv[3...])) : nil }
        return argv[2].hasPrefix("-") ? nil : ExecInvocation(command: Array(argv[2...]))
    }

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
        // getcwd, not FileManager: its first use looks types up by name (~0.09 ms of exec's CPU,
        // before the probe could start on the other core).
        let base = getcwd(nil, 0).map { p in defer { free(p) }; return String(cString: p) } ?? FileManager.default.currentDirectoryPath
        // The host probe and the filter on the other core while the flags are checked below. With
        // options, only once they passed (bad input runs nothing, not even the probe); with none,
        // only the command's own words can be refused, and the defaults are known now.
        let defaults = flags.isEmpty && envs.isEmpty && capAdd.isEmpty
        SpawnTrace.mark("exec: command read")
        if defaults { SandboxPrewarm.begin(seccomp: .default, cwd: base, network: .none) }
        let workload: WorkloadPlan
        switch ExecFlags.plan(flags: flags, env: envs, command: argv, baseDirectory: base, capAdd: capAdd) {
        case .success(let w): workload = w
        case .failure(let problems):
            // Every problem at once, as `validate` does for slo.json; nothing was run.
            for line in problems.lines { fputs("cleanroom exec: \(line)\n", stderr) }
            SandboxPrewarm.wait()
            throw ExitCode(ExitStatus.usage)
        }
        if !defaults { SandboxPrewarm.begin(seccomp: workload.sandbox.seccomp, cwd: workload.cwd, network: workload.sandbox.network) }
        // The groups depend on the limits and the working directory alone, not on the scratch
        // directory made below.
        SandboxPrewarm.makeGroupsAhead(for: SandboxRequest(workload: workload, outputDirectory: ""))
        SpawnTrace.mark("exec: plan built")
        // Handlers first: a signal from here on tears the run down and still reaches `leave`.
        SignalTeardown.install()
        let outDir: String
        do { outDir = try ExecScratch.make() } catch {
            // Nothing was made or run; a parent we cannot trust is an environment problem (exit 3).
            fputs("cleanroom exec: \(ConsoleText.escape("\(error)"))\n", stderr)
            SandboxPrewarm.wait()
            throw ExitCode(ExitStatus.environment)
        }
        SpawnTrace.mark("exec: scratch directory made")
        // The scratch directory goes on every exit path (error, signal, --json, plain).
        func leave(_ code: Int32) -> Never {
            SpawnTrace.mark("exec: leaving")
            ExecScratch.remove(outDir)
            SpawnTrace.mark("exec: scratch directory removed")
            SpawnTrace.flush("exec's end")
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
        var request = SandboxRequest(workload: workload, outputDirectory: outDir, metricsFile: true, strict: strict)
        // Printed from memory: no stdout.txt/stderr.txt made in the scratch directory only to be
        // read back and removed (on a slow disk each file made was 0.2–0.8 ms; docs/BENCHMARKS.md).
        request.captureInMemory = true
        let degraded = Sandbox.degradations(for: request)
        SpawnTrace.mark("exec: degradations listed")
        let record = try SandboxExecutor.measuredRun(request, sampling: workload.sampling)
        SpawnTrace.mark("exec: record made")
        if SignalTeardown.caught != 0 {
            fputs("cleanroom: interrupted by signal \(SignalTeardown.caught); the sandbox was torn down\n", stderr)
            return 130
        }
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            var obj = try JSONSerialization.jsonObject(with: enc.encode(record)) as! [String: Any]
            obj["degraded"] = degraded
            // The record carries the captured text (the kept tail): exec keeps no capture files.
            obj["output"] = nil
            if let c = record.capture {
                obj["stdout"] = String(decoding: c.stdout, as: UTF8.self)
                obj["stderr"] = String(decoding: c.stderr, as: UTF8.self)
            }
            let data = try JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys])
            try StandardStreams.write(data + Array("\n".utf8))
        } else {
            if let c = record.capture {
                try StandardStreams.write(c.stdout)
                try StandardStreams.write(c.stderr, fd: 2)
            }
            fputs(Self.summary(record, degraded: degraded) + "\n", stderr)
        }
        SpawnTrace.mark("exec: printed")
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
            parts.append("seccomp denied " + r.seccompDenied.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joinedText(separator: " "))
        }
        if r.capture?.truncated == true { parts.append("output truncated to the tail") }
        var line = parts.joinedText(separator: " · ")
        if let d = r.detail { line += "\n  " + ConsoleText.escape(d) }
        for d in degraded { line += "\n  not enforced: " + d }
        return line
    }
}
