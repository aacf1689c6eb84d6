import ArgumentParser
import CleanroomKit
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `cleanroom exec`: one command in a sandbox, its real figures, its exit code.
///
/// The workload's stdout/stderr are captured in memory (capped at --output-limit, the tail kept)
/// and, without --json, printed after the run to our own stdout/stderr, followed by a one-line
/// summary on stderr. With --json only the run record is printed, the kept output as text in it.
/// Its metrics file lives in a private scratch directory (`ExecScratch`), removed on every exit path.
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
    @Option(help: "host, private-tmp (the default: a fresh /tmp and /dev/shm) or readonly (the same, the rest read-only but the working directory).") var filesystem: String?
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
        try ExecInvocation(flags: givenFlags, envs: envs, capAdd: capAdd, command: command, strict: strict, json: json).run()
    }
}
