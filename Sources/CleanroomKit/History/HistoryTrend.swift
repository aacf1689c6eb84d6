import Foundation
import GRDB

/// One point of `cleanroom history`: a metric of one workload in one recorded report,
/// summarised over that report's measured runs (custom metrics: over all observations).
public struct TrendPoint: Codable, Equatable, Sendable {
    public var reportID: Int64
    public var startedAt: String
    public var verdict: String
    public var labels: [String: String]
    public var shard: String?
    public var workload: String
    public var metric: String
    /// The values' unit: the metric's base unit, or the custom series' unit.
    public var unit: String
    public var n: Int
    public var median: Double
    public var p95: Double
    public var mean: Double
    public var min: Double
    public var max: Double

    enum CodingKeys: String, CodingKey {
        case verdict, labels, shard, workload, metric, unit, n, median, p95, mean, min, max
        case reportID = "report_id"
        case startedAt = "started_at"
    }
}

extension HistoryStore {

    /// The trend of `metric`: one point per (recorded report, workload) that has measured
    /// values of it, for the newest `last` such reports, oldest first. Statistics use the
    /// same definitions as report.json (`Statistics`: numpy-linear percentiles).
    ///
    /// - Parameters:
    ///   - workload: one workload, or nil for every workload.
    ///   - branch: only reports whose `branch` label is this; nil for all.
    public func trend(workload: String?, metric: MetricRef, last: Int = 20, branch: String? = nil) throws -> [TrendPoint] {
        do {
            return try pool.read { db in try HistoryStore.trend(workload: workload, metric: metric, last: last, branch: branch, db) }
        } catch {
            throw HistoryStore.translate(error, path: path)
        }
    }

    /// The query for every stored value of `metric` (one row per run, per observation for custom
    /// metrics) with `head`'s columns plus `value` and `unit`, restricted by `filter` (over `ru`
    /// runs and `r` reports) and sorted by `order`; adds the metric's argument to `args`.
    static func valuesQuery(_ metric: MetricRef, head: String, filter: String, order: String,
                            args: inout StatementArguments) -> String {
        let join = "JOIN reports r ON r.id = ru.report_id"
        switch metric {
        case .builtin(.exitCode):
            return "\(head), ru.exit_code AS value, '' AS unit FROM runs ru \(join) WHERE ru.exit_code IS NOT NULL AND \(filter) \(order)"
        case .builtin, .service:
            args += ["metric": metric.key]
            return "\(head), v.value, '' AS unit FROM run_values v JOIN runs ru ON ru.id = v.run_id \(join) WHERE v.metric = :metric AND \(filter) \(order)"
        case .custom(let name):
            args += ["metric": name]
            return "\(head), c.value, c.unit FROM custom_values c JOIN runs ru ON ru.id = c.run_id \(join) WHERE c.metric = :metric AND \(filter) \(order), c.seq"
        }
    }

    private static func trend(workload: String?, metric: MetricRef, last: Int, branch: String?, _ db: Database) throws -> [TrendPoint] {
        let head = "SELECT r.id, r.started_at, r.verdict, r.labels, r.shard, ru.workload"
        let filter = "ru.warmup = 0 AND (:workload IS NULL OR ru.workload = :workload) AND (:branch IS NULL OR r.branch = :branch)"
        let order = "ORDER BY r.started_epoch, r.id, ru.workload, ru.run_index"
        var args: StatementArguments = ["workload": workload, "branch": branch]
        let sql = HistoryStore.valuesQuery(metric, head: head, filter: filter, order: order, args: &args)

        struct Group { var first: Row; var unit: String; var values: [Double] }
        var groups: [Group] = []
        var index: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: sql, arguments: args) {
            let id: Int64 = row["id"]
            let w: String = row["workload"]
            let storedUnit: String = row["unit"]
            let unit = storedUnit.isEmpty ? metric.dimension.baseUnit : storedUnit
            // A custom metric reported in two units in one report is two points, never pooled.
            let key = "\(id)\u{1}\(w)\u{1}\(unit)"
            let value: Double = row["value"]
            if let i = index[key] { groups[i].values.append(value) } else {
                index[key] = groups.count
                groups.append(Group(first: row.copy(), unit: unit, values: [value]))
            }
        }
        // The newest `last` reports among those that have points.
        var reportIDs: [Int64] = []
        for g in groups { let id: Int64 = g.first["id"]; if reportIDs.last != id { reportIDs.append(id) } }
        let keep = Set(reportIDs.suffix(max(0, last)))
        let decoder = JSONDecoder()
        return groups.compactMap { g -> TrendPoint? in
            let id: Int64 = g.first["id"]
            guard keep.contains(id), let s = Statistics.stats(g.values, unit: g.unit) else { return nil }
            let labelsText: String = g.first["labels"]
            let labels = (try? decoder.decode([String: String].self, from: Data(labelsText.utf8))) ?? [:]
            return TrendPoint(reportID: id, startedAt: g.first["started_at"], verdict: g.first["verdict"], labels: labels,
                              shard: g.first["shard"], workload: g.first["workload"], metric: metric.key, unit: g.unit,
                              n: s.n, median: s.median, p95: s.p95, mean: s.mean, min: s.min, max: s.max)
        }
    }
}
