import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One cgroup (in every hierarchy the backend uses) holding one unit of a run: the workload
/// (with its init), or later a service. Created with its limits, removed after the run.
public struct CgroupGroup: Sendable {
    /// The unit's name: the run id; with services, `<run id>/workload` and `<run id>/svc-<name>`
    /// for the leaves and `<run id>` for their parent.
    public var name: String
    /// Where the Sampler finds the unit's files.
    public var paths: CgroupPaths
    /// cgroup.procs files the child writes "0" to, to join (v1 hierarchies; v2 when CLONE_INTO_CGROUP fails).
    public var procsFiles: [String]
    /// A cgroup2 directory the child can be cloned straight into (CLONE_INTO_CGROUP: no RCU wait).
    public var cloneInto: String?
    /// Every directory created, children before parents: removed in this order.
    public var directories: [String]
    /// What was asked for and could not be enforced, one sentence each.
    public var degraded: [String]
}

/// A way of grouping, limiting, killing and accounting a run's processes. One per cgroup layout.
public protocol CgroupBackend: AnyObject {
    var mode: CgroupPaths.Mode { get }
    /// Creates the group `name` with `limits` applied. `device` is the block device holding cwd
    /// (for disk rate limits); `counting`: every block device the run can write to (v1 blkio counts
    /// a device only once it has a rule). Throws when the group cannot be created at all.
    func create(name: String, limits: Limits, device: BlockDevice?, counting: [BlockDevice]) throws -> CgroupGroup
    /// Creates the group `name` that will hold only child groups (a run with services: its
    /// workload's and each service's leaf). No limits, never any process; on cgroup2 the
    /// controllers are enabled in its subtree_control (the no-internal-processes rule holds).
    func createParent(name: String) throws -> CgroupGroup
    /// Every process in the group, as host PIDs.
    func pids(_ group: CgroupGroup) -> [pid_t]
    /// SIGKILLs every process in the group, including ones forking as fast as they can.
    func killAll(_ group: CgroupGroup)
    /// True when no process is left in the group.
    func isEmpty(_ group: CgroupGroup) -> Bool
    /// The files `isEmpty` reads, to be opened ahead (`KeptEmptiness`); none: always by `isEmpty`.
    func emptinessProbes(_ group: CgroupGroup) -> [EmptinessProbe]
    /// Removes the group's directories. Returns the ones that could not be removed, with why.
    func remove(_ group: CgroupGroup) -> [String]
    /// Roots under which this backend creates groups (`…/cleanroom`), for sweeping leftovers.
    var parents: [String] { get }
    /// What the backend can never enforce on this host, independent of a request (for doctor).
    func limitations(for limits: Limits) -> [String]
}

extension CgroupBackend {
    /// `create` counting I/O on `device` only.
    public func create(name: String, limits: Limits, device: BlockDevice?) throws -> CgroupGroup {
        try create(name: name, limits: limits, device: device, counting: device.map { [$0] } ?? [])
    }

    /// Sends `signal` to every process of the group except `except` (the run's init, which forwards).
    func signalAll(_ group: CgroupGroup, _ signal: Int32, except: pid_t? = nil) {
        for pid in pids(group) where pid != except { kill(pid, signal) }
    }

    public func emptinessProbes(_ group: CgroupGroup) -> [EmptinessProbe] { [] }

    /// Kills and waits (up to `seconds`) until the group is empty; returns true when it is.
    /// `kept`: the group's probes opened ahead, asked first (the usual end of a run: nothing left).
    @discardableResult
    func killAndWaitEmpty(_ group: CgroupGroup, seconds: Double = 5, kept: KeptEmptiness? = nil) -> Bool {
        if kept?.isEmpty() == true { return true }
        let deadline = Monotonic.now + seconds
        var round = 0
        var pause: UInt32 = 50   // µs, doubling to 1 ms: a killed task is usually gone within ~0.1 ms
        var lastKill = Monotonic.now
        while !isEmpty(group) {
            // Again every 50 ms: a fork that raced the first kill.
            if round == 0 || Monotonic.now - lastKill > 0.05 { killAll(group); lastKill = Monotonic.now }
            round += 1
            if Monotonic.now > deadline { return false }
            usleep(pause)
            pause = min(pause * 2, 1000)
        }
        return true
    }

    /// Whether any group under `parents` belongs to a dead owner (a cheap scan: names and the
    /// owners' /proc/PID/stat only), so the first run of a process knows whether to sweep at all.
    func hasLeftovers() -> Bool {
        for parent in parents {
            for entry in SysFS.list(parent) where RunID.isOurs(entry) && !RunID.ownerAlive(entry) { return true }
        }
        return false
    }

    /// Removes leftovers of dead cleanroom processes: groups whose owner PID (in the name) is gone.
    /// Only names cleanroom itself made (`RunID.isOurs`) are touched; anything else is left alone.
    func sweepLeftovers() -> [String] {
        var removed: [String] = []
        var seen = Set<String>()
        for parent in parents {
            for entry in SysFS.list(parent) where RunID.isOurs(entry) && !RunID.ownerAlive(entry) {
                guard seen.insert(entry).inserted else { continue }
                if entry.hasSuffix("-supervisor") {
                    // A dead cleanroom's own leaf (cgroup2 in a container / delegated cgroup). What is
                    // still in it was not a run: never killed; the leaf goes only once it is empty.
                    let leaf = leftoverGroup(named: entry)
                    if isEmpty(leaf), remove(leaf).isEmpty { removed.append(entry) }
                    continue
                }
                // A run with services has leaves (`workload`, `svc-NAME`) under its group: those first.
                var children = Set<String>()
                for p in parents { for c in SysFS.list(p + "/" + entry) where SysFS.isDirectory(p + "/" + entry + "/" + c) { children.insert(c) } }
                for c in children.sorted() {
                    let leaf = leftoverGroup(named: entry + "/" + c)
                    killAndWaitEmpty(leaf, seconds: 2)
                    _ = remove(leaf)
                }
                let group = leftoverGroup(named: entry)
                killAndWaitEmpty(group, seconds: 2)
                if remove(group).isEmpty { removed.append(entry) }
            }
        }
        return removed
    }

    /// A group value for an existing leftover directory set (same name under every parent).
    func leftoverGroup(named name: String) -> CgroupGroup {
        var dirs: [String] = []
        var v1: [String: String] = [:]
        var unified: String?
        for p in parents {
            let d = p + "/" + name
            guard SysFS.isDirectory(d) else { continue }
            dirs.append(d)
            // `<mount>/<controller>/cleanroom`: the controller is the parent's parent directory.
            let controller = URL(fileURLWithPath: p).deletingLastPathComponent().lastPathComponent
            if controller == "unified" || mode == .v2 { unified = d } else { v1[controller] = d }
        }
        return CgroupGroup(name: name, paths: CgroupPaths(mode: mode, v1: v1, unified: unified),
                           procsFiles: dirs.map { $0 + "/cgroup.procs" }, cloneInto: nil,
                           directories: dirs, degraded: [])
    }
}
