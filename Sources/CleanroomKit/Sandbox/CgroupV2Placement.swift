import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where on a cgroup2 host cleanroom may create its runs, and whether its own process must move
/// first. The usual CI case: a container with its own cgroup namespace (GitHub Actions container
/// jobs, `docker run`), where `/sys/fs/cgroup` is the namespace's root — not the true root, so
/// the no-internal-processes rule applies to it — and cleanroom's own process lives in it; or a
/// delegated cgroup (systemd `Delegate=yes`, `systemd-run --scope -p Delegate=yes`).
public enum CgroupV2Placement: Equatable, Sendable {
    /// Runs go under `<base>/cleanroom/`; `moveSelf`: cleanroom's own process is in `base` and must
    /// move into its supervisor leaf before controllers can be enabled there.
    case manage(base: String, moveSelf: Bool)
    /// No cgroup2 base can be used here; the reason, one sentence.
    case unusable(String)

    /// The leaf cleanroom's own process moves into: named like a run (owner PID and start time),
    /// so the sweep of leftovers knows whose it is.
    public static var supervisorName: String { "cr-\(RunID.ownerPID)-\(RunID.ownerStart)-supervisor" }

    /// Decides from `selfCgroup` (the text of /proc/self/cgroup) and the tree at `root`.
    /// `pid` is our own PID (the only process cleanroom ever moves).
    public static func decide(root: String, selfCgroup: String?, isRoot: Bool, pid: pid_t = getpid()) -> CgroupV2Placement {
        // The true root has no cgroup.type (a namespace's root and every other cgroup do): it is
        // exempt from the no-internal-processes rule, and as root we may use it directly.
        let trueRoot = !SysFS.exists(root + "/cgroup.type")
        if isRoot && trueRoot && access(root + "/cgroup.subtree_control", W_OK) == 0 {
            return .manage(base: root, moveSelf: false)
        }
        guard let path = selfCgroup?.split(separator: "\n").first(where: { $0.hasPrefix("0::") }).map({ String($0.dropFirst(3)) }) else {
            return .unusable("no cgroup2 entry in /proc/self/cgroup")
        }
        // "/" is the root of our cgroup namespace, i.e. `root` itself.
        var own = path == "/" ? root : root + path
        if own.hasSuffix("/cleanroom/" + supervisorName) {
            // Moved there already (by an earlier probe of this process): the base is two levels up.
            own = URL(fileURLWithPath: own).deletingLastPathComponent().deletingLastPathComponent().path
            return .manage(base: own, moveSelf: false)
        }
        guard access(own, W_OK) == 0, access(own + "/cgroup.procs", W_OK) == 0,
              access(own + "/cgroup.subtree_control", W_OK) == 0 else {
            return .unusable(isRoot
                ? "the cgroup2 tree is not writable here (\(own): \(String(cString: strerror(errno))); a read-only cgroup mount in a container?)"
                : "not root and our cgroup \(own) is not delegated to us (no write access to its cgroup.procs and cgroup.subtree_control)")
        }
        let procs = SysFS.pids(own + "/cgroup.procs")
        let others = procs.filter { $0 != pid }
        if !others.isEmpty {
            let shown = others.prefix(5).map { p in
                let comm = SysFS.read("/proc/\(p)/comm")?.trimmingSpaceAndNewlines
                return comm.map { "\(p) (\($0))" } ?? String(p)
            }.joined(separator: ", ") + (others.count > 5 ? ", …" : "")
            return .unusable("our cgroup \(own) also holds processes that are not cleanroom's (PID \(shown)); controllers cannot be enabled below it while they are there (no-internal-processes rule), and cleanroom never moves processes it did not start: run cleanroom as the only process of its cgroup (e.g. `systemd-run --scope -p Delegate=yes cleanroom …`, or as the container's main process)")
        }
        return .manage(base: own, moveSelf: procs.contains(pid))
    }
}

extension CgroupV2Backend {
    /// The backend for a `.manage` placement, with cleanroom's own process moved into its
    /// supervisor leaf first when `moveSelf`, then the controllers enabled (`prepareParent`).
    /// Throws (with the step) when the tree refuses; nothing but our own PID is ever moved.
    public static func adopting(base: String, moveSelf: Bool, pid: pid_t = getpid(), fake: Bool = false) throws -> CgroupV2Backend {
        let b = CgroupV2Backend(base: base, fake: fake)
        if moveSelf { try b.moveSelf(pid) }
        _ = try b.prepareParent()
        return b
    }

    /// Moves our own process (every thread: cgroup.procs moves the thread group) into
    /// `<base>/cleanroom/<supervisor>`, so `<base>` holds no process and may enable controllers.
    func moveSelf(_ pid: pid_t) throws {
        try SysFS.mkdir(parent)
        let leaf = parent + "/" + CgroupV2Placement.supervisorName
        try SysFS.mkdir(leaf)
        do {
            try SysFS.write(leaf + "/cgroup.procs", String(pid), create: fake)
            if fake {
                // What the kernel does on a move: the process is no longer listed in its old cgroup.
                let left = SysFS.pids(base + "/cgroup.procs").filter { $0 != pid }.map(String.init)
                try SysFS.write(base + "/cgroup.procs", left.joined(separator: "\n"), create: true)
            }
        } catch {
            if fake { for f in SysFS.list(leaf) { unlink(leaf + "/" + f) } }
            rmdir(leaf)
            throw error
        }
        supervisorLeaf = leaf
    }
}
