import Foundation

/// The values of one metric a workload's runs give to statistics, and what was left out.
///
/// - builtin and service metrics: one value per *measured* (non-warmup) run whose value is
///   present; runs without it are skipped and counted, with the reasons they gave.
/// - custom metrics: every observation of every measured run, pooled.
///
/// Runs of any outcome count: a run that timed out did take that long. A failed run fails the
/// verdict on its own (see `Judge.workloadFailed`), so its figures are not hidden.
public struct Observations: Equatable, Sendable {
    public var metric: MetricRef
    public var values: [Double]
    /// The unit of `values`: the metric's base unit, or the custom series' unit.
    public var unit: String
    /// Measured runs that contributed no value.
    public var skippedRuns: Int
    /// Distinct reasons given by skipped runs (`unmeasured`), sorted, for messages.
    public var skipReasons: [String]
    /// Set when a custom metric arrived in more than one unit: its values cannot be pooled.
    public var unitConflict: [String]?
    /// How many measured runs there were.
    public var measuredRuns: Int

    public init(metric: MetricRef, runs: [RunRecord]) {
        self.metric = metric
        let measured = runs.filter { !$0.warmup }
        measuredRuns = measured.count
        var values: [Double] = []
        var skipped = 0
        var reasons = Set<String>()
        switch metric {
        case .custom(let name):
            var units: [String] = []
            for run in measured {
                guard let series = run.custom[name], !series.values.isEmpty else {
                    skipped += 1
                    if let r = run.unmeasured[metric.key] { reasons.insert(r) }
                    continue
                }
                if !units.contains(series.unit) { units.append(series.unit) }
                values.append(contentsOf: series.values.filter(\.isFinite))
            }
            unit = units.first ?? ""
            unitConflict = units.count > 1 ? units : nil
        case .builtin, .service:
            for run in measured {
                if let v = run.value(of: metric), v.isFinite {
                    values.append(v)
                } else {
                    skipped += 1
                    if let r = Observations.reason(run, metric) { reasons.insert(r) }
                }
            }
            unit = metric.dimension.baseUnit
            unitConflict = nil
        }
        self.values = values
        skippedRuns = skipped
        skipReasons = reasons.sorted()
    }

    private static func reason(_ run: RunRecord, _ metric: MetricRef) -> String? {
        switch metric {
        case .service(let svc, let m):
            return run.services[svc]?.unmeasured?[m.rawValue]
                ?? (run.services[svc] == nil ? "service \(svc) has no record in run \(run.index)" : nil)
        default:
            if let r = run.unmeasured[metric.key] { return r }
            if run.outcome == .error { return run.detail ?? "run \(run.index) could not be started" }
            return nil
        }
    }

    /// True when resampling should be over observations (custom metrics), false over runs.
    public var isPooled: Bool {
        if case .custom = metric { return true }
        return false
    }

    /// A sentence on why there are no values, for `no_data` results.
    public var emptyReason: String {
        if measuredRuns == 0 { return "no measured runs" }
        if let conflict = unitConflict {
            return "\(metric.key) was reported in several units (\(conflict.joined(separator: ", "))); values cannot be pooled"
        }
        var text = "none of \(measuredRuns) measured run\(measuredRuns == 1 ? "" : "s") reported \(metric.key)"
        if !skipReasons.isEmpty { text += " (" + skipReasons.joined(separator: "; ") + ")" }
        return text
    }

    /// Every metric key the runs carry (measured runs only): builtin keys from `metrics`
    /// (with `exit_code` left out: it is an outcome, not a figure to summarise), service
    /// metrics as `svc.NAME.METRIC`, custom metrics as `custom.NAME`. Sorted, stable.
    public static func metricKeys(in runs: [RunRecord]) -> [MetricRef] {
        var refs = Set<MetricRef>()
        for run in runs where !run.warmup {
            for key in run.metrics.keys {
                if let ref = MetricRef(key: key), ref != .builtin(.exitCode) { refs.insert(ref) }
            }
            for (svc, rec) in run.services {
                for key in rec.metrics.keys {
                    if let m = Metric(rawValue: key) { refs.insert(.service(svc, m)) }
                }
            }
            for (name, series) in run.custom where !series.values.isEmpty { refs.insert(.custom(name)) }
        }
        return refs.sorted { $0.key < $1.key }
    }
}

extension Statistics {
    /// `WorkloadReport.stats`: metric key → statistics over the measured runs (custom metrics
    /// over all their observations). Metrics with no values, or custom metrics reported in
    /// conflicting units, have no entry.
    public static func workloadStats(_ runs: [RunRecord]) -> [String: Stats] {
        var out: [String: Stats] = [:]
        for ref in Observations.metricKeys(in: runs) {
            let obs = Observations(metric: ref, runs: runs)
            guard obs.unitConflict == nil, let s = stats(obs.values, unit: obs.unit.isEmpty ? nil : obs.unit) else { continue }
            out[ref.key] = s
        }
        return out
    }
}

extension WorkloadReport {
    /// Fills `stats` from `runs` (see `Statistics.workloadStats`). Call after the last run is added.
    public mutating func computeStats() {
        stats = Statistics.workloadStats(runs)
    }
}
