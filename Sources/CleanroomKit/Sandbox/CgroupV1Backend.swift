import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// cgroup v1, one hierarchy per controller (`<root>/<controller>/cleanroom/<run>`), and on hybrid
/// hosts also the run's own group in the cgroup2 tree (`<root>/unified/cleanroom/<run>`), which
/// has no controllers there but gives per-run PSI and `cpu.stat`.
///
/// cpu and cpuacct are separate hierarchies on some hosts and co-mounted (`cpu,cpuacct`) on
/// others: hierarchies are de-duplicated by their real path, so a co-mounted pair gets one group.
public final class CgroupV1Backend: CgroupBackend {
    public static let controllers = ["memory", "cpu", "cpuacct", "pids", "blkio", "freezer"]

    public let root: String
    /// controller → the hierarchy's mount directory, in `controllers` order. Pairs, not a
    /// dictionary: this backend is made by the host probe, on `exec`'s critical path, where the
    /// process's first String-keyed Dictionary or Set (the standard library's pre-specialised code
    /// looks its storage type up by mangled name) costs a scan of all ~9 500 conformance records
    /// of the binary, ~0.25 ms (docs/BENCHMARKS.md). The main thread pays that scan meanwhile.
    let controllerDirs: [(controller: String, dir: String)]
    /// The distinct hierarchy directories we create groups in, sorted.
    let distinctHierarchies: [String]
    /// The mount directory of `controller`'s hierarchy; nil when it is not mounted.
    public func hierarchy(_ controller: String) -> String? { controllerDirs.first { $0.controller == controller }?.dir }
    /// The cgroup2 mount of a hybrid host, nil on pure v1.
    public let unifiedMount: String?
    let swapActive: Bool

    public var mode: CgroupPaths.Mode { unifiedMount == nil ? .v1 : .hybrid }

    public init(root: String = "/sys/fs/cgroup", unified: String?) {
        self.root = root
        var pairs: [(controller: String, dir: String)] = []
        for c in Self.controllers {
            let dir = root + "/" + c
            if SysFS.exists(dir + "/cgroup.procs") {
                // realpath(3): co-mounted `cpu,cpuacct` shows up as two symlinks to one directory.
                if let r = realpath(dir, nil) { pairs.append((c, String(cString: r))); free(r) } else { pairs.append((c, dir)) }
            }
        }
        controllerDirs = pairs
        var distinct: [String] = []
        for dir in pairs.map(\.dir).sorted() where distinct.last != dir { distinct.append(dir) }
        distinctHierarchies = distinct
        unifiedMount = unified
        swapActive = (SysFS.read("/proc/swaps")?.split(separator: "\n").count ?? 1) > 1
    }

    public var parents: [String] {
        distinctHierarchies.map { $0 + "/cleanroom" } + (unifiedMount.map { [$0 + "/cleanroom"] } ?? [])
    }

    public func limitations(for limits: Limits) -> [String] {
        var out: [String] = []
        if limits.memory != nil && hierarchy("memory") == nil { out.append("memory limit not enforced: cgroup v1 memory controller not mounted") }
        if limits.cpus != nil && hierarchy("cpu") == nil { out.append("cpus limit not enforced: cgroup v1 cpu controller not mounted") }
        if limits.pids != nil && hierarchy("pids") == nil { out.append("pids limit not enforced: cgroup v1 pids controller not mounted") }
        if (limits.diskReadRate != nil || limits.diskWriteRate != nil) && hierarchy("blkio") == nil {
            out.append("disk rate limits not enforced: cgroup v1 blkio controller not mounted")
        }
        if hierarchy("freezer") == nil { out.append("no freezer: killing a forking tree races its forks (PID namespace teardown still kills it)") }
        return out
    }

    public func create(name: String, limits: Limits, device: BlockDevice?, counting: [BlockDevice]) throws -> CgroupGroup {
        var degraded = limitations(for: limits).filter { !$0.hasPrefix("no freezer") }
        var dirToPath: [String: String] = [:]
        var made: [String] = []
        do {
            // The run's group straight away: SysFS.mkdir makes the `cleanroom` parent only when
            // it is missing (ENOENT). An mkdir of the parent before each run's answered EEXIST
            // after a path walk and the hierarchy directory's lock: seven a run on a hybrid host.
            for h in distinctHierarchies {
                let dir = h + "/cleanroom/" + name
                try SysFS.mkdir(dir)
                made.append(dir)
                dirToPath[h] = dir
            }
            var v1: [String: String] = [:]
            for (c, h) in controllerDirs { v1[c] = dirToPath[h] }

            if let mem = v1["memory"] {
                if let bytes = limits.memory {
                    try SysFS.write(mem + "/memory.limit_in_bytes", String(bytes))
                    // No swap on top: memsw = memory. Without memsw accounting, swappiness 0 is the best v1 offers.
                    if SysFS.exists(mem + "/memory.memsw.limit_in_bytes") {
                        try SysFS.write(mem + "/memory.memsw.limit_in_bytes", String(bytes))
                    } else {
                        try? SysFS.write(mem + "/memory.swappiness", "0")
                        if swapActive { degraded.append("memory limit may be exceeded into swap: no memsw accounting (swapaccount=0)") }
                    }
                }
            }
            if let cpu = v1["cpu"], let cpus = limits.cpus {
                let period = 100_000
                let quota = max(1000, Int((cpus * Double(period)).rounded()))
                try SysFS.write(cpu + "/cpu.cfs_period_us", String(period))
                try SysFS.write(cpu + "/cpu.cfs_quota_us", String(quota))
            }
            if let p = v1["pids"], let n = limits.pids {
                try SysFS.write(p + "/pids.max", String(n))
            }
            if let b = v1["blkio"] {
                if device == nil, limits.diskReadRate != nil || limits.diskWriteRate != nil {
                    degraded.append("disk rate limits not enforced: the working directory is not on a throttleable block device")
                }
                try BlkioInit.applyRules(cgroupDir: b, limits: limits, limitDevice: device, counting: counting)
            }
            var unified: String?
            if let u = unifiedMount {
                let dir = u + "/cleanroom/" + name
                try SysFS.mkdir(dir)
                made.append(dir)
                unified = dir
            }
            // Join order matters only for cost; the unified group is entered by CLONE_INTO_CGROUP.
            let procs = distinctHierarchies.compactMap { dirToPath[$0].map { $0 + "/cgroup.procs" } }
            return CgroupGroup(name: name, paths: CgroupPaths(mode: mode, v1: v1, unified: unified),
                               procsFiles: procs, cloneInto: unified, directories: made.reversed(), degraded: degraded)
        } catch {
            for d in made.reversed() { rmdir(d) }
            throw error
        }
    }

    public func createParent(name: String) throws -> CgroupGroup {
        var made: [String] = []
        var v1: [String: String] = [:]
        var unified: String?
        do {
            for h in distinctHierarchies {
                try SysFS.mkdir(h + "/cleanroom")
                let dir = h + "/cleanroom/" + name
                try SysFS.mkdir(dir)
                made.append(dir)
                for (c, hh) in controllerDirs where hh == h { v1[c] = dir }
            }
            if let u = unifiedMount {
                try SysFS.mkdir(u + "/cleanroom")
                let dir = u + "/cleanroom/" + name
                try SysFS.mkdir(dir)
                made.append(dir)
                unified = dir
            }
        } catch {
            for d in made.reversed() { rmdir(d) }
            throw error
        }
        let procs = distinctHierarchies.map { $0 + "/cleanroom/" + name + "/cgroup.procs" }
        return CgroupGroup(name: name, paths: CgroupPaths(mode: mode, v1: v1, unified: unified),
                           procsFiles: procs, cloneInto: nil, directories: made.reversed(), degraded: [])
    }

    public func pids(_ group: CgroupGroup) -> [pid_t] {
        var all = Set<pid_t>()
        for f in group.procsFiles { all.formUnion(SysFS.pids(f)) }
        if let u = group.paths.unified { all.formUnion(SysFS.pids(u + "/cgroup.procs")) }
        return Array(all)
    }

    public func killAll(_ group: CgroupGroup) {
        // Freeze first so a fork bomb cannot outrun the kill loop, SIGKILL everyone, thaw.
        guard let fz = group.paths.v1["freezer"] else {
            for _ in 0..<3 { for p in pids(group) { kill(p, SIGKILL) } }
            return
        }
        try? SysFS.write(fz + "/freezer.state", "FROZEN")
        let deadline = Monotonic.now + 0.5
        while Monotonic.now < deadline {
            let s = SysFS.read(fz + "/freezer.state")?.trimmingSpaceAndNewlines
            if s == "FROZEN" { break }
            usleep(500)
        }
        for p in pids(group) { kill(p, SIGKILL) }
        try? SysFS.write(fz + "/freezer.state", "THAWED")
    }

    public func isEmpty(_ group: CgroupGroup) -> Bool { pids(group).isEmpty }

    public func emptinessProbes(_ group: CgroupGroup) -> [EmptinessProbe] {
        (group.procsFiles + (group.paths.unified.map { [$0 + "/cgroup.procs"] } ?? [])).map(EmptinessProbe.procs)
    }

    public func remove(_ group: CgroupGroup) -> [String] {
        var failed: [String] = []
        for d in group.directories {
            let e = SysFS.rmdirRetrying(d)
            if e != 0 { failed.append("\(d): \(String(cString: strerror(e)))") }
        }
        return failed
    }
}
