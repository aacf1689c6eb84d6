/// A parsed objective: `AGG(METRIC) OP VALUE` (SPEC "slo.json" → objective).
public struct Objective: Equatable, Sendable {
    public var aggregate: Aggregate
    public var metric: MetricRef
    public var comparison: Comparison
    public var threshold: Threshold
    /// The objective exactly as written in slo.json, for reports.
    public var text: String

    public init(aggregate: Aggregate, metric: MetricRef, comparison: Comparison, threshold: Threshold, text: String) {
        self.aggregate = aggregate; self.metric = metric; self.comparison = comparison
        self.threshold = threshold; self.text = text
    }

    public var needsBaseline: Bool {
        if case .absolute = threshold { return false }
        return true
    }
}

public enum Aggregate: Equatable, Hashable, Sendable, CustomStringConvertible {
    case min, max, mean, median, stddev, count
    /// pNN: 0 < p < 100, e.g. 99.9 for p99.9.
    case percentile(Double)

    public var description: String {
        switch self {
        case .min: return "min"
        case .max: return "max"
        case .mean: return "mean"
        case .median: return "median"
        case .stddev: return "stddev"
        case .count: return "count"
        case .percentile(let p):
            return p == p.rounded() ? "p\(Int(p))" : "p\(p)"
        }
    }
}

public enum Comparison: String, Equatable, Sendable, CaseIterable {
    case lessThan = "<"
    case lessOrEqual = "<="
    case greaterThan = ">"
    case greaterOrEqual = ">="

    public func holds(_ observed: Double, _ threshold: Double) -> Bool {
        switch self {
        case .lessThan: return observed < threshold
        case .lessOrEqual: return observed <= threshold
        case .greaterThan: return observed > threshold
        case .greaterOrEqual: return observed >= threshold
        }
    }

    /// True for `<` and `<=`: smaller observed values are better.
    public var isUpperBound: Bool { self == .lessThan || self == .lessOrEqual }
}

/// The right-hand side of an objective, already converted to the metric's base unit.
public enum Threshold: Equatable, Sendable {
    case absolute(Double)
    /// `baseline ± N%`: signed percent, `baseline - 5%` is -5.
    case baselinePercent(Double)
    /// `baseline ± QUANTITY`: signed delta in the metric's base unit.
    case baselineDelta(Double)

    /// The threshold once the baseline's aggregate is known.
    public func resolve(baseline: Double?) -> Double? {
        switch self {
        case .absolute(let v): return v
        case .baselinePercent(let p): return baseline.map { $0 * (1 + p / 100) }
        case .baselineDelta(let d): return baseline.map { $0 + d }
        }
    }
}
