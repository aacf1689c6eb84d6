/// Where one run's (or one service's) cgroup lives, in whatever layout the host has. Produced by
/// the Sandbox's cgroup backends, read by the Sampler's readers: the seam between the two stages.
public struct CgroupPaths: Equatable, Sendable {
    public enum Mode: String, Sendable, Codable, CaseIterable {
        case v2, v1, hybrid, none
    }

    public var mode: Mode
    /// cgroup v1: controller name ("memory", "cpu", "cpuacct", "pids", "blkio", "freezer") → the run's directory.
    public var v1: [String: String]
    /// The run's directory in the cgroup2 tree: the whole cgroup on v2, the PSI/cpu.stat-only group on hybrid.
    public var unified: String?

    public init(mode: Mode, v1: [String: String] = [:], unified: String? = nil) {
        self.mode = mode; self.v1 = v1; self.unified = unified
    }
}

/// Figures read at the end of a run, with where each came from and why any is missing.
/// Merging several sources: the first to supply a metric wins (callers order sources by trust).
public struct Figures: Equatable, Sendable {
    public var metrics: [String: Double] = [:]
    public var sources: [String: String] = [:]
    public var unmeasured: [String: String] = [:]

    public init(metrics: [String: Double] = [:], sources: [String: String] = [:], unmeasured: [String: String] = [:]) {
        self.metrics = metrics; self.sources = sources; self.unmeasured = unmeasured
    }

    public mutating func set(_ metric: Metric, _ value: Double, source: String) {
        guard metrics[metric.rawValue] == nil else { return }
        metrics[metric.rawValue] = value
        sources[metric.rawValue] = source
        unmeasured[metric.rawValue] = nil
    }

    public mutating func missing(_ metric: Metric, _ reason: String) {
        guard metrics[metric.rawValue] == nil, unmeasured[metric.rawValue] == nil else { return }
        unmeasured[metric.rawValue] = reason
    }

    /// Adds what `other` knows and self does not.
    public mutating func merge(_ other: Figures) {
        for (k, v) in other.metrics where metrics[k] == nil {
            metrics[k] = v
            if let s = other.sources[k] { sources[k] = s }
            unmeasured[k] = nil
        }
        for (k, r) in other.unmeasured where metrics[k] == nil && unmeasured[k] == nil {
            unmeasured[k] = r
        }
    }
}
