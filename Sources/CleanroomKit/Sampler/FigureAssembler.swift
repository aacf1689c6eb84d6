/// Where a figure was measured. Every figure of a run is set once, from the best source that
/// has it, by `FigureAssembler`; the order is the contract's "source of truth" column.
public enum FigureSource: String, CaseIterable, Sendable {
    /// The run's cgroup counters, end − start (`cpu.stat`, `cpuacct`, `memory.peak`, `io.stat`, blkio, pids, PSI).
    case cgroup
    /// The run's own network namespace (`/proc/PID/net/dev`).
    case netns
    /// `/proc/PID/*` over the run's process tree (final reads: VmHWM, `io`, utime+stime in ticks).
    case procTree
    /// Series sampled while the run ran (means, peaks of the sampled interval, the max of samples).
    case samples
    /// `wait4` rusage of the run's root (every process it reaped).
    case rusage
    /// CLOCK_MONOTONIC stamps of the spawn path (startup_time, wall_time).
    case clock
    /// The host's own counters over the run (`/proc/pressure/cpu`, `/proc/stat` steal): contention.
    case host
}

/// Picks each figure of a run from the sources that measured it, by an explicit precedence per
/// metric — never by the order in which sources were read (docs/metrics.md "Precedence"):
///
/// - every metric: cgroup > the run's netns > /proc tree > samples > rusage > clock;
/// - except `cpu_time`, `cpu_user`, `cpu_system`: cgroup > rusage > /proc tree, because the
///   run's root reaps every process of the run (its PID namespace makes it the reaper), so its
///   rusage is complete and exact to the microsecond, while /proc sums tick-sampled counters of
///   the processes still alive at the last read;
/// - the sandbox's init is in the run's cgroup and is the root every wait4 and /proc figure
///   includes, and the workload process spends its first moments on the sandbox's last steps:
///   both are taken out of `cpu_time`, `cpu_user`, `cpu_system` whatever their source (so they
///   cover execve to exit) and reported as `startup_cpu`;
/// - `cpu_percent` is derived last: cpu_time / wall_time × 100 (for a service: over its lifetime).
///
/// A metric no source measured keeps the reason of the best source that said why.
public struct FigureAssembler: Sendable {
    private var offers: [FigureSource: Figures] = [:]

    public init() {}

    /// What `source` measured. One offer per source: a second one is merged (first value kept).
    public mutating func offer(_ figures: Figures, from source: FigureSource) {
        // The first offer is kept as it is: merging it into an empty one rebuilt its dictionaries.
        // (What assemble reads of it is the same: sources and reasons of the names it has.)
        if offers[source] == nil { offers[source] = figures } else { offers[source]!.merge(figures) }
    }

    /// The sources, best first, that may supply `metric`.
    public static func precedence(_ metric: String) -> [FigureSource] {
        switch metric {
        case Metric.cpuTime.rawValue, Metric.cpuUser.rawValue, Metric.cpuSystem.rawValue:
            return [.cgroup, .rusage, .procTree]
        default:
            return FigureSource.allCases
        }
    }

    /// Every figure once, with its source. `cpuPercentOver`: the seconds cpu_percent is taken over
    /// when it is not the run's wall_time (a service's lifetime), with how that was measured.
    /// `setupCPU`: the init's own CPU, charged apart (`startup_cpu`).
    func assemble(cpuPercentOver span: (seconds: Double, what: String)? = nil, setupCPU: SetupCPU?) -> Figures {
        var out = assemble(cpuPercentOver: span, deriving: false)
        if let c = setupCPU { Self.chargeApart(&out, c) }
        Self.deriveCPUPercent(&out, span: span)
        return out
    }

    public func assemble(cpuPercentOver span: (seconds: Double, what: String)? = nil) -> Figures {
        assemble(cpuPercentOver: span, deriving: true)
    }

    private func assemble(cpuPercentOver span: (seconds: Double, what: String)?, deriving: Bool) -> Figures {
        // Each offered entry once, keeping per name the one whose source comes first in
        // `precedence(name)` (a source not in it never counts): every source asked about every
        // name hashed each name a dozen times, 50 µs of every run.
        var out = Figures()
        let entries = offers.values.reduce(0) { $0 + $1.metrics.count }
        out.metrics.reserveCapacity(entries); out.sources.reserveCapacity(entries)
        var rank: [String: Int] = [:]
        rank.reserveCapacity(entries)
        for (source, f) in offers {
            for (name, value) in f.metrics {
                guard let r = Self.precedence(name).firstIndex(of: source), r < rank[name] ?? .max else { continue }
                rank[name] = r
                out.metrics[name] = value
                out.sources[name] = f.sources[name]
            }
        }
        rank.removeAll(keepingCapacity: true)
        for (source, f) in offers {
            for (name, why) in f.unmeasured where out.metrics[name] == nil {
                guard let r = Self.precedence(name).firstIndex(of: source), r < rank[name] ?? .max else { continue }
                rank[name] = r
                out.unmeasured[name] = why
            }
        }
        if deriving { Self.deriveCPUPercent(&out, span: span) }
        return out
    }

    /// The init's CPU out of the run's CPU figures (never below 0: a tick-counted source can be
    /// coarser than the init's microseconds), and as `startup_cpu` of its own.
    static func chargeApart(_ f: inout Figures, _ c: SetupCPU) {
        let total = c.user + c.system
        f.set(.startupCPU, total, source: "getrusage of the sandbox's init (PID 1 of the run, a copy of cleanroom: joins, "
              + "mounts, the workload's fds, capabilities and seccomp filter, spawning it, reaping) and of the workload process just before execve")
        for (metric, part) in [(Metric.cpuTime, total), (.cpuUser, c.user), (.cpuSystem, c.system)] {
            let key = metric.rawValue
            guard let v = f.metrics[key] else { continue }
            f.metrics[key] = max(0, v - part)
            f.sources[key] = (f.sources[key] ?? "") + ", less the sandbox's own part (startup_cpu)"
        }
        // The run's user/system split (often tick-counted) and the init's (exact) disagree: a part
        // clamped at 0 would leave cpu_user + cpu_system above cpu_time. Keep their ratio and make
        // them add up to it.
        let (u, s, t) = (Metric.cpuUser.rawValue, Metric.cpuSystem.rawValue, Metric.cpuTime.rawValue)
        if let user = f.metrics[u], let system = f.metrics[s], let cpu = f.metrics[t], user + system > 0 {
            let scale = cpu / (user + system)
            f.metrics[u] = user * scale
            f.metrics[s] = system * scale
        }
    }

    /// cpu_percent = cpu_time / wall_time × 100 (or over `span`), once both are known.
    static func deriveCPUPercent(_ f: inout Figures, span: (seconds: Double, what: String)?) {
        let key = Metric.cpuPercent.rawValue
        guard f.metrics[key] == nil else { return }
        let wall = span?.seconds ?? f.metrics[Metric.wallTime.rawValue]
        guard let wall else { return }   // the workload never ran: no span to take it over
        let what = span?.what ?? "wall_time"
        if let cpu = f.metrics[Metric.cpuTime.rawValue], wall > 0 {
            f.metrics[key] = cpu / wall * 100
            f.sources[key] = "cpu_time / \(what) × 100"
            f.unmeasured[key] = nil
        } else if wall <= 0 {
            f.unmeasured[key] = "\(what) is 0"
        } else {
            f.unmeasured[key] = "no cpu_time: " + (f.unmeasured[Metric.cpuTime.rawValue] ?? "not measured")
        }
    }
}
