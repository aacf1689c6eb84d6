import Foundation
import CSpawn
#if canImport(Glibc)
import Glibc
#endif

/// A compiled seccomp program, ready for the child to load (BPF exported by libseccomp in the
/// parent), plus how the parent answers the calls it is notified of.
public final class SeccompProgram: @unchecked Sendable {
    let filter: UnsafeMutableRawPointer
    let length: UInt16
    /// The filter sends denied calls to the parent (SECCOMP_RET_USER_NOTIF) to be counted.
    public let usesNotify: Bool
    /// syscall number → errno to answer a notified call with.
    let errnoByNumber: [Int32: Int32]
    let defaultErrno: Int32
    /// Names the policy listed that this kernel/architecture does not know (skipped).
    public let unknownNames: [String]
    /// The policy is ours (`default`, `strict`) and allows what the run's init calls after loading
    /// it (`initNeeds`): the init loads it and spawns the workload under it (cspawn.h
    /// `filter_allows_spawn`). Not assumed of an OCI profile, which may refuse any of them.
    let allowsSpawn: Bool

    init(filter: UnsafeMutableRawPointer, length: UInt16, usesNotify: Bool, errnoByNumber: [Int32: Int32],
         defaultErrno: Int32, unknownNames: [String], allowsSpawn: Bool = false) {
        self.filter = filter; self.length = length; self.usesNotify = usesNotify
        self.errnoByNumber = errnoByNumber; self.defaultErrno = defaultErrno; self.unknownNames = unknownNames
        self.allowsSpawn = allowsSpawn
    }

    deinit { free(filter) }

    func errnoFor(_ nr: Int32) -> Int32 { errnoByNumber[nr] ?? defaultErrno }
}

public struct SeccompError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// The seccomp policies: `default` (deny list), `strict` (allow list), `none`, or an OCI/Docker
/// JSON profile. Denials go through user notification when available so they are counted by name.
public enum SeccompPolicy {
    /// The contract's deny list plus the rest of Docker's default-blocked set that a test has no
    /// business calling (kernel modules, clocks, namespaces/mounts, keyrings, tracing, raw I/O).
    public static let defaultDenied: [String] = [
        // contract
        "ptrace", "mount", "umount2", "reboot", "kexec_load", "kexec_file_load", "init_module", "finit_module",
        "delete_module", "bpf", "perf_event_open", "keyctl", "add_key", "request_key", "swapon", "swapoff",
        "pivot_root", "settimeofday", "clock_settime", "acct",
        // Docker's default profile blocks these too (without the matching capability)
        "clock_adjtime", "adjtimex", "create_module", "get_kernel_syms", "query_module", "nfsservctl",
        "open_by_handle_at", "name_to_handle_at", "quotactl", "quotactl_fd", "setns", "unshare", "uselib",
        "userfaultfd", "ustat", "sysfs", "_sysctl", "vm86", "vm86old", "iopl", "ioperm", "lookup_dcookie",
        "syslog", "vhangup", "stime", "umount", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount",
        "open_tree", "mount_setattr", "kcmp", "process_vm_readv", "process_vm_writev", "pidfd_getfd",
        "fanotify_init",
    ]

    /// `strict`: an allow list that still runs sh, python3, cc and `swift build`; everything else
    /// is denied (counted) with EPERM.
    public static let strictAllowed: [String] = [
        "read", "write", "open", "close", "stat", "fstat", "lstat", "poll", "lseek", "mmap", "mprotect", "munmap",
        "brk", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "ioctl", "pread64", "pwrite64", "readv", "writev",
        "access", "pipe", "select", "sched_yield", "mremap", "msync", "mincore", "madvise", "shmget", "shmat",
        "shmctl", "dup", "dup2", "pause", "nanosleep", "getitimer", "alarm", "setitimer", "getpid", "sendfile",
        "socket", "connect", "accept", "sendto", "recvfrom", "sendmsg", "recvmsg", "shutdown", "bind", "listen",
        "getsockname", "getpeername", "socketpair", "setsockopt", "getsockopt", "clone", "fork", "vfork", "execve",
        "exit", "wait4", "kill", "uname", "semget", "semop", "semctl", "shmdt", "msgget", "msgsnd", "msgrcv",
        "msgctl", "fcntl", "flock", "fsync", "fdatasync", "truncate", "ftruncate", "getdents", "getcwd", "chdir",
        "fchdir", "rename", "mkdir", "rmdir", "creat", "link", "unlink", "symlink", "readlink", "chmod", "fchmod",
        "chown", "fchown", "lchown", "umask", "gettimeofday", "getrlimit", "getrusage", "sysinfo", "times",
        "getuid", "getgid", "setuid", "setgid", "geteuid", "getegid", "setpgid", "getppid", "getpgrp", "setsid",
        "setreuid", "setregid", "getgroups", "setgroups", "setresuid", "getresuid", "setresgid", "getresgid",
        "getpgid", "setfsuid", "setfsgid", "getsid", "capget", "capset", "rt_sigpending", "rt_sigtimedwait",
        "rt_sigqueueinfo", "rt_sigsuspend", "sigaltstack", "utime", "statfs", "fstatfs", "getpriority",
        "setpriority", "sched_setparam", "sched_getparam", "sched_setscheduler", "sched_getscheduler",
        "sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval", "mlock", "munlock",
        "mlockall", "munlockall", "prctl", "arch_prctl", "setrlimit", "sync", "gettid", "readahead", "setxattr",
        "lsetxattr", "fsetxattr", "getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr", "flistxattr",
        "removexattr", "lremovexattr", "fremovexattr", "tkill", "time", "futex", "sched_setaffinity",
        "sched_getaffinity", "set_thread_area", "get_thread_area", "io_setup", "io_destroy", "io_getevents",
        "io_submit", "io_cancel", "epoll_create", "getdents64", "set_tid_address", "restart_syscall", "semtimedop",
        "fadvise64", "timer_create", "timer_settime", "timer_gettime", "timer_getoverrun", "timer_delete",
        "clock_gettime", "clock_getres", "clock_nanosleep", "exit_group", "epoll_wait", "epoll_ctl", "tgkill",
        "utimes", "mbind", "set_mempolicy", "get_mempolicy", "mq_open", "mq_unlink", "mq_timedsend",
        "mq_timedreceive", "mq_notify", "mq_getsetattr", "waitid", "ioprio_set", "ioprio_get", "inotify_init",
        "inotify_add_watch", "inotify_rm_watch", "openat", "mkdirat", "fchownat", "futimesat", "newfstatat",
        "unlinkat", "renameat", "linkat", "symlinkat", "readlinkat", "fchmodat", "faccessat", "pselect6", "ppoll",
        "set_robust_list", "get_robust_list", "splice", "tee", "sync_file_range", "vmsplice", "utimensat",
        "epoll_pwait", "signalfd", "timerfd_create", "eventfd", "fallocate", "timerfd_settime", "timerfd_gettime",
        "accept4", "signalfd4", "eventfd2", "epoll_create1", "dup3", "pipe2", "inotify_init1", "preadv", "pwritev",
        "rt_tgsigqueueinfo", "recvmmsg", "prlimit64", "syncfs", "sendmmsg", "getcpu", "sched_setattr",
        "sched_getattr", "renameat2", "getrandom", "memfd_create", "execveat", "membarrier", "mlock2",
        "copy_file_range", "preadv2", "pwritev2", "statx", "rseq", "clone3", "close_range", "faccessat2",
        "epoll_pwait2", "openat2", "pidfd_open", "pidfd_send_signal", "futex_waitv", "fchmodat2", "seccomp",
        "io_uring_setup", "io_uring_enter", "io_uring_register", "pkey_mprotect", "pkey_alloc", "pkey_free",
        "getxattrat", "listxattrat", "setxattrat", "removexattrat", "map_shadow_stack", "cachestat",
    ]

    /// Syscalls the child itself makes between loading the filter and execve: never denied.
    static let childNeeds = ["sendmsg", "close", "write", "execve", "exit_group", "exit"]

    /// What the run's init calls once it has loaded the filter (init.c: spawning the workload,
    /// then waiting, forwarding signals, reporting) and the workload before its execve (signal
    /// mask, rlimits, stamp): a policy must allow all of it for the init to load the filter in
    /// the workload's place.
    static let initNeeds = ["clone", "openat", "rt_sigprocmask", "rt_sigtimedwait", "wait4", "kill", "getrusage", "write",
                            "close", "capget", "capset", "prctl", "exit_group", "setrlimit", "prlimit64", "execve"]

    nonisolated(unsafe) static var cache: [String: SeccompProgram] = [:]
    static let lock = NSLock()

    /// The compiled program for `mode` (nil for `none`), cached per mode.
    public static func program(for mode: SeccompMode, notify: Bool = SandboxHost.current.seccompNotify) throws -> SeccompProgram? {
        if case .none = mode { return nil }
        let key = mode.name + (notify ? "#n" : "")
        lock.lock(); defer { lock.unlock() }
        if let p = cache[key] { return p }
        let p: SeccompProgram
        switch mode {
        case .none: return nil
        case .default:
            p = try compile(defaultAction: (CSPAWN_ACT_ALLOW, 0), rules: defaultDenied.map { Rule(names: [$0], action: CSPAWN_ACT_ERRNO, errno: EPERM, args: []) }, notify: notify,
                            allowsSpawn: Set(initNeeds).isDisjoint(with: defaultDenied))
        case .strict:
            p = try compile(defaultAction: (CSPAWN_ACT_ERRNO, EPERM), rules: [Rule(names: strictAllowed, action: CSPAWN_ACT_ALLOW, errno: 0, args: [])], notify: notify,
                            allowsSpawn: Set(initNeeds).isSubset(of: strictAllowed))
        case .profile(let path):
            let profile = try OCIProfile.load(path)
            p = try compile(defaultAction: profile.defaultAction, rules: profile.rules, notify: notify)
        }
        cache[key] = p
        return p
    }

    struct Rule {
        var names: [String]
        var action: Int32
        var errno: Int32
        var args: [cspawn_sc_arg]
    }

    /// ERRNO actions become NOTIFY (when available) so that the parent counts them and answers
    /// with the same errno; everything else goes to libseccomp as is.
    ///
    /// `tree`: libseccomp's binary-tree layout (`cspawn_sc_tree`) once there are 8 rules or more,
    /// as runc does. Loading a filter costs the kernel one run of it per syscall number (its
    /// action cache), so the default policy's 62-instruction chain took 0.2–0.27 ms of every
    /// run's critical path; the tree decides any number in a handful of comparisons
    /// (docs/BENCHMARKS.md, "Loading the seccomp filter"). The decisions are the same
    /// (`SeccompTreeTests`); false only for tests that compare the two.
    static func compile(defaultAction: (Int32, Int32), rules: [Rule], notify: Bool, allowsSpawn: Bool = false,
                        tree: Bool = true) throws -> SeccompProgram {
        func mapped(_ action: Int32, _ data: Int32) -> (Int32, Int32) {
            (notify && action == CSPAWN_ACT_ERRNO) ? (CSPAWN_ACT_NOTIFY, 0) : (action, data)
        }
        let d = mapped(defaultAction.0, defaultAction.1)
        guard let ctx = cspawn_sc_new(d.0, d.1) else {
            if let why = cspawn_sc_load_error() {
                throw SeccompError(message: "libseccomp could not be loaded (\(String(cString: why))): install libseccomp2, or run with seccomp none")
            }
            throw SeccompError(message: "seccomp_init failed")
        }
        defer { cspawn_sc_free(ctx) }
        var errnos: [Int32: Int32] = [:]
        var unknown: [String] = []
        var named = Set<String>()
        for rule in rules {
            let a = mapped(rule.action, rule.errno)
            for name in rule.names {
                let r = rule.args.withUnsafeBufferPointer { buf in
                    cspawn_sc_rule(ctx, a.0, a.1, name, UInt32(buf.count), buf.baseAddress)
                }
                if r == -EDOM || r == -EINVAL && cspawn_sc_nr(name) < 0 { unknown.append(name); continue }
                if r == -EEXIST || (r == -EACCES && a.0 == d.0) { continue }   // a duplicate, or the default action anyway
                if r < 0 { throw SeccompError(message: "seccomp rule for \(name): \(String(cString: strerror(-r)))") }
                named.insert(name)
                if rule.action == CSPAWN_ACT_ERRNO, errnos[cspawn_sc_nr(name)] == nil { errnos[cspawn_sc_nr(name)] = rule.errno }
            }
        }
        if defaultAction.0 != CSPAWN_ACT_ALLOW {
            for name in childNeeds where !named.contains(name) { _ = cspawn_sc_rule(ctx, CSPAWN_ACT_ALLOW, 0, name, 0, nil) }
        }
        // A libseccomp too old for the tree keeps the chain: slower to load, the same filter.
        if tree && named.count >= 8 { _ = cspawn_sc_tree(ctx) }
        var filter: UnsafeMutableRawPointer?
        var len: UInt16 = 0
        let r = cspawn_sc_export(ctx, &filter, &len)
        guard r == 0, let f = filter else { throw SeccompError(message: "seccomp export failed: \(String(cString: strerror(-r)))") }
        let usesNotify = notify && (d.0 == CSPAWN_ACT_NOTIFY || rules.contains { $0.action == CSPAWN_ACT_ERRNO })
        return SeccompProgram(filter: f, length: len, usesNotify: usesNotify, errnoByNumber: errnos,
                              defaultErrno: defaultAction.0 == CSPAWN_ACT_ERRNO ? defaultAction.1 : EPERM,
                              unknownNames: unknown, allowsSpawn: allowsSpawn)
    }

    /// Name of a native syscall number ("ptrace"), or "syscall_<n>".
    static func name(of nr: Int32) -> String {
        guard let p = cspawn_sc_name(nr) else { return "syscall_\(nr)" }
        defer { free(p) }
        return String(cString: p)
    }
}

/// An OCI / Docker seccomp profile (the JSON of `docker run --security-opt seccomp=FILE`).
enum OCIProfile {
    struct Loaded {
        var defaultAction: (Int32, Int32)
        var rules: [SeccompPolicy.Rule]
    }

    static func load(_ path: String) throws -> Loaded {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SeccompError(message: "seccomp profile \(path): cannot read the file")
        }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw SeccompError(message: "seccomp profile \(path): not a JSON object")
        }
        let defErrno = (json["defaultErrnoRet"] as? Int).map(Int32.init) ?? EPERM
        guard let defName = json["defaultAction"] as? String, let def = action(defName, errnoRet: defErrno) else {
            throw SeccompError(message: "seccomp profile \(path): defaultAction missing or unknown (SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, …)")
        }
        var rules: [SeccompPolicy.Rule] = []
        for (i, entry) in ((json["syscalls"] as? [[String: Any]]) ?? []).enumerated() {
            var names = (entry["names"] as? [String]) ?? []
            if let n = entry["name"] as? String { names.append(n) }
            let errnoRet = (entry["errnoRet"] as? Int).map(Int32.init) ?? EPERM
            guard let actName = entry["action"] as? String, let act = action(actName, errnoRet: errnoRet) else {
                throw SeccompError(message: "seccomp profile \(path): syscalls[\(i)].action missing or unknown")
            }
            var args: [cspawn_sc_arg] = []
            for a in (entry["args"] as? [[String: Any]]) ?? [] {
                guard let index = a["index"] as? Int, let opName = a["op"] as? String, let op = ops[opName] else {
                    throw SeccompError(message: "seccomp profile \(path): syscalls[\(i)].args: index and op (SCMP_CMP_EQ, …) are required")
                }
                let value = (a["value"] as? NSNumber)?.uint64Value ?? 0
                let value2 = (a["valueTwo"] as? NSNumber)?.uint64Value ?? 0
                args.append(cspawn_sc_arg(index: UInt32(index), op: op, value: value, value2: value2))
            }
            rules.append(SeccompPolicy.Rule(names: names, action: act.0, errno: act.1, args: args))
        }
        return Loaded(defaultAction: def, rules: rules)
    }

    static let ops: [String: Int32] = [
        "SCMP_CMP_NE": 1, "SCMP_CMP_LT": 2, "SCMP_CMP_LE": 3, "SCMP_CMP_EQ": 4, "SCMP_CMP_GE": 5,
        "SCMP_CMP_GT": 6, "SCMP_CMP_MASKED_EQ": 7,
    ]

    /// SCMP_ACT_KILL kills the process (not only the thread) so the run's outcome is `seccomp`.
    static func action(_ name: String, errnoRet: Int32) -> (Int32, Int32)? {
        switch name {
        case "SCMP_ACT_ALLOW": return (CSPAWN_ACT_ALLOW, 0)
        case "SCMP_ACT_ERRNO": return (CSPAWN_ACT_ERRNO, errnoRet)
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS": return (CSPAWN_ACT_KILL, 0)
        case "SCMP_ACT_KILL_THREAD": return (CSPAWN_ACT_KILL_THREAD, 0)
        case "SCMP_ACT_TRAP": return (CSPAWN_ACT_TRAP, 0)
        case "SCMP_ACT_LOG": return (CSPAWN_ACT_LOG, 0)
        case "SCMP_ACT_TRACE", "SCMP_ACT_NOTIFY": return (CSPAWN_ACT_ERRNO, ENOSYS)
        default: return nil
        }
    }
}
