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

/// One record of the exec or status pipe (cspawn.h `CSPAWN_MSG_*`), decoded.
enum SpawnMessage: Equatable {
    /// The workload (or a service) is about to execve, at CLOCK_MONOTONIC `ns`.
    case exec(ns: Int64)
    case failure(SpawnFailure)
    /// The init reaped the workload: its wait status, and when.
    case status(Int32, ns: Int64)
    /// The init finished the run's set-up and waits at the gate.
    case setup
    /// A trace record (CLEANROOM_TRACE_SPAWN).
    case mark(String, ns: Int64)

    init?(_ m: cspawn_msg) {
        switch m.kind {
        case CSPAWN_MSG_EXEC: self = .exec(ns: m.ns)
        case CSPAWN_MSG_STATUS: self = .status(m.err, ns: m.ns)
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
