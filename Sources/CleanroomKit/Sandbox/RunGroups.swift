#if canImport(Glibc)
import Glibc
#endif

/// The cgroups of one run. Without services: one group (today's layout, no extra cost). With
/// services: a parent group R that never holds a process, the workload's leaf `R/workload` (the
/// init and the workload; the run's limits; what the Sampler reads) and one unlimited leaf
/// `R/svc-NAME` per service.
struct RunGroups {
    var parent: CgroupGroup?
    var workload: CgroupGroup
    var services: [CgroupGroup]
    /// The workload group's join files, open (nil: the child opens them by path).
    var joinFiles: JoinFiles?

    /// `limitedDevice`: the device holding cwd (disk rate limits); `devices`: every device whose
    /// I/O must be counted (v1 blkio needs a rule on each).
    static func make(_ backend: CgroupBackend, runID: String, limits: Limits, devices: [BlockDevice],
                     limitedDevice: BlockDevice?, services: [ServicePlan]) throws -> RunGroups {
        let device = limitedDevice
        let v1 = backend is CgroupV1Backend
        guard !services.isEmpty else {
            let w = try backend.create(name: runID, limits: limits, device: device, counting: devices)
            return RunGroups(parent: nil, workload: w, services: [], joinFiles: JoinFiles(w.childJoinFiles(v1: v1)))
        }
        let parent = try backend.createParent(name: runID)
        var made: [CgroupGroup] = []
        do {
            let w = try backend.create(name: runID + "/workload", limits: limits, device: device, counting: devices)
            made.append(w)
            for s in services {
                // A service gets its own `limits` (none by default), never the workload's: a
                // service starved by those would make the workload's figures lie. `devices` keep
                // v1 I/O counting on.
                made.append(try backend.create(name: runID + "/svc-" + s.name, limits: s.limits, device: nil, counting: devices))
            }
            return RunGroups(parent: parent, workload: w, services: Array(made.dropFirst()),
                             joinFiles: JoinFiles(w.childJoinFiles(v1: v1)))
        } catch {
            for g in made.reversed() { _ = backend.remove(g) }
            _ = backend.remove(parent)
            throw error
        }
    }

    /// Removes the leaves, then the parent; returns what could not be removed.
    func remove(_ backend: CgroupBackend) -> [String] {
        var failed: [String] = []
        for g in services { failed += backend.remove(g) }
        failed += backend.remove(workload)
        if let p = parent { failed += backend.remove(p) }
        return failed
    }
}

/// The files the child writes "0" to, to join the run's group (`CgroupGroup.childJoinFiles`),
/// opened when the groups are made: for a `run` command's next run on the pool's thread, for
/// `exec` on the prewarm's, ahead of the run, instead of by the child on the run's critical path
/// (seven opens and closes of deep cgroupfs paths on a hybrid host). Opened in the host's mount
/// namespace by root, as the child's own opens were. Closed when the last copy of the run's
/// `RunGroups` goes: the child has its own copies by then.
final class JoinFiles {
    let paths: [String]
    let fds: [Int32]

    /// nil when there are none, or one cannot be opened (or only below 3, which the child keeps
    /// for stdio): the child opens them by path then, and meets any error itself.
    init?(_ paths: [String]) {
        guard !paths.isEmpty else { return nil }
        var fds: [Int32] = []
        for p in paths {
            let fd = open(p, O_WRONLY | O_CLOEXEC)
            guard fd >= 3 else {
                if fd >= 0 { close(fd) }
                for f in fds { close(f) }
                return nil
            }
            fds.append(fd)
        }
        self.paths = paths
        self.fds = fds
    }

    deinit { for fd in fds { close(fd) } }

    /// The descriptors of `joins` when it begins with these files (the child's join list, in
    /// its order), else none.
    func descriptors(for joins: [String]) -> [Int32] { joins.starts(with: paths) ? fds : [] }
}

extension CgroupGroup {
    /// The files the child itself writes "0" to, to join this group: v1 `tasks` (moving the
    /// calling thread skips the RCU grace period a `cgroup.procs` move waits for), the cgroup2
    /// `cgroup.procs` of groups not entered by CLONE_INTO_CGROUP.
    /// The CPU-accounting group (v1 cpuacct) comes last: the init's CPU before it joined that
    /// group is cleanroom's, and its getrusage just before the last join (`joined_cpu_ns`, init.c)
    /// must be that part alone. Joining another v1 hierarchy waits for its cgroup locks and costs
    /// up to hundreds of µs, which would otherwise be in the run's counter but not in startup_cpu.
    /// Paths are scanned as bytes: String's `split` and `dropLast` walk Characters (grapheme
    /// breaking), 60 µs of every run's set-up for seven paths.
    func childJoinFiles(v1: Bool) -> [String] {
        let entered = cloneInto.map { $0 + "/cgroup.procs" }
        let joins = procsFiles.filter { $0 != entered }
        let ordered = joins.filter { !Self.accountsCPU($0) } + joins.filter(Self.accountsCPU)
        let suffix = "cgroup.procs".utf8.count
        return v1 ? ordered.map { String(decoding: $0.utf8.dropLast(suffix), as: UTF8.self) + "tasks" } : ordered
    }

    /// A component of the path is, or lists, the cpuacct controller ("cpuacct", "cpu,cpuacct").
    static func accountsCPU(_ procs: String) -> Bool {
        let word: StaticString = "cpuacct"
        let n = word.utf8CodeUnitCount
        var at = 0, same = true   // position in the current component, and whether it is `word` so far
        for b in procs.utf8 {
            if b == UInt8(ascii: "/") || b == UInt8(ascii: ",") {
                if same && at == n { return true }
                at = 0; same = true
            } else {
                same = same && at < n && word.utf8Start[at] == b
                at += 1
            }
        }
        return same && at == n
    }
}
