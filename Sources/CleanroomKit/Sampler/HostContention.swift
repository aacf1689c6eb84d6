import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How busy the host was with other work while a run was measured: the host's CPU pressure
/// (`/proc/pressure/cpu`, `total=` µs) and the hypervisor's steal time (`/proc/stat`, the `cpu`
/// line's 8th field, USER_HZ ticks), read at the start and the end of the run. A suite's CPU time
/// was seen to drift 26.9 → 35.3 s with host load and nothing said so: these figures do.
public struct HostContention: Sendable {
    /// `some` and `full` totals of /proc/pressure/cpu, µs (nil: no PSI on this kernel).
    public var pressureSomeMicros: Int64?
    public var pressureFullMicros: Int64?
    /// Steal of all CPUs, USER_HZ ticks (nil: unreadable).
    public var stealTicks: Int64?

    public static let pressureFile = "/proc/pressure/cpu"
    public static let statFile = "/proc/stat"

    /// Reads the host's counters now.
    public static func read() -> HostContention {
        kept.lock.lock(); defer { kept.lock.unlock() }
        // Host-wide files, the same for every run: opened once per process and re-read at offset 0
        // (four opens a run of `run --repeat` were ~25 µs, half of them at the run's end).
        if !kept.opened {
            kept.pressure = KeptFile(pressureFile)
            kept.stat = KeptFile(statFile, capacity: 16384)
            kept.opened = true
        }
        var c = HostContention()
        if let p = kept.pressure?.read(KernelText.psiTotals) ?? SysFS.read(pressureFile, KernelText.psiTotals) {
            c.pressureSomeMicros = p.some; c.pressureFullMicros = p.full
        }
        c.stealTicks = kept.stat?.read(KernelText.procStatSteal) ?? SysFS.read(statFile, KernelText.procStatSteal)
        return c
    }

    /// Runs in parallel (`--parallel`) read these at once: a KeptFile has one buffer.
    private final class Kept: @unchecked Sendable {
        let lock = NSLock()
        var opened = false
        var pressure: KeptFile?
        var stat: KeptFile?
    }
    private static let kept = Kept()

    /// `host_cpu_pressure` and `steal_time` between `start` and `end`, each with its source or
    /// the reason it is missing.
    public static func figures(from start: HostContention, to end: HostContention,
                               ticksPerSecond: Double = Double(sysconf(Int32(_SC_CLK_TCK)))) -> Figures {
        var f = Figures()
        if let a = start.pressureSomeMicros, let b = end.pressureSomeMicros, b >= a {
            var source = "host /proc/pressure/cpu some total (delta over the run)"
            if let fa = start.pressureFullMicros, let fb = end.pressureFullMicros, fb >= fa {
                source += "; full: \(Units.format(Double(fb - fa) * 1e-6, .duration))"
            }
            f.set(.hostCPUPressure, Double(b - a) * 1e-6, source: source)
        } else {
            f.missing(.hostCPUPressure, start.pressureSomeMicros == nil
                      ? "no /proc/pressure/cpu on this host (kernel without PSI, or psi=0)"
                      : "/proc/pressure/cpu could not be read at the end of the run")
        }
        if let a = start.stealTicks, let b = end.stealTicks, b >= a {
            f.set(.stealTime, Double(b - a) / ticksPerSecond,
                  source: "host /proc/stat cpu steal, all CPUs (delta over the run, USER_HZ ticks)")
        } else {
            f.missing(.stealTime, "/proc/stat has no steal field or could not be read")
        }
        return f
    }
}

/// When a run counts as measured under contention, and what `--strict` does about it
/// (docs/metrics.md "Contention").
public enum Contention {
    /// Stall time of other tasks on the host (host CPU pressure minus the run's own), as a share of
    /// the run's wall time, above which the run is flagged.
    public static let pressureShareThreshold = 0.10
    /// Steal time (summed over CPUs) as a share of the run's wall time above which it is flagged.
    public static let stealShareThreshold = 0.05

    /// Why the run is flagged as contended, nil when it is not (or cannot be told).
    public static func reason(metrics: [String: Double]) -> String? {
        guard let wall = metrics[Metric.wallTime.rawValue], wall > 0 else { return nil }
        var parts: [String] = []
        if let host = metrics[Metric.hostCPUPressure.rawValue] {
            // The run's own stalls (more runnable threads than cores) are its own business, not
            // contention: what is left is a lower bound of other tasks' stalls.
            let others = max(0, host - (metrics[Metric.cpuPressure.rawValue] ?? 0))
            if others / wall > pressureShareThreshold {
                parts.append("host CPU pressure from other tasks \(percent(others / wall)) of the run's wall time "
                             + "(threshold \(percent(pressureShareThreshold)))")
            }
        }
        if let steal = metrics[Metric.stealTime.rawValue], steal / wall > stealShareThreshold {
            parts.append("steal time \(percent(steal / wall)) of the run's wall time (threshold \(percent(stealShareThreshold)))")
        }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    /// Whether an objective on `metric` is about time, and so distorted when the host is busy.
    public static func isTiming(_ metric: MetricRef, unit: String) -> Bool {
        switch metric {
        case .builtin(let m), .service(_, let m):
            if m == .hostCPUPressure || m == .stealTime { return false }
            return m.dimension == .duration || m.dimension == .percent
        case .custom:
            return unit == "s"
        }
    }

    /// With `--strict`, a timing objective over runs of which any was contended is not judged:
    /// it becomes `inconclusive` with the reason (exit 4). Without `--strict`, only the reason
    /// notes it when the status is not a pass.
    public static func review(_ r: inout ObjectiveResult, metric: MetricRef, runs: [RunRecord], strict: Bool) {
        guard isTiming(metric, unit: r.unit), r.status != .noData else { return }
        let contended = runs.filter { !$0.warmup && $0.contention != nil }
        guard let first = contended.first else { return }
        let measured = runs.filter { !$0.warmup }.count
        let what = "\(contended.count) of \(measured) run\(measured == 1 ? "" : "s") measured under host contention "
            + "(run \(first.index): \(first.contention!))"
        if strict {
            r.status = .inconclusive
            r.reason = what + "; --strict does not judge timing objectives on contended runs"
                + (r.reason.map { "; " + $0 } ?? "")
        } else if r.status != .pass {
            r.reason = (r.reason.map { $0 + "; " } ?? "") + what
        }
    }

    static func percent(_ x: Double) -> String {
        let p = x * 100
        return p >= 10 ? "\(Int(p.rounded())) %" : CFormat.text("%.1f %%", p)
    }
}

extension KernelText {
    /// `/proc/pressure/cpu` (or a cgroup's `cpu.pressure`): `total=` of the `some` and `full` lines, µs.
    public static func psiTotals(_ b: Bytes) -> (some: Int64, full: Int64?)? {
        var some: Int64?, full: Int64?
        var i = 0
        while i < b.count {
            let isSome = hasPrefix(b, i, "some "), isFull = hasPrefix(b, i, "full ")
            if isSome || isFull {
                while i < b.count, b[i] != 10 {
                    if hasPrefix(b, i, "total=") {
                        var j = i + 6
                        if isSome { some = number(b, &j) } else { full = number(b, &j) }
                        i = j
                        break
                    }
                    i += 1
                }
            }
            skipLine(b, &i)
        }
        return some.map { ($0, full) }
    }

    /// `/proc/stat`: the steal field (8th number) of the aggregate `cpu ` line, USER_HZ ticks.
    /// nil when the line is missing or too short (kernels before 2.6.11).
    public static func procStatSteal(_ b: Bytes) -> Int64? {
        var i = 0
        while i < b.count {
            if hasPrefix(b, i, "cpu ") {
                var j = i + 4
                for field in 1...8 {
                    skipBlanks(b, &j)
                    guard let v = number(b, &j) else { return nil }
                    if field == 8 { return v }
                }
                return nil
            }
            skipLine(b, &i)
        }
        return nil
    }
}
