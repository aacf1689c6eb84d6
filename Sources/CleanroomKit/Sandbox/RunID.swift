import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Names of run cgroups: `cr-<owner pid>-<owner start time>-<seq>`. The owner PID and its start
/// time (clock ticks since boot, /proc/PID/stat field 22) let a later cleanroom tell a leftover of
/// a dead process from a live sibling's group, even when the PID has been reused.
public enum RunID {
    static let lock = NSLock()
    nonisolated(unsafe) static var sequence = 0

    public static let ownerPID: pid_t = getpid()
    public static let ownerStart: UInt64 = startTime(of: getpid()) ?? 0

    /// A fresh, process-unique run id.
    public static func next() -> String {
        lock.lock(); defer { lock.unlock() }
        sequence += 1
        return "cr-\(ownerPID)-\(ownerStart)-\(sequence)"
    }

    /// True for names this scheme produces (a service group `<id>.svc-x` included).
    public static func isOurs(_ name: String) -> Bool { owner(of: name) != nil }

    static func owner(of name: String) -> (pid: pid_t, start: UInt64)? {
        guard name.hasPrefix("cr-") else { return nil }
        let parts = name.dropFirst(3).split(separator: "-", maxSplits: 2)
        guard parts.count == 3, let pid = pid_t(parts[0]), let start = UInt64(parts[1]) else { return nil }
        return (pid, start)
    }

    /// Whether the process that made `name` still runs (same PID and same start time).
    public static func ownerAlive(_ name: String) -> Bool {
        guard let o = owner(of: name) else { return true }
        guard let st = startTime(of: o.pid) else { return false }
        return st == o.start
    }

    static func startTime(of pid: pid_t) -> UInt64? {
        guard let text = SysFS.read("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
        // Fields after "comm)": state is field 3, starttime field 22 → index 19 after the paren.
        let rest = text[text.index(after: close)...].split(separator: " ")
        guard rest.count > 19 else { return nil }
        return UInt64(rest[19])
    }
}
