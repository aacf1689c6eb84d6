#if canImport(Glibc)
import Glibc
#endif

/// A system call that failed: the operation, the path (or object) it was applied to, and the
/// errno. Rendered once, as `open /sys/fs/cgroup/x: Permission denied (EACCES)`.
public struct SystemFailure: Error, Equatable, Sendable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var errno: Int32

    public init(_ operation: String, _ path: String, errno: Int32) {
        self.operation = operation; self.path = path; self.errno = errno
    }

    /// The failure of the call that just returned -1 (reads the thread's errno).
    static func last(_ operation: String, _ path: String) -> SystemFailure {
        SystemFailure(operation, path, errno: Glibc.errno)
    }

    public var description: String {
        let what = path.isEmpty ? operation : "\(operation) \(path)"
        return "\(what): \(String(cString: strerror(errno))) (\(Names.errno(errno)))"
    }
}

/// The sandbox could not be set up: `cleanroom` exits 3. Workload failures are outcomes, not errors.
public enum SandboxError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call of the set-up failed (cgroup creation, pipes, clone, a step of the child).
    case system(SystemFailure)
    /// The request or a policy it names is unusable (an empty command, a bad seccomp profile).
    case invalid(String)
    /// `strict` was asked and these could not be enforced.
    case notEnforced([String])

    public var description: String {
        switch self {
        case .system(let f): return "sandbox could not be set up: \(f)"
        case .invalid(let s): return "sandbox could not be set up: \(s)"
        case .notEnforced(let list): return "not enforced on this host (--strict): " + list.joined(separator: "; ")
        }
    }

    /// The failure behind it, when it was a system call.
    public var failure: SystemFailure? { if case .system(let f) = self { return f } else { return nil } }
}
