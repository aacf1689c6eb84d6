import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The cumulative counters of a run's cgroup, read once before the workload is spawned. A fresh
/// cgroup starts near 0, but the figures are end − start all the same, so that anything the
/// sandbox ran in the group before the workload (a `prepare` step) is not counted.
public struct Snapshot {
    public let counters: CgroupCounters
    /// Raw counter values at the start (absent: unreadable then, taken as 0 — the group was new).
    public let values: [CgroupCounters.Key: Int64]
    /// CLOCK_MONOTONIC, nanoseconds.
    public let takenAt: UInt64

    /// Resolves the layout of `paths` and reads every cumulative counter. Call after the cgroup
    /// exists (and after `BlkioInit.ensureCounting` on v1), before the workload is spawned.
    public static func take(paths: CgroupPaths) -> Snapshot {
        let counters = CgroupCounters(paths: paths)
        var values: [CgroupCounters.Key: Int64] = [:]
        for k in CgroupCounters.Key.allCases where k.isCumulative {
            if let v = counters[k].spec?.read() { values[k] = v }
        }
        return Snapshot(counters: counters, values: values, takenAt: Clock.monotonicNanos())
    }
}

/// End-of-run figures of a cgroup. Call BEFORE the cgroup is killed or removed: after rmdir the
/// files are gone, and killing adds the kill's own CPU and frees memory (peaks survive, but the
/// counters of processes still running would grow).
public enum FinalFigures {
    /// Every contract figure the cgroup can give (cpu_time, cpu_user, cpu_system,
    /// cpu_throttled_time, memory_peak, disk_read_bytes, disk_write_bytes, pids_peak,
    /// cpu_pressure, memory_pressure, io_pressure), each with its source; the others with a reason.
    public static func read(start: Snapshot) -> Figures {
        var f = Figures()
        for k in CgroupCounters.Key.allCases {
            guard let metric = k.metric else { continue }
            switch start.counters[k] {
            case .absent(let why):
                f.missing(metric, why)
            case .counter(let spec):
                guard let end = spec.read() else {
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

    /// `read(start:)` for the layout in `paths` (a convenience for callers holding both).
    public static func read(paths: CgroupPaths, start: Snapshot) -> Figures {
        precondition(paths == start.counters.paths, "snapshot taken for another cgroup")
        return read(start: start)
    }

    /// OOM kills in the cgroup during the run (`oom_kill` of memory.events / memory.oom_control):
    /// the reliable OOM signal, since a forking workload's top process may exit 0 while a child
    /// was killed. nil when the layout has no such counter.
    public static func oomKills(since start: Snapshot) -> Int? {
        guard let spec = start.counters[.oomKills].spec, let end = spec.read() else { return nil }
        return Int(end - (start.values[.oomKills] ?? 0))
    }

    /// CPU figures from `wait4`'s rusage (the workload and every descendant it waited for).
    public static func fromRusage(_ ru: rusage) -> Figures {
        let user = Double(ru.ru_utime.tv_sec) + Double(ru.ru_utime.tv_usec) * 1e-6
        let sys = Double(ru.ru_stime.tv_sec) + Double(ru.ru_stime.tv_usec) * 1e-6
        var f = Figures()
        f.set(.cpuTime, user + sys, source: "wait4 rusage (ru_utime + ru_stime)")
        f.set(.cpuUser, user, source: "wait4 rusage ru_utime")
        f.set(.cpuSystem, sys, source: "wait4 rusage ru_stime")
        return f
    }

    /// Finishes a run's figures once the sandbox knows the wall time (exec → exit) and, having
    /// reaped the workload, its rusage: fills CPU from rusage when no cgroup gave it, and derives
    /// cpu_percent = cpu_time / wall_time × 100.
    public static func complete(_ f: inout Figures, wallTime: Double, rusage: rusage? = nil) {
        f.set(.wallTime, wallTime, source: "monotonic clock from exec to exit")
        if let ru = rusage { f.merge(fromRusage(ru)) }
        if let cpu = f.metrics[Metric.cpuTime.rawValue], wallTime > 0 {
            f.set(.cpuPercent, cpu / wallTime * 100, source: "cpu_time / wall_time × 100")
        } else if wallTime <= 0 {
            f.missing(.cpuPercent, "wall time is 0")
        } else {
            f.missing(.cpuPercent, "no cpu_time: " + (f.unmeasured[Metric.cpuTime.rawValue] ?? "not measured"))
        }
    }
}

enum Clock {
    static func monotonicNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
