#if canImport(Glibc)
import Glibc
#endif

/// Everything the outcome of a run depends on, gathered from the kernel and the supervisor loop.
/// A plain value, so the rules below are testable without root or a kernel.
struct RunFacts: Equatable {
    /// A step before the workload's execve failed (`execve`, `chdir`: the workload's own fault).
    var failure: SpawnFailure?
    /// A service failed the run (its sentence names it).
    var serviceFailure: String?
    /// The workload was stopped because a service ended while it ran.
    var stoppedForService = false
    /// The run's cgroup `oom_kill` counter (0 when the layout has none).
    var oomKills = 0
    var memoryLimit: Int64?
    /// cleanroom's deadline fired (SIGTERM to every process).
    var timedOut = false
    var timeout: Double?
    /// SIGKILL followed after kill_grace.
    var hardKilled = false
    var killGrace: Double = 2
    /// The run was torn down (`Sandbox.tearDownAll`).
    var interrupted = false
    /// The workload's wait status as its init reported it (nil without an init, or none came).
    var workloadStatus: Int32?
    /// The wait status of the run's root process (the init, or the workload itself without one).
    var rootStatus: Int32 = 0
    /// No init: the root is the workload, its status is the workload's.
    var rootIsWorkload = false
    var expectExit = 0
    /// The seccomp policy's name, for the SIGSYS sentence.
    var seccompPolicy = "default"
    /// Every process of the run was killed at the end.
    var emptied = true
    /// cgroup directories that could not be removed, with why.
    var leftovers: [String] = []
}

/// How a run ended: the contract's outcome, the exit code or signal, and a sentence saying why.
struct RunOutcome: Equatable {
    var outcome: Outcome
    var exitCode: Int?
    var signal: String?
    var detail: String?

    /// The rules, in order of precedence (docs/sandbox.md "Outcomes"):
    /// error (the workload could not be exec'd) > error (a service failed) > oom (the cgroup's
    /// oom_kill counter, never guessed from SIGKILL: a forking tree's top may exit 0) > timeout >
    /// killed (interrupted) > seccomp (SIGSYS) > killed (another signal) > ok / failed (exit code
    /// against expect_exit) > error (no status at all).
    static func decide(_ f: RunFacts) -> RunOutcome {
        let status = f.workloadStatus.map(WaitStatus.init)
            ?? (f.rootIsWorkload ? WaitStatus(f.rootStatus) : nil)
        let rootSignal = WaitStatus(f.rootStatus).signal
        let signal = status?.signal ?? (f.workloadStatus == nil ? rootSignal : nil)
        var r = RunOutcome(outcome: .error, exitCode: status?.exitCode, signal: signal.map(Names.signal), detail: nil)

        if let failure = f.failure {
            r = RunOutcome(outcome: .error, exitCode: nil, signal: nil, detail: failure.sentence)
        } else if let sf = f.serviceFailure {
            r.outcome = .error
            r.detail = sf + (f.stoppedForService ? "; the workload was stopped" : "")
        } else if f.oomKills > 0 {
            r.outcome = .oom
            let lim = f.memoryLimit.map { " (memory limit \(Units.format(Double($0), .bytes)))" } ?? ""
            r.detail = "the kernel's OOM killer killed \(f.oomKills) process\(f.oomKills == 1 ? "" : "es") of the run\(lim)"
        } else if f.timedOut {
            r.outcome = .timeout
            r.detail = "timed out after \(Units.format(f.timeout ?? 0, .duration)): SIGTERM to every process"
                + (f.hardKilled ? ", SIGKILL after \(Units.format(f.killGrace, .duration))" : "")
        } else if f.interrupted {
            r.outcome = .killed
            r.detail = "interrupted: cleanroom was stopped and killed the run"
        } else if signal == SIGSYS {
            r.outcome = .seccomp
            r.detail = "killed by SIGSYS: a system call forbidden by the seccomp policy (\(f.seccompPolicy))"
        } else if let s = signal {
            r.outcome = .killed
            r.detail = "killed by \(Names.signal(s))"
        } else if let code = status?.exitCode {
            r.outcome = code == f.expectExit ? .ok : .failed
            if r.outcome == .failed { r.detail = "exit code \(code), expected \(f.expectExit)" }
        } else {
            r.detail = "the run's init ended without reporting the workload's status (wait status \(f.rootStatus))"
        }
        if !f.emptied { r.detail = (r.detail.map { $0 + "; " } ?? "") + "some processes of the run could not be killed" }
        if !f.leftovers.isEmpty {
            r.detail = (r.detail.map { $0 + "; " } ?? "") + "cgroup not removed: " + f.leftovers.joined(separator: ", ")
        }
        return r
    }
}

/// A wait(2) status, decoded.
struct WaitStatus: Equatable {
    var raw: Int32
    init(_ raw: Int32) { self.raw = raw }

    /// The signal that ended the process (not a stop).
    var signal: Int32? {
        let s = raw & 0x7f
        return s != 0 && s != 0x7f ? s : nil
    }
    /// The exit code when it exited normally.
    var exitCode: Int? { (raw & 0x7f) == 0 ? Int((raw >> 8) & 0xff) : nil }

    /// "exited with code 1", "was killed by SIGSEGV".
    var ending: String {
        if let s = signal { return "was killed by \(Names.signal(s))" }
        return "exited with code \(exitCode ?? Int(raw))"
    }
}
