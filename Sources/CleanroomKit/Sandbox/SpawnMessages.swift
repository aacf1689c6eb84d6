import CSpawn
#if canImport(Glibc)
import Glibc
#endif

/// A step of the child side (before execve) that failed, as the child reported it.
struct SpawnFailure: Equatable, Sendable {
    var step: String
    var detail: String
    var errno: Int32

    /// execve and chdir fail because of the workload's own command or cwd: an outcome (`error`).
    /// Any other step (mounts, cgroup join, seccomp, loopback) means the sandbox was not built.
    var isWorkloadStep: Bool { step == "execve" || step == "chdir" }

    var systemFailure: SystemFailure { SystemFailure(step, detail, errno: errno) }
    var sentence: String { systemFailure.description }
}

/// CPU the sandbox itself spent inside the run's cgroup, charged apart as `startup_cpu`: the
/// init's own (PID 1 of the run, a copy of cleanroom: joins, mounts, the workload's fds,
/// capabilities and seccomp filter, spawning it, then reaping) and the workload process's last
/// steps before execve (its stamp; the filter too when an OCI profile is loaded there).
struct SetupCPU: Equatable, Sendable {
    var user: Double
    var system: Double

    init(user: Double, system: Double) { self.user = user; self.system = system }

    /// From a record's `cpu_user_ns`/`cpu_sys_ns` (-1: getrusage failed there: unknown).
    init?(_ m: cspawn_msg) {
        guard m.cpu_user_ns >= 0, m.cpu_sys_ns >= 0 else { return nil }
        user = Double(m.cpu_user_ns) / 1e9
        system = Double(m.cpu_sys_ns) / 1e9
    }

    /// The init's own CPU in the run's cgroup, exit included: its whole CPU as wait4 of it saw it
    /// (`rootTotal`: the init and every process it reaped) less its children's at the status
    /// record (`children`), less what it spent before joining (`joined`, charged to cleanroom's
    /// groups). The exit of a copy of cleanroom (its page tables torn down) comes after the
    /// status record, so the record's own figure (`self`) alone misses it.
    static func initShare(status: SetupCPU?, rootTotal: Double?, children: Double?, joined: Double?) -> SetupCPU? {
        guard let status else { return nil }
        guard let rootTotal, let children, let joined, children >= 0 else { return status }
        let whole = rootTotal - children - joined
        let seen = status.user + status.system
        guard whole > seen, seen > 0 else { return status }
        let scale = whole / seen   // the exit's CPU split as the rest was
        return SetupCPU(user: status.user * scale, system: status.system * scale)
    }

    /// Both parts, when at least one is known.
    static func sum(_ parts: SetupCPU?...) -> SetupCPU? {
        let known = parts.compactMap { $0 }
        guard !known.isEmpty else { return nil }
        return SetupCPU(user: known.map(\.user).reduce(0, +), system: known.map(\.system).reduce(0, +))
    }
}

/// One record of the exec or status pipe (cspawn.h `CSPAWN_MSG_*`), decoded.
enum SpawnMessage: Equatable {
    /// The workload (or a service) is about to execve, at CLOCK_MONOTONIC `ns`, having used `cpu`.
    case exec(ns: Int64, cpu: SetupCPU?)
    case failure(SpawnFailure)
    /// The init reaped the workload: its wait status, when, and the init's own CPU (nil: unknown).
    case status(Int32, ns: Int64, initCPU: SetupCPU?, initChildrenCPU: Double? = nil, initJoinedCPU: Double? = nil)
    /// The init finished the run's set-up and waits at the gate.
    case setup
    /// A trace record (CLEANROOM_TRACE_SPAWN).
    case mark(String, ns: Int64)

    init?(_ m: cspawn_msg) {
        switch m.kind {
        case CSPAWN_MSG_EXEC: self = .exec(ns: m.ns, cpu: SetupCPU(m))
        case CSPAWN_MSG_STATUS:
            let cpu = SetupCPU(m)
            self = .status(m.err, ns: m.ns, initCPU: cpu, initChildrenCPU: cpu != nil && m.child_cpu_ns >= 0 ? Double(m.child_cpu_ns) / 1e9 : nil,
                           initJoinedCPU: cpu != nil ? Double(m.joined_cpu_ns) / 1e9 : nil)
        case CSPAWN_MSG_SETUP: self = .setup
        case CSPAWN_MSG_MARK: self = .mark(Self.text(m.step), ns: m.ns)
        case CSPAWN_MSG_ERROR:
            self = .failure(SpawnFailure(step: Self.text(m.step), detail: Self.text(m.detail), errno: m.err))
        default: return nil
        }
    }

    static func text<T>(_ field: T) -> String {
        withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// What one read of a message pipe gave.
    enum Read: Equatable {
        case message(SpawnMessage)
        /// Nothing there now (EINTR/EAGAIN, or an unknown record kind).
        case nothing
        /// Every writer is gone.
        case eof
    }

    /// Reads one record from `fd` (the records are fixed-size single writes: atomic on a pipe).
    /// `ifReady`: return `.nothing` at once when no record is waiting.
    static func read(_ fd: Int32, ifReady: Bool = false) -> Read {
        if ifReady {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 0) > 0 else { return .nothing }
        }
        var m = cspawn_msg()
        let n = withUnsafeMutableBytes(of: &m) { Glibc.read(fd, $0.baseAddress, MemoryLayout<cspawn_msg>.size) }
        if n == MemoryLayout<cspawn_msg>.size {
            guard let msg = SpawnMessage(m) else { return .nothing }
            if case .mark = msg { SpawnTrace.mark(m) }
            return .message(msg)
        }
        if n < 0 && (errno == EINTR || errno == EAGAIN) { return .nothing }
        return .eof
    }
}
