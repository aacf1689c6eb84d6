import Foundation
import GRDB

extension HistoryStore {

    /// `--baseline history`: a synthetic baseline `Report` the Judge can use like a saved one.
    ///
    /// Per workload and per metric, the runs of the last `last` recorded reports (newest by
    /// `started_at`) that have that workload with that metric and whose `branch` label equals
    /// `branch` (every report when `branch` is nil). A metric that is new or came and went
    /// therefore still gets its own last 10 reports. Each synthetic run is one recorded run
    /// carrying the figures selected for it (warmups kept and flagged, so the Judge skips them
    /// as usual); runs are numbered 1… oldest first. Workloads with no such run are left out.
    ///
    /// The report's `verdict` and `host` are those of the newest report used, `started_at` is
    /// the oldest used report's and `finished_at` the newest's; labels say where it came from:
    /// `baseline: history`, `history_reports: "3,4,7"` (ids), and `branch` when filtered.
    ///
    /// - Returns: nil when no recorded run matches: baseline objectives then become `no_data`.
    public func baseline(branch: String?, workloads: [String], last: Int = HistoryStore.baselineDepth) throws -> Report? {
        do {
            return try pool.read { db -> Report? in
                var built: [WorkloadReport] = []
                var used = Set<Int64>()
                for name in workloads {
                    guard let (w, ids) = try HistoryStore.baselineWorkload(name, branch: branch, last: last, db) else { continue }
                    built.append(w)
                    used.formUnion(ids)
                }
                guard !built.isEmpty else { return nil }
                return try HistoryStore.baselineReport(workloads: built, reportIDs: used, branch: branch, path: path, db)
            }
        } catch {
            throw HistoryStore.translate(error, path: path)
        }
    }

    /// One recorded run, with every figure it has, before selection.
    private struct StoredRun {
        var runID: Int64
        var reportID: Int64
        var index: Int
        var warmup: Bool
        var outcome: Outcome
        var exitCode: Int?
        var values: [String: Double] = [:]
        var custom: [String: CustomSeries] = [:]
    }

    private static func baselineWorkload(_ name: String, branch: String?, last: Int, _ db: Database) throws -> (WorkloadReport, Set<Int64>)? {
        let filter = "ru.workload = :workload AND (:branch IS NULL OR r.branch = :branch)"
        let args: StatementArguments = ["workload": name, "branch": branch]
        var runs: [Int64: StoredRun] = [:]
        var order: [Int64] = []          // run ids, newest report first
        var reportOrder: [Int64] = []    // report ids, newest first
        for row in try Row.fetchAll(db, sql: """
            SELECT ru.id AS run_id, ru.report_id, ru.run_index, ru.warmup, ru.outcome, ru.exit_code
            FROM runs ru JOIN reports r ON r.id = ru.report_id
            WHERE \(filter)
            ORDER BY r.started_epoch DESC, r.id DESC, ru.run_index
            """, arguments: args) {
            let runID: Int64 = row["run_id"]
            let reportID: Int64 = row["report_id"]
            let outcomeText: String = row["outcome"]
            runs[runID] = StoredRun(runID: runID, reportID: reportID, index: row["run_index"], warmup: row["warmup"],
                                    outcome: Outcome(rawValue: outcomeText) ?? .error, exitCode: row["exit_code"])
            order.append(runID)
            if reportOrder.last != reportID { reportOrder.append(reportID) }
        }
        guard !order.isEmpty else { return nil }
        for row in try Row.fetchAll(db, sql: """
            SELECT v.run_id, v.metric, v.value FROM run_values v
            JOIN runs ru ON ru.id = v.run_id JOIN reports r ON r.id = ru.report_id
            WHERE \(filter)
            """, arguments: args) {
            let id: Int64 = row["run_id"]
            runs[id]?.values[row["metric"]] = row["value"]
        }
        for row in try Row.fetchAll(db, sql: """
            SELECT c.run_id, c.metric, c.unit, c.value FROM custom_values c
            JOIN runs ru ON ru.id = c.run_id JOIN reports r ON r.id = ru.report_id
            WHERE \(filter)
            ORDER BY c.run_id, c.metric, c.seq
            """, arguments: args) {
            let id: Int64 = row["run_id"]
            let metric: String = row["metric"]
            let unit: String = row["unit"]
            let value: Double = row["value"]
            if runs[id]?.custom[metric] == nil { runs[id]?.custom[metric] = CustomSeries(unit: unit, values: []) }
            runs[id]?.custom[metric]?.values.append(value)
        }

        // Per metric key: the newest `last` reports that have it.
        let rank = Dictionary(uniqueKeysWithValues: reportOrder.enumerated().map { ($1, $0) })
        var reportsWith: [String: Set<Int64>] = [:]
        for id in order {
            guard let r = runs[id] else { continue }
            var keys = Array(r.values.keys) + r.custom.keys.map { "custom." + $0 }
            if r.exitCode != nil { keys.append(Metric.exitCode.rawValue) }
            for k in keys { reportsWith[k, default: []].insert(r.reportID) }
        }
        let chosen: [String: Set<Int64>] = reportsWith.mapValues { ids in
            Set(ids.sorted { rank[$0]! < rank[$1]! }.prefix(max(0, last)))
        }

        // Oldest report first, each report's runs in their own order.
        var runsOfReport: [Int64: [Int64]] = [:]
        for id in order { if let r = runs[id] { runsOfReport[r.reportID, default: []].append(id) } }
        var records: [RunRecord] = []
        var used = Set<Int64>()
        for id in reportOrder.reversed().flatMap({ runsOfReport[$0] ?? [] }) {
            guard let r = runs[id] else { continue }
            func keep(_ key: String) -> Bool { chosen[key]?.contains(r.reportID) ?? false }
            var rec = RunRecord(index: records.count + 1, warmup: r.warmup, outcome: r.outcome)
            if let code = r.exitCode, keep(Metric.exitCode.rawValue) { rec.exitCode = code }
            for (k, v) in r.values where keep(k) {
                if k.hasPrefix("svc."), case .service(let svc, let m)? = MetricRef(key: k) {
                    rec.services[svc, default: ServiceRecord()].metrics[m.rawValue] = v
                } else {
                    rec.metrics[k] = v
                }
            }
            for (name, series) in r.custom where keep("custom." + name) { rec.custom[name] = series }
            guard rec.exitCode != nil || !rec.metrics.isEmpty || !rec.services.isEmpty || !rec.custom.isEmpty else { continue }
            records.append(rec)
            used.insert(r.reportID)
        }
        guard !records.isEmpty else { return nil }
        var w = WorkloadReport(name: name, command: [], runs: records)
        w.computeStats()
        return (w, used)
    }

    private static func baselineReport(workloads: [WorkloadReport], reportIDs: Set<Int64>, branch: String?,
                                       path: String, _ db: Database) throws -> Report {
        let ids = reportIDs.sorted()
        let list = ids.map(String.init).joined(separator: ",")
        let rows = try Row.fetchAll(db, sql: """
            SELECT id, started_at, finished_at, verdict, host FROM reports WHERE id IN (\(list))
            ORDER BY started_epoch, id
            """)
        let oldest = rows.first!, newest = rows.last!
        let verdictText: String = newest["verdict"]
        let hostText: String = newest["host"]
        let host = (try? JSONDecoder().decode(HostInfo.self, from: Data(hostText.utf8)))
            ?? HostInfo(kernel: "unknown", cpus: 0, cgroup: "none", degraded: ["host of the history report could not be read"])
        var labels = ["baseline": "history", "history_reports": list]
        if let branch { labels["branch"] = branch }
        return Report(verdict: Verdict(rawValue: verdictText) ?? .pass, startedAt: oldest["started_at"],
                      finishedAt: newest["finished_at"], host: host, workloads: workloads, labels: labels,
                      config: "history:" + path)
    }
}
