/// How a run ended, decided from kernel facts (wait status, cgroup OOM counters, SIGSYS),
/// never guessed from a signal number alone.
public enum Outcome: String, Codable, Sendable, CaseIterable {
    case ok        // exited with the expected code
    case failed    // exited with an unexpected code
    case timeout   // killed by cleanroom after `timeout`
    case oom       // the kernel's OOM killer killed a process of the run (oom_kill counter)
    case seccomp   // killed by SIGSYS from a seccomp filter
    case killed    // killed by a signal nobody in cleanroom sent
    case error     // could not be started (missing command, sandbox failure, service never ready)
}

/// The verdict of a whole `run` / `check` / `merge`, and its exit code (SPEC "Exit codes").
public enum Verdict: String, Codable, Sendable, CaseIterable {
    case pass, fail, inconclusive, error, interrupted

    public var exitCode: Int32 {
        switch self {
        case .pass: return 0
        case .fail: return 1
        case .error: return 3
        case .inconclusive: return 4
        case .interrupted: return 130
        }
    }
}

public enum ObjectiveStatus: String, Codable, Sendable, CaseIterable {
    case pass, fail, inconclusive
    case noData = "no_data"
}

public enum Level: String, Codable, Sendable, CaseIterable {
    case error, warn
}

/// Exit codes that are not verdicts.
public enum ExitStatus {
    public static let usage: Int32 = 2
    public static let environment: Int32 = 3
}
