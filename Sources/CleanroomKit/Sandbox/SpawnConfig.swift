import CSpawn
#if canImport(Glibc)
import Glibc
#endif

/// The memory behind one C config (`cspawn_config`, `cspawn_service`): strings, NULL-terminated
/// string arrays and int arrays, copied once into malloc'ed blocks that live until the arena is
/// freed — after `cspawn_start` returned (the child has its own copy of memory after clone).
final class CArena {
    private var blocks: [UnsafeMutableRawPointer] = []

    deinit { for b in blocks { free(b) } }

    /// A NUL-terminated copy of `s`.
    func string(_ s: String) -> UnsafeMutablePointer<CChar> {
        let p = strdup(s)!
        blocks.append(UnsafeMutableRawPointer(p))
        return p
    }

    /// A copy of `list` in one block.
    func array<T>(_ list: [T]) -> UnsafeMutablePointer<T> {
        let p = UnsafeMutablePointer<T>.allocate(capacity: max(1, list.count))
        blocks.append(UnsafeMutableRawPointer(p))
        // allocate() memory is freed with free(): Swift's allocator is malloc on Linux.
        p.initialize(from: list, count: list.count)
        return p
    }

    /// argv/envp style: the strings, then NULL.
    func strings(_ list: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> {
        array(list.map { Optional(string($0)) } + [nil])
    }

    /// `const char *const *` style: the strings, then NULL.
    func constStrings(_ list: [String]) -> UnsafeMutablePointer<UnsafePointer<CChar>?> {
        array(list.map { Optional(UnsafePointer(string($0))) } + [nil])
    }
}

/// The kernel-side plan of one run, as `Sandbox` decided it from the request and the host.
struct SpawnPlan {
    var exe: String
    var argv: [String]
    var env: [String]
    var cwd: String
    var namespaces: Int32
    var filesystem: FilesystemMode
    var hostname: String
    var rlimits: [cspawn_rlimit]
    var program: SeccompProgram?
    var hasServices: Bool
    /// CAP_* bits the workload keeps (Docker's default plus `sandbox.capabilities`).
    var keepCaps: UInt64 = Capabilities.dockerDefaultMask

    var useInit: Bool { namespaces & Int32(CSPAWN_NEWPID) != 0 }

    var fsMode: Int32 {
        guard namespaces & Int32(CSPAWN_NEWNS) != 0 else { return CSPAWN_FS_HOST }
        switch filesystem {
        case .host: return CSPAWN_FS_HOST
        case .privateTmp: return CSPAWN_FS_PRIVATE_TMP
        case .readonly: return CSPAWN_FS_READONLY
        }
    }

    /// What the `private-tmp` and `readonly` modes cover with a fresh tmpfs of the run's own
    /// (`CSpawn/mounts.c`): the two world-writable scratch places a workload could leave files in
    /// for the host, or find other users' in.
    static let privateMountPoints = ["/tmp", "/dev/shm"]

    /// The C config for `cspawn_start`, its memory in `arena`.
    func config(_ arena: CArena, pipes: RunPipes, metricsPath: String?, metricsFD: Int32 = -1, joins: [String], joinFDs: [Int32] = [],
                cloneInto: Int32, uidMap: String?, gidMap: String?, protections: SpawnProtections, netnsFD: Int32 = -1) -> cspawn_config {
        var cfg = cspawn_config()
        cfg.path = UnsafePointer(arena.string(exe))
        cfg.argv = UnsafePointer(arena.strings(argv))
        cfg.envp = UnsafePointer(arena.strings(env))
        cfg.cwd = UnsafePointer(arena.string(cwd))
        cfg.namespaces = namespaces
        cfg.use_init = useInit ? 1 : 0
        cfg.fs_mode = fsMode
        cfg.cwd_hidden = Self.privateMountPoints.contains { cwd == $0 || cwd.hasPrefix($0 + "/") } ? 1 : 0
        cfg.mount_proc = 1
        cfg.loopback_up = 1
        cfg.hostname = UnsafePointer(arena.string(hostname))
        cfg.cgroup_procs = joins.isEmpty ? nil : UnsafePointer(arena.constStrings(joins))
        cfg.cgroup_join_fds = joinFDs.isEmpty ? nil : UnsafePointer(arena.array(joinFDs))
        cfg.ncgroup_join_fds = Int32(joinFDs.count)
        cfg.cgroup_fd = cloneInto
        cfg.stdout_fd = pipes.stdout.write
        cfg.stderr_fd = pipes.stderr.write
        cfg.metrics_path = metricsPath.map { UnsafePointer(arena.string($0)) }
        cfg.metrics_fd = metricsFD
        cfg.seccomp_filter = program.map { UnsafeRawPointer($0.filter) }
        cfg.seccomp_len = program?.length ?? 0
        cfg.seccomp_listener = pipes.notify.write >= 0 ? 1 : 0
        cfg.filter_allows_spawn = (program?.allowsSpawn ?? true) ? 1 : 0
        cfg.notify_sock = pipes.notify.write
        cfg.exec_pipe = pipes.exec.write
        cfg.status_pipe = pipes.status.write
        cfg.rlimits = rlimits.isEmpty ? nil : UnsafePointer(arena.array(rlimits))
        cfg.nrlimits = Int32(rlimits.count)
        cfg.no_new_privs = 1
        cfg.drop_caps = 1
        cfg.keep_caps = keepCaps
        cfg.gate_fd = pipes.gate.read
        cfg.uid_map = uidMap.map { UnsafePointer(arena.string($0)) }
        cfg.gid_map = gidMap.map { UnsafePointer(arena.string($0)) }
        cfg.announce_setup = hasServices ? 1 : 0
        cfg.linger = hasServices ? 1 : 0
        cfg.trace = SpawnTrace.enabled ? 1 : 0
        let inOwnMounts = namespaces & Int32(CSPAWN_NEWNS) != 0
        cfg.protect_proc = inOwnMounts ? 1 : 0
        cfg.protect_sys = inOwnMounts ? 1 : 0
        let views = protections.cgroupViews.flatMap { [$0.host, $0.inside] }
        cfg.cgroup_views = inOwnMounts && !views.isEmpty ? UnsafePointer(arena.constStrings(views)) : nil
        cfg.new_cgroupns = inOwnMounts && protections.cgroupNamespace ? 1 : 0
        cfg.hide_parent = useInit && protections.hideParent ? 1 : 0
        cfg.netns_fd = netnsFD
        cfg.wipe = Protections.parentStrings
        return cfg
    }
}

/// The per-run part of what the workload sees (`Protections`).
struct SpawnProtections {
    var cgroupViews: [(host: String, inside: String)] = []
    var cgroupNamespace = false
    var hideParent = false
}

/// The descriptors of one run: output pipes, the exec and status pipes (child → us), the seccomp
/// listener socket, the gate (us → init). Closed when the run is over; the
/// child's ends are closed right after the clone, which is what makes EOFs mean something.
final class RunPipes {
    struct Pair { var read: Int32 = -1; var write: Int32 = -1 }
    var stdout = Pair(), stderr = Pair(), exec = Pair(), status = Pair(), notify = Pair(), gate = Pair()
    /// Other descriptors the run owns (the CLONE_INTO_CGROUP dir, pidfd, the seccomp listener).
    private var extra: [Int32] = []

    deinit { closeAll() }

    static func pipe() throws -> Pair {
        var p: [Int32] = [-1, -1]
        guard cspawn_pipe_cloexec(&p) == 0 else { throw SandboxError.system(.last("pipe2", "")) }
        return Pair(read: p[0], write: p[1])
    }

    func own(_ fd: Int32) { if fd >= 0 { extra.append(fd) } }

    /// Closes `fd` if this run owns it, and forgets it.
    func close(_ fd: Int32) {
        guard fd >= 0 else { return }
        // Each pair by name, not through key paths: a key path's every get and set is a call
        // into the runtime (20-35 µs a run of `run --repeat`, several closes a run).
        func forget(_ p: inout Pair) {
            if p.read == fd { p.read = -1 }
            if p.write == fd { p.write = -1 }
        }
        forget(&stdout); forget(&stderr); forget(&exec); forget(&status); forget(&notify); forget(&gate)
        extra.removeAll { $0 == fd }
        _ = Glibc.close(fd)
    }

    /// The child's ends, closed in the parent after clone.
    func closeChildEnds() {
        for fd in [stdout.write, stderr.write, exec.write, status.write, notify.write, gate.read] { close(fd) }
    }

    func closeAll() {
        for p in [stdout, stderr, exec, status, notify, gate] { for fd in [p.read, p.write] where fd >= 0 { _ = Glibc.close(fd) } }
        for fd in extra { _ = Glibc.close(fd) }
        stdout = Pair(); stderr = Pair(); exec = Pair(); status = Pair(); notify = Pair(); gate = Pair()
        extra = []
    }
}
