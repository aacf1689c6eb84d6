import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The cumulative counters of a cgroup at the start of what is measured in it; the figures are
/// end − start. A run's (or a service's) cgroup is made for it just before its spawn, and the
/// kernel creates every cumulative counter at zero, so for those nothing is read (`fresh`): the
/// start reads were a twentieth of a `run --repeat` run's time, each of them 0
/// (`FreshGroupCountersTests` reads them on the real kernel). `take` reads them, for a group that
/// may have a past.
public struct Snapshot {
    public let counters: CgroupCounters
    /// Raw counter values at the start (absent: unreadable then, taken as 0 — the group was new).
    public let values: [CgroupCounters.Key: Int64]
    /// CLOCK_MONOTONIC, nanoseconds.
    public let takenAt: UInt64

    /// Resolves the layout of `paths` and reads every cumulative counter. Call after the cgroup
    /// exists (and after `BlkioInit.ensureCounting` on v1), before the workload is spawned.
    public static func take(paths: CgroupPaths) -> Snapshot {
        let counters = CgroupCounters.resolved(paths)
        var values: [CgroupCounters.Key: Int64] = [:]
        for k in CgroupCounters.Key.allCases where k.isCumulative {
            if let v = counters[k].spec?.read() { values[k] = v }
        }
        return Snapshot(counters: counters, values: values, takenAt: UInt64(Monotonic.nowNS))
    }

    /// The layout of `paths`, every cumulative counter taken as the 0 the kernel made it with: a
    /// group made for this run or service, so what it counts is the run's (the init's set-up
    /// included, charged apart as `startup_cpu`) whenever the layout is resolved before the exec.
    public static func fresh(paths: CgroupPaths) -> Snapshot {
        Snapshot(counters: CgroupCounters.resolved(paths), values: [:], takenAt: UInt64(Monotonic.nowNS))
    }
}

/// End-of-run figures of a cgroup. Call BEFORE the cgroup is killed or removed: after rmdir the
/// files are gone, and killing adds the kill's own CPU and frees memory (peaks survive, but the
/// counters of processes still running would grow).
public enum FinalFigures {
    /// Every contract figure the cgroup can give (cpu_time, cpu_user, cpu_system,
    /// cpu_throttled_time, memory_peak, disk_read_bytes, disk_write_bytes, pids_peak,
    /// cpu_pressure, memory_pressure, io_pressure), each with its source; the others with a reason.
    public static func read(start: Snapshot) -> Figures { read(start: start, kept: [:]) }

    /// `kept`: the same files opened ahead (`keep`), read now at offset 0 — a fresh open of each
    /// (a path walk and kernfs's per-open state) is three quarters of its cost; a file not among
    /// them, or whose kept read fails, is opened by path.
    static func read(start: Snapshot, kept: [String: KeptFile]) -> Figures {
        var f = Figures()
        for k in CgroupCounters.Key.allCases {
            guard let metric = k.metric else { continue }
            switch start.counters[k] {
            case .absent(let why):
                f.missing(metric, why)
            case .counter(let spec):
                guard let end = kept[spec.path]?.read(spec.parse) ?? spec.read() else {
                    f.missing(metric, "\(spec.path) could not be read at the end of the run")
                    continue
                }
                let raw = k.isCumulative ? end - (start.values[k] ?? 0) : end
                // A counter that went backwards was reset under us: no trustworthy figure.
                guard raw >= 0 else {
                    f.missing(metric, "\(spec.source) went backwards during the run")
                    continue
                }
                f.set(metric, Double(raw) * spec.scale, source: spec.source)
            }
        }
        splitV1CPU(&f, start.counters)
        return f
    }

    /// v1 `cpuacct.usage_user`/`usage_sys` (and `cpuacct.stat`) come from tick-sampled cpustat and
    /// drift from the scheduler's exact `cpuacct.usage` under load (seen: 1.43 s vs 2.00 s on a
    /// busy VM). Like the kernel's own cputime_adjust (rusage, cgroup2 cpu.stat), keep the exact
    /// total and split it in the ticks' proportion, so cpu_user + cpu_system = cpu_time.
    static func splitV1CPU(_ f: inout Figures, _ counters: CgroupCounters) {
        guard let total = f.metrics[Metric.cpuTime.rawValue],
              let userSpec = counters[.cpuUser].spec, userSpec.source.hasPrefix("cgroup v1 cpuacct"),
              let user = f.metrics[Metric.cpuUser.rawValue], let sys = f.metrics[Metric.cpuSystem.rawValue] else { return }
        let u = sys == 0 ? total : total * user / (user + sys)   // no system ticks: all user (as the kernel)
        let source = "cgroup v1 cpuacct.usage split in the ratio of " + (userSpec.path.hasSuffix("cpuacct.stat")
            ? "cpuacct.stat user/system ticks" : "cpuacct.usage_user/usage_sys")
        f.metrics[Metric.cpuUser.rawValue] = u
        f.metrics[Metric.cpuSystem.rawValue] = total - u
        f.sources[Metric.cpuUser.rawValue] = source
        f.sources[Metric.cpuSystem.rawValue] = source
    }

    /// The files `read(start:kept:)` reads, opened now: while a run's init sets up, the parent
    /// only waits, and the end of the run (where they are read) is on every run's critical path.
    static func keep(_ start: Snapshot) -> [String: KeptFile] {
        var kept: [String: KeptFile] = [:]
        for k in CgroupCounters.Key.allCases where k.metric != nil {
            guard let path = start.counters[k].spec?.path, kept[path] == nil else { continue }
            kept[path] = KeptFile(path, capacity: 1024)
        }
        return kept
    }

    /// `read(start:)` for the layout in `paths` (a convenience for callers holding both).
    public static func read(paths: CgroupPaths, start: Snapshot) -> Figures {
        precondition(paths == start.counters.paths, "snapshot taken for another cgroup")
        return read(start: start)
    }

    /// OOM kills in the cgroup (`oom_kill` of memory.events / memory.oom_control): the reliable
    /// OOM signal, since a forking workload's top process may exit 0 while a child was killed.
    /// `since`: counted from that snapshot (else from the group's creation). nil when the layout
    /// has no such counter. The one reader of this counter (the outcome rules use it).
    public static func oomKills(paths: CgroupPaths, since start: Snapshot? = nil) -> Int? {
        guard let spec = CgroupCounters.resolved(paths)[.oomKills].spec, let end = spec.read() else { return nil }
        return Int(end - (start?.values[.oomKills] ?? 0))
    }

    /// CPU figures from `wait4`'s rusage of the run's root: the workload and every process of the
    /// run it (or, with a PID namespace, the run's init) reaped.
    public static func fromRusage(_ ru: rusage) -> Figures {
        let user = Double(ru.ru_utime.tv_sec) + Double(ru.ru_utime.tv_usec) * 1e-6
        let sys = Double(ru.ru_stime.tv_sec) + Double(ru.ru_stime.tv_usec) * 1e-6
        let source = "wait4 rusage of the run's root (every process it reaped)"
        var f = Figures()
        f.set(.cpuTime, user + sys, source: source)
        f.set(.cpuUser, user, source: source)
        f.set(.cpuSystem, sys, source: source)
        return f
    }
}
