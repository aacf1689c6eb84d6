#if canImport(Glibc)
import Glibc
#endif

/// Keeps the last `capacity` bytes written to it (output capture keeps the tail: the end of a
/// log is where the failure is), and counts everything that went through.
final class TailBuffer {
    let capacity: Int
    private var storage: [UInt8] = []
    private var head = 0          // next write position once storage is full
    private(set) var total = 0

    init(capacity: Int) { self.capacity = max(0, capacity) }

    var truncated: Bool { total > capacity }

    func append(_ bytes: UnsafeRawBufferPointer) {
        total += bytes.count
        guard capacity > 0, bytes.count > 0 else { return }
        var src = bytes.bindMemory(to: UInt8.self)
        if src.count >= capacity {
            // Only the last `capacity` bytes can survive.
            storage = Array(src[(src.count - capacity)...])
            head = 0
            return
        }
        if storage.count < capacity {
            let room = capacity - storage.count
            let n = min(room, src.count)
            storage.append(contentsOf: src[0..<n])
            if n == src.count { return }
            src = UnsafeBufferPointer(rebasing: src[n...])
        }
        for b in src {
            storage[head] = b
            head = (head + 1) % capacity
        }
    }

    /// The kept bytes, oldest first.
    var bytes: [UInt8] {
        storage.count < capacity || head == 0 ? storage : Array(storage[head...] + storage[..<head])
    }
}

/// Signal and errno names for humans and reports ("SIGKILL", "ENOENT").
enum Names {
    static let signals: [Int32: String] = [
        1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE",
        9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM",
        16: "SIGSTKFLT", 17: "SIGCHLD", 18: "SIGCONT", 19: "SIGSTOP", 20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU",
        23: "SIGURG", 24: "SIGXCPU", 25: "SIGXFSZ", 26: "SIGVTALRM", 27: "SIGPROF", 28: "SIGWINCH", 29: "SIGIO",
        30: "SIGPWR", 31: "SIGSYS",
    ]
    static func signal(_ s: Int32) -> String { signals[s] ?? (s >= 34 ? "SIGRTMIN+\(s - 34)" : "SIG\(s)") }

    static let errnos: [Int32: String] = [
        1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 5: "EIO", 7: "E2BIG", 8: "ENOEXEC", 9: "EBADF",
        11: "EAGAIN", 12: "ENOMEM", 13: "EACCES", 16: "EBUSY", 17: "EEXIST", 20: "ENOTDIR", 21: "EISDIR",
        22: "EINVAL", 24: "EMFILE", 26: "ETXTBSY", 28: "ENOSPC", 30: "EROFS", 36: "ENAMETOOLONG", 38: "ENOSYS",
        40: "ELOOP", 95: "EOPNOTSUPP",
    ]
    static func errno(_ e: Int32) -> String { errnos[e] ?? "errno \(e)" }
}

/// Reading a captured output pipe (the workload's or a service's) into its tail buffer.
enum OutputPipe {
    /// Reads what is there on `fd` into `buf`; false at EOF or on a read error (the pipe is done).
    static func drain(_ fd: Int32, into buf: TailBuffer, scratch: ReadScratch) -> Bool {
        guard fd >= 0 else { return false }
        let n = read(fd, scratch.bytes.baseAddress, scratch.bytes.count)
        if n > 0 {
            buf.append(UnsafeRawBufferPointer(rebasing: scratch.bytes[0..<n]))
            return true
        }
        return n < 0 && (errno == EINTR || errno == EAGAIN)
    }
}
