import Foundation

/// Small shared pieces of every writer: metric order, units for humans, numbers for machines.
enum ReportText {
    /// Sorts metric keys in the contract's order (SPEC "Metrics (per run)"), then custom
    /// metrics by name, then service metrics by service and the contract's order, then anything else.
    static func sortedMetricKeys<S: Sequence>(_ keys: S) -> [String] where S.Element == String {
        Array(Set(keys)).sorted { orderKey($0) < orderKey($1) }
    }

    private static let builtinIndex: [String: Int] = {
        var d: [String: Int] = [:]
        for (i, m) in Metric.allCases.enumerated() { d[m.rawValue] = i }
        return d
    }()

    private struct OrderKey: Comparable {
        var group: Int; var name: String; var index: Int
        static func < (a: OrderKey, b: OrderKey) -> Bool {
            (a.group, a.name, a.index) < (b.group, b.name, b.index)
        }
    }

    private static func orderKey(_ key: String) -> OrderKey {
        switch MetricRef(key: key) {
        case .builtin(let m)?: return OrderKey(group: 0, name: "", index: builtinIndex[m.rawValue] ?? 0)
        case .custom(let n)?: return OrderKey(group: 1, name: n, index: 0)
        case .service(let s, let m)?: return OrderKey(group: 2, name: s, index: builtinIndex[m.rawValue] ?? 0)
        case nil: return OrderKey(group: 3, name: key, index: 0)
        }
    }

    /// The dimension a stored unit string stands for ("s" → duration); nil for a custom unit.
    static func dimension(ofUnit unit: String?) -> Dimension? {
        switch unit {
        case "s": return .duration
        case "B": return .bytes
        case "B/s": return .rate
        case "%": return .percent
        case "count", "": return .count
        default: return nil
        }
    }

    /// The dimension of a metric key, from the contract or from the stats' stated unit.
    static func dimension(ofKey key: String, unit: String?) -> Dimension {
        if let ref = MetricRef(key: key), ref.dimension != .unknown { return ref.dimension }
        return dimension(ofUnit: unit) ?? .unknown
    }

    /// A value for humans: `1.23s`, `12.0MiB`, `85%`; a custom unit is appended as written.
    static func human(_ value: Double, unit: String?) -> String {
        guard value.isFinite else { return "—" }
        if let d = dimension(ofUnit: unit) { return Units.format(value, d) }
        let n = Units.format(value, .count)
        return unit.map { "\(n) \($0)" } ?? n
    }

    static func human(_ value: Double, dimension: Dimension, unit: String? = nil) -> String {
        guard value.isFinite else { return "—" }
        if dimension == .unknown { return human(value, unit: unit) }
        return Units.format(value, dimension)
    }

    /// Margin as a signed percentage: 0.913 → "+91.3%".
    static func margin(_ m: Double?) -> String {
        guard let m, m.isFinite else { return "—" }
        return String(format: "%+.1f%%", m * 100)
    }

    /// A number for machines: integers without a fraction, otherwise the shortest text that
    /// reads back to the same Double. Never "nan"/"inf" (callers skip those).
    static func number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }

    /// A run's value for a column key: builtin and service metrics, `exit_code`, and the mean /
    /// count of a custom metric's observations (`custom.NAME.mean`, `custom.NAME.n`).
    static func runValue(_ run: RunRecord, key: String) -> Double? {
        if let ref = MetricRef(key: key) { return run.value(of: ref) ?? run.metrics[key] }
        return run.metrics[key]
    }

    /// The runs that are measured (not warmup), in order.
    static func measured(_ w: WorkloadReport) -> [RunRecord] { w.runs.filter { !$0.warmup } }

    /// "2 failed, 1 inconclusive, 5 passed" over the objectives.
    static func objectiveCounts(_ slos: [ObjectiveResult]) -> String {
        let order: [(ObjectiveStatus, String)] = [(.fail, "failed"), (.inconclusive, "inconclusive"),
                                                  (.noData, "no data"), (.pass, "passed")]
        let parts = order.compactMap { (status, word) -> String? in
            let n = slos.filter { $0.status == status }.count
            return n > 0 ? "\(n) \(word)" : nil
        }
        return parts.isEmpty ? "no objectives" : parts.joined(separator: ", ")
    }

    /// Objectives in the order a reader wants them: failing first, then inconclusive, no data,
    /// passing; within each, the smallest margin (closest to or furthest past the line) first.
    static func objectivesByUrgency(_ slos: [ObjectiveResult]) -> [ObjectiveResult] {
        func rank(_ s: ObjectiveStatus) -> Int {
            switch s { case .fail: return 0; case .inconclusive: return 1; case .noData: return 2; case .pass: return 3 }
        }
        return slos.enumerated().sorted { a, b in
            let ra = rank(a.element.status), rb = rank(b.element.status)
            if ra != rb { return ra < rb }
            let ma = a.element.margin ?? .infinity, mb = b.element.margin ?? .infinity
            if ma != mb { return ma < mb }
            return a.offset < b.offset
        }.map(\.element)
    }

    /// One-line explanation of a verdict.
    static func verdictSentence(_ r: Report) -> String {
        let failedRuns = r.workloads.reduce(0) { $0 + $1.runs.filter { !$0.warmup && $0.outcome != .ok }.count }
        var s = ReportText.objectiveCounts(r.slos)
        if failedRuns > 0 { s += "; \(failedRuns) run\(failedRuns == 1 ? "" : "s") did not end as expected" }
        return s
    }
}
