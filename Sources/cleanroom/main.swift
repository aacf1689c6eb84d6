import ArgumentParser
import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

struct Cleanroom: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleanroom",
        abstract: "Run workloads in sandboxes, measure what they really used, and gate on SLOs.",
        discussion: """
        cleanroom runs the workloads of an slo.json in fresh cgroups and namespaces, reads every \
        figure from the kernel, judges the objectives with the measurement noise in view, writes \
        reports, and exits non-zero so CI can gate a merge.

        Exit codes: 0 pass · 1 fail · 2 usage/config error · 3 sandbox/environment error \
        (or --strict and something was not enforced) · 4 inconclusive · 130 interrupted.

        Examples:
          cleanroom validate slo.json
          cleanroom run -c slo.json -o out --repeat 5
          cleanroom exec --memory 256MiB --timeout 10s -- make test
          cleanroom doctor
        """,
        version: CleanroomVersion.display,
        subcommands: [
            RunCommand.self, ExecCommand.self, CheckCommand.self, CompareCommand.self,
            ReportCommand.self, MergeCommand.self, HistoryCommand.self, ValidateCommand.self,
            DoctorCommand.self,
        ]
    )
}

// A write to a pipe whose reader died (a run's init torn down by SIGINT, a closed stdout) must be
// an EPIPE we handle, not a SIGPIPE that kills cleanroom before it removes its cgroups and writes
// the partial report. Spawned children get every signal back to SIG_DFL before execve (CSpawn).
signal(SIGPIPE, SIG_IGN)
StandardStreams.holdClosedDescriptors()

// `cleanroom --version` alone needs none of the command tree. ArgumentParser's reflection over the
// commands does its first protocol-conformance lookups, each a scan of every conformance record in
// this static binary (~9 500): over a third of the start-up's CPU (docs/BENCHMARKS.md "Start-up").
// Same text and exit status as ArgumentParser's `--version` below. Compared as C strings: building
// `CommandLine.arguments` (an array of Strings, its generic metadata looked up by mangled name) was
// 7 % of this command's CPU.
if CommandLine.argc == 2, let first = CommandLine.unsafeArgv[1], strcmp(first, "--version") == 0 {
    answerVersion()
}

SpawnTrace.mark("main entered")
// Every other command: the loader's relocation table is not needed again (~3 MB of RSS).
LoaderPages.release()

/// StandardStreams.write, not print: print's `Any...` array is another type the runtime looks up by
/// name (2 % of the command's CPU). A version that could not be written is an output error, as elsewhere.
func answerVersion() -> Never {
    do {
        try StandardStreams.write(CleanroomVersion.display + "\n")
    } catch {
        fputs("cleanroom: \(error)\n", stderr)
        exit(ExitStatus.environment)
    }
    exit(0)
}

/// What print() buffered must reach the reader: a closed or full standard output is an output
/// error (exit 3, named), not a pass with the answer lost (`cleanroom compare … | head -0`).
func stdoutDelivered() -> Bool {
    guard fflush(nil) != 0 else { return true }
    fputs("cleanroom: \(StandardStreamError(stream: "output", errno: errno))\n", stderr)
    return false
}

// swift-argument-parser exits 64 (EX_USAGE) on a usage error; the contract says 2.
do {
    if let exec = ExecInvocation.fastPath(CommandLine.arguments) {
        try exec.run()   // `exec -- COMMAND …` with no option: no command tree to build
    } else {
        var command = try Cleanroom.parseAsRoot()
        try command.run()
    }
    if !stdoutDelivered() { exit(ExitStatus.environment) }
} catch {
    if error is StandardStreamError {
        fputs("cleanroom: \(error)\n", stderr)
        exit(ExitStatus.environment)
    }
    let code = Cleanroom.exitCode(for: error)
    if code == .success {
        // What the command printed before its clean exit, then ArgumentParser's own text (--help,
        // --version among other arguments, help subcommands), which it would print and exit 0
        // whether or not it reached the reader.
        guard stdoutDelivered() else { exit(ExitStatus.environment) }
        let text = Cleanroom.fullMessage(for: error)
        if !text.isEmpty { print(text) }
        exit(stdoutDelivered() ? 0 : ExitStatus.environment)
    }
    if code == .validationFailure {
        fputs(Cleanroom.fullMessage(for: error) + "\n", stderr)
        exit(ExitStatus.usage)
    }
    Cleanroom.exit(withError: error)
}
