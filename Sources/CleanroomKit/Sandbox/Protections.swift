import Foundation
import CSpawn
#if canImport(Glibc)
import Glibc
#endif

/// What the workload sees of the host (docs/sandbox.md "What the workload sees"); the mounts
/// themselves are made by the child (CSpawn/protect.c). Decided here: which of the run's cgroup
/// directories appear at `/sys/fs/cgroup`, whether a cgroup namespace is entered, and what of
/// cleanroom's own memory the child wipes or hides.
enum Protections {
    static let cgroupMount = "/sys/fs/cgroup"

    /// The run's own groups, each bound read-only where the host mounts its hierarchy, so the
    /// file names inside are the host's (v1 `memory/memory.limit_in_bytes`, v2 `memory.max`).
    /// A hierarchy mounted outside /sys/fs/cgroup is not shown (its host mount is read-only inside).
    static func cgroupViews(_ paths: CgroupPaths, backend: CgroupBackend, cgroupRoot: String) -> [(host: String, inside: String)] {
        var out: [(host: String, inside: String)] = []
        func add(_ dir: String, mountedAt mount: String?) {
            guard let mount, mount == cgroupMount || mount.hasPrefix(cgroupMount + "/"),
                  !out.contains(where: { $0.inside == mount }) else { return }
            out.append((dir, mount))
        }
        if let v1 = backend as? CgroupV1Backend {
            for (controller, dir) in paths.v1.sorted(by: { $0.key < $1.key }) { add(dir, mountedAt: v1.hierarchy(controller)) }
            if let u = paths.unified { add(u, mountedAt: v1.unifiedMount) }
        } else if backend is CgroupV2Backend, let u = paths.unified {
            add(u, mountedAt: cgroupRoot)
        }
        return out
    }

    /// cleanroom's argv and environment strings (`arg_start`, `arg_end`, `env_start`, `env_end`,
    /// fields 48–51 of /proc/self/stat): the child zeroes its copy of them.
    static let parentStrings: (UInt, UInt, UInt, UInt) = {
        guard let stat = SysFS.read("/proc/self/stat"), let close = stat.lastIndex(of: ")") else { return (0, 0, 0, 0) }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state): field N is fields[N - 3].
        func field(_ n: Int) -> UInt { n - 3 < fields.count ? UInt(fields[n - 3].trimmingSpaceAndNewlines) ?? 0 : 0 }
        return (field(48), field(49), field(50), field(51))
    }()

    /// Whether this host can give a run its own cgroup namespace (Linux 4.6+): the kernel shows
    /// /proc/self/ns/cgroup exactly when it has them (a stat, where a probe clone would cost a
    /// process per cleanroom start).
    static let cgroupNamespaces: Bool = SysFS.exists("/proc/self/ns/cgroup")

    /// Whether the init can be made non-dumpable. The parent reaches the run's network namespace
    /// through a descriptor opened before the gate; without root and without cgroups, though, the
    /// disk figures are read from the init's /proc/PID/io (it reaps the workload and orphans),
    /// which a non-dumpable init refuses to a parent without CAP_SYS_PTRACE.
    static func hidesParent(host: SandboxHost) -> Bool { host.isRoot || host.backend.mode != .none }

    /// What of the above this host cannot give a run with namespaces (host.degraded).
    static func degradations(host: SandboxHost) -> [String] {
        guard host.canUseNamespaces else { return [] }
        var out: [String] = []
        if !cgroupNamespaces {
            out.append("cgroup namespace not available (kernel < 4.6): the run sees its cgroup paths as the host names them")
        }
        if !hidesParent(host: host) {
            out.append("not root and no cgroups: the sandbox's init (a copy of cleanroom) stays readable from inside through "
                       + "/proc/1/mem (its argv and environment strings are wiped; the disk figures are read from its /proc/PID/io)")
        }
        return out
    }
}
