/// Figures read at the end of a run, with where each came from and why any is missing.
/// One `Figures` holds what one source measured; where several sources measure the same metric,
/// `FigureAssembler` (Sampler/) picks one by the documented precedence, never call order.
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
