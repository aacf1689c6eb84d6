import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// cgroup v2 (unified hierarchy with controllers). Runs live in `<base>/cleanroom/<run>`, where
/// `<base>` is the cgroup2 root when we may write there (root on the host), or our own cgroup when
/// it is ours to manage (the root of a cgroup namespace in a container, a delegated cgroup).
///
/// The no-internal-processes rule: controllers can be enabled in a cgroup's subtree_control only
/// when it holds no processes itself (the true root is exempt). `<base>/cleanroom` never holds
/// processes (runs are leaves under it), so enabling memory/cpu/pids/io there is always allowed
/// once `<base>` offers them. When `<base>` is our own cgroup, cleanroom first moves itself (its
/// own PID only) into the leaf `<base>/cleanroom/cr-<pid>-<start>-supervisor`; see `adopt`.
public final class CgroupV2Backend: CgroupBackend {
    public static let wanted = ["memory", "cpu", "pids", "io"]

    /// The directory under which `cleanroom/` is made.
    public let base: String
    /// Fake trees in tests hold plain files: create them on write.
    let fake: Bool
    /// The leaf cleanroom moved its own process into (nil when nothing had to move).
    public internal(set) var supervisorLeaf: String?

    public var mode: CgroupPaths.Mode { .v2 }
    public var parent: String { base + "/cleanroom" }
    public var parents: [String] { [parent] }

    public init(base: String, fake: Bool = false) {
        self.base = base
        self.fake = fake
    }

    /// Controllers `<base>` can hand down (its cgroup.controllers).
    public var available: Set<String> {
        Set((SysFS.read(base + "/cgroup.controllers") ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
    }

    public func limitations(for limits: Limits) -> [String] {
        let a = available
        var out: [String] = []
        if limits.memory != nil && !a.contains("memory") { out.append("memory limit not enforced: the cgroup2 memory controller is not available to \(base)") }
        if limits.cpus != nil && !a.contains("cpu") { out.append("cpus limit not enforced: the cgroup2 cpu controller is not available to \(base)") }
        if limits.pids != nil && !a.contains("pids") { out.append("pids limit not enforced: the cgroup2 pids controller is not available to \(base)") }
        if (limits.diskReadRate != nil || limits.diskWriteRate != nil) && !a.contains("io") {
            out.append("disk rate limits not enforced: the cgroup2 io controller is not available to \(base)")
        }
        return out
    }

    /// Enables what is available in `<base>` and `cleanroom/` subtree_control (only what is missing).
    func prepareParent() throws -> Set<String> {
        let a = available.intersection(Self.wanted)
        try SysFS.mkdir(parent)
        for dir in [base, parent] {
            let enabled = Set((SysFS.read(dir + "/cgroup.subtree_control") ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
            let missing = a.subtracting(enabled).sorted()
            if missing.isEmpty { continue }
            if fake {
                // The kernel's no-internal-processes rule, modelled: EBUSY for a populated cgroup
                // other than the true root (which has no cgroup.type).
                if SysFS.exists(dir + "/cgroup.type") && !SysFS.pids(dir + "/cgroup.procs").isEmpty {
                    throw SystemFailure("write \"+\(missing.joined(separator: " +"))\" to", dir + "/cgroup.subtree_control", errno: EBUSY)
                }
                try SysFS.write(dir + "/cgroup.subtree_control", enabled.union(missing).sorted().joined(separator: " "), create: true)
            } else {
                try SysFS.write(dir + "/cgroup.subtree_control", missing.map { "+" + $0 }.joined(separator: " "))
            }
        }
        return a
    }

    public func create(name: String, limits: Limits, device: BlockDevice?, counting: [BlockDevice]) throws -> CgroupGroup {
        let enabled = try prepareParent()
        var degraded = limitations(for: limits)
        let dir = parent + "/" + name
        try SysFS.mkdir(dir)
        do {
            func put(_ file: String, _ value: String) throws { try SysFS.write(dir + "/" + file, value, create: fake) }
            if let bytes = limits.memory, enabled.contains("memory") {
                try put("memory.max", String(bytes))
                if fake || SysFS.exists(dir + "/memory.swap.max") {
                    try put("memory.swap.max", "0")
                } else if (SysFS.read("/proc/swaps")?.split(separator: "\n").count ?? 1) > 1 {
                    degraded.append("memory limit may be exceeded into swap: no memory.swap.max (swap accounting off)")
                }
            }
            if let cpus = limits.cpus, enabled.contains("cpu") {
                let period = 100_000
                try put("cpu.max", "\(max(1000, Int((cpus * Double(period)).rounded()))) \(period)")
            }
            if let n = limits.pids, enabled.contains("pids") { try put("pids.max", String(n)) }
            if limits.diskReadRate != nil || limits.diskWriteRate != nil, enabled.contains("io") {
                if let dev = device {
                    var rule = dev.id
                    if let r = limits.diskReadRate { rule += " rbps=\(r)" }
                    if let w = limits.diskWriteRate { rule += " wbps=\(w)" }
                    try put("io.max", rule)
                } else {
                    degraded.append("disk rate limits not enforced: the working directory is not on a throttleable block device")
                }
            }
        } catch {
            rmdir(dir)
            throw error
        }
        return CgroupGroup(name: name, paths: CgroupPaths(mode: .v2, unified: dir), procsFiles: [dir + "/cgroup.procs"],
                           cloneInto: dir, directories: [dir], degraded: degraded)
    }

    public func createParent(name: String) throws -> CgroupGroup {
        let enabled = try prepareParent()
        let dir = parent + "/" + name
        try SysFS.mkdir(dir)
        // It never holds a process, so its children may get every controller `cleanroom/` has.
        if !enabled.isEmpty {
            do {
                if fake {
                    try SysFS.write(dir + "/cgroup.subtree_control", enabled.sorted().joined(separator: " "), create: true)
                } else {
                    try SysFS.write(dir + "/cgroup.subtree_control", enabled.sorted().map { "+" + $0 }.joined(separator: " "))
                }
            } catch {
                rmdir(dir)
                throw error
            }
        }
        return CgroupGroup(name: name, paths: CgroupPaths(mode: .v2, unified: dir), procsFiles: [dir + "/cgroup.procs"],
                           cloneInto: nil, directories: [dir], degraded: [])
    }

    public func pids(_ group: CgroupGroup) -> [pid_t] {
        guard let dir = group.paths.unified else { return [] }
        return SysFS.pids(dir + "/cgroup.procs")
    }

    public func killAll(_ group: CgroupGroup) {
        guard let dir = group.paths.unified else { return }
        // cgroup.kill (5.14+) kills the whole group atomically, forks included.
        if fake || SysFS.exists(dir + "/cgroup.kill") {
            try? SysFS.write(dir + "/cgroup.kill", "1", create: fake)
            if !fake { return }
        }
        // Older kernels: freeze, kill everyone, thaw.
        try? SysFS.write(dir + "/cgroup.freeze", "1", create: fake)
        for p in pids(group) { kill(p, SIGKILL) }
        try? SysFS.write(dir + "/cgroup.freeze", "0", create: fake)
    }

    public func isEmpty(_ group: CgroupGroup) -> Bool {
        guard let dir = group.paths.unified else { return true }
        if let populated = SysFS.read(dir + "/cgroup.events", { KernelText.keyed($0, "populated") }) {
            return populated == 0
        }
        return pids(group).isEmpty
    }

    public func emptinessProbes(_ group: CgroupGroup) -> [EmptinessProbe] {
        group.paths.unified.map { [EmptinessProbe.events($0 + "/cgroup.events")] } ?? []
    }

    public func remove(_ group: CgroupGroup) -> [String] {
        var failed: [String] = []
        for d in group.directories {
            if fake {
                // A fake tree's "control files" are real files: clear them first, as the kernel would.
                for f in SysFS.list(d) { unlink(d + "/" + f) }
            }
            let e = SysFS.rmdirRetrying(d)
            if e != 0 { failed.append("\(d): \(String(cString: strerror(e)))") }
        }
        return failed
    }
}

/// No cgroups at all: the run is bounded by rlimits and found by walking the process tree.
public final class NoCgroupBackend: CgroupBackend {
    public var mode: CgroupPaths.Mode { .none }
    public var parents: [String] { [] }
    /// The run's root process, set once spawned (tree walks start there).
    var roots: [String: pid_t] = [:]
    let lock = NSLock()

    public init() {}

    public func limitations(for limits: Limits) -> [String] {
        var out: [String] = []
        if limits.memory != nil { out.append("memory limit enforced per process only (RLIMIT_AS, address space), not for the run as a whole: no cgroups") }
        if limits.cpus != nil { out.append("cpus limit not enforced: no cgroups") }
        if limits.pids != nil { out.append("pids limit enforced per user only (RLIMIT_NPROC; ignored for root): no cgroups") }
        if limits.diskReadRate != nil || limits.diskWriteRate != nil { out.append("disk rate limits not enforced: no cgroups") }
        out.append("OOM kills cannot be told from other SIGKILLs: no cgroup memory counters")
        return out
    }

    public func create(name: String, limits: Limits, device: BlockDevice?, counting: [BlockDevice]) throws -> CgroupGroup {
        CgroupGroup(name: name, paths: CgroupPaths(mode: .none), procsFiles: [], cloneInto: nil,
                    directories: [], degraded: limitations(for: limits))
    }

    func setRoot(_ pid: pid_t, for name: String) { lock.lock(); roots[name] = pid; lock.unlock() }

    public func createParent(name: String) throws -> CgroupGroup {
        CgroupGroup(name: name, paths: CgroupPaths(mode: .none), procsFiles: [], cloneInto: nil, directories: [], degraded: [])
    }

    public func pids(_ group: CgroupGroup) -> [pid_t] {
        lock.lock(); let root = roots[group.name]; lock.unlock()
        guard let root else { return [] }
        return ProcessTree.descendants(of: root, including: true)
    }

    public func killAll(_ group: CgroupGroup) {
        for _ in 0..<3 { for p in pids(group) { kill(p, SIGKILL) } }
    }

    public func isEmpty(_ group: CgroupGroup) -> Bool { pids(group).isEmpty }
    public func remove(_ group: CgroupGroup) -> [String] {
        lock.lock(); roots[group.name] = nil; lock.unlock()
        return []
    }
}

/// Process-tree walks over /proc (the `none` backend, and tests hunting for leftovers).
public enum ProcessTree {
    /// (pid, ppid, session) of every process.
    public static func all() -> [(pid: pid_t, ppid: pid_t, session: pid_t)] {
        var out: [(pid_t, pid_t, pid_t)] = []
        for entry in SysFS.list("/proc") {
            guard let pid = pid_t(entry), let text = SysFS.read("/proc/\(pid)/stat"),
                  let close = text.lastIndex(of: ")") else { continue }
            let f = text[text.index(after: close)...].split(separator: " ")
            // state ppid pgrp session ... A zombie has exited: nothing to kill or wait for.
            guard f.count > 3, f[0] != "Z", let ppid = pid_t(f[1]), let sid = pid_t(f[3]) else { continue }
            out.append((pid, ppid, sid))
        }
        return out
    }

    public static func descendants(of root: pid_t, including: Bool) -> [pid_t] {
        let procs = all()
        var children: [pid_t: [pid_t]] = [:]
        var exists = Set<pid_t>()
        for p in procs { children[p.ppid, default: []].append(p.pid); exists.insert(p.pid) }
        var out: [pid_t] = including && exists.contains(root) ? [root] : []
        var stack = [root]
        while let p = stack.popLast() {
            for c in children[p] ?? [] { out.append(c); stack.append(c) }
        }
        return out
    }
}
