import Foundation
import GRDB

/// The trend charts of report.html (SPEC: "`report.html` draws it when a history is given").
///
/// Per workload: `median(wall_time)`, then the aggregate of every metric named in the workload's
/// objectives (`max(memory_peak)`, `p99(custom.latency)`, …), computed exactly as the Judge
/// computes it (`Observations` + `Statistics.aggregate`) over each recorded report's measured
/// runs, so an absolute threshold drawn across the chart is comparable with every point.
extension HistoryStore {
    /// Objective metrics charted per workload, besides `median(wall_time)`.
    public static let trendObjectiveCharts = 4

    /// The trend series of every workload of `report`, keyed by workload name, for
    /// `ReportOptions.trends`. Call it BEFORE `record(report)`: the current run is added as the
    /// last point from `report` itself, and a recorded copy of the same report (same start and
    /// labels, e.g. when `cleanroom report` re-renders a recorded run) is left out, as are
    /// reports that started after it. Filtered on the report's `branch` label when it has one.
    ///
    /// Every workload gets an entry (possibly with no recorded points: the trend starts here).
    public func reportTrends(for report: Report, last: Int = 20) throws -> [String: [TrendSeries]] {
        let branch = report.labels["branch"]
        let before = HistoryTime.epoch(report.startedAt)
        var out: [String: [TrendSeries]] = [:]
        do {
            try pool.read { db in
                for w in report.workloads {
                    var series: [TrendSeries] = []
                    for spec in HistoryStore.trendSpecs(w, report: report) {
                        let groups = try HistoryStore.trendGroups(workload: w.name, metric: spec.metric, branch: branch,
                                                                  before: before, db)
                        series.append(HistoryStore.series(spec, groups: groups, workload: w, report: report,
                                                          branch: branch, last: last))
                    }
                    out[w.name] = series
                }
            }
        } catch {
            throw HistoryStore.translate(error, path: path)
        }
        return out
    }

    /// What one chart plots.
    struct TrendSpec: Equatable {
        var metric: MetricRef
        var aggregate: Aggregate
        var thresholds: [TrendSeries.Threshold]
    }

    /// `median(wall_time)` first, then per objective of the workload its metric and aggregate
    /// (deduplicated; the objectives' absolute thresholds are gathered on their chart), at most
    /// `trendObjectiveCharts` of them.
    static func trendSpecs(_ w: WorkloadReport, report: Report) -> [TrendSpec] {
        var specs = [TrendSpec(metric: .builtin(.wallTime), aggregate: .median, thresholds: [])]
        var objectiveCharts = 0
        for o in report.slos where o.workload == w.name {
            guard let parsed = try? ObjectiveParser.parse(o.objective) else { continue }
            var line: TrendSeries.Threshold?
            // A baseline-relative threshold moves with the baseline: no fixed line to draw.
            // The Judge compares the aggregate with this value as is (same unit as the values).
            if case .absolute(let t) = parsed.threshold, t.isFinite {
                line = TrendSeries.Threshold(name: o.name, objective: o.objective, value: t,
                                             comparison: parsed.comparison, level: o.level)
            }
            if let i = specs.firstIndex(where: { $0.metric == parsed.metric && $0.aggregate == parsed.aggregate }) {
                if let line, !specs[i].thresholds.contains(line) { specs[i].thresholds.append(line) }
                continue
            }
            guard objectiveCharts < trendObjectiveCharts else { continue }
            objectiveCharts += 1
            specs.append(TrendSpec(metric: parsed.metric, aggregate: parsed.aggregate, thresholds: line.map { [$0] } ?? []))
        }
        return specs
    }

    /// The values of one metric of one workload in one recorded report (one unit).
    struct TrendGroup {
        var reportID: Int64
        var startedAt: String
        var verdict: String
        var labelsJSON: String
        var unit: String
        var values: [Double]
    }

    /// Measured-run values of `metric` for `workload`, grouped per (report, unit), oldest first;
    /// reports started after `before` (epoch seconds) are left out.
    static func trendGroups(workload: String, metric: MetricRef, branch: String?, before: Double?,
                            _ db: Database) throws -> [TrendGroup] {
        let head = "SELECT r.id, r.started_at, r.verdict, r.labels"
        let filter = "ru.warmup = 0 AND ru.workload = :workload AND (:branch IS NULL OR r.branch = :branch) AND (:before IS NULL OR r.started_epoch <= :before)"
        let order = "ORDER BY r.started_epoch, r.id, ru.run_index"
        var args: StatementArguments = ["workload": workload, "branch": branch, "before": before]
        let sql = HistoryStore.valuesQuery(metric, head: head, filter: filter, order: order, args: &args)
        var groups: [TrendGroup] = []
        var index: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: sql, arguments: args) {
            let id: Int64 = row["id"]
            let stored: String = row["unit"]
            let unit = stored.isEmpty ? metric.dimension.baseUnit : stored
            let key = "\(id)\u{1}\(unit)"
            let value: Double = row["value"]
            if let i = index[key] { groups[i].values.append(value) } else {
                index[key] = groups.count
                groups.append(TrendGroup(reportID: id, startedAt: row["started_at"], verdict: row["verdict"],
                                         labelsJSON: row["labels"], unit: unit, values: [value]))
            }
        }
        return groups
    }

    static func series(_ spec: TrendSpec, groups: [TrendGroup], workload w: WorkloadReport, report: Report,
                       branch: String?, last: Int) -> TrendSeries {
        let obs = Observations(metric: spec.metric, runs: w.runs)
        let currentValue = obs.unitConflict == nil ? Statistics.aggregate(spec.aggregate, obs.values) : nil
        // One unit per chart: the current run's, else the newest recorded one's.
        let unit = (currentValue != nil && !obs.unit.isEmpty ? obs.unit : nil) ?? groups.last?.unit ?? obs.unit
        let decoder = JSONDecoder()
        var points: [TrendSeries.Point] = []
        for g in groups where g.unit == unit {
            let labels = (try? decoder.decode([String: String].self, from: Data(g.labelsJSON.utf8))) ?? [:]
            // The same report, recorded already: it is the current point, not history.
            if g.startedAt == report.startedAt && labels == report.labels { continue }
            guard let v = Statistics.aggregate(spec.aggregate, g.values), v.isFinite else { continue }
            points.append(TrendSeries.Point(reportID: g.reportID, startedAt: g.startedAt, labels: labels,
                                            verdict: g.verdict, value: v, n: g.values.count))
        }
        points = Array(points.suffix(max(0, last)))
        var missing: String?
        if let v = currentValue, v.isFinite {
            points.append(TrendSeries.Point(reportID: nil, startedAt: report.startedAt, labels: report.labels,
                                            verdict: report.verdict.rawValue, value: v, n: obs.values.count))
        } else {
            missing = obs.values.isEmpty ? obs.emptyReason
                : "\(spec.aggregate) needs at least two values of \(spec.metric.key), this run has \(obs.values.count)"
        }
        return TrendSeries(metric: spec.metric.key, aggregate: spec.aggregate.description,
                           unit: spec.aggregate == .count ? "count" : unit, points: points,
                           thresholds: spec.thresholds, branch: branch, depth: last, currentMissing: missing)
    }
}
