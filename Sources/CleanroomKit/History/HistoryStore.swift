import Foundation
import GRDB

/// The `--history FILE` database (SPEC "History, baselines and shards"): every recorded report
/// with its labels and every run's figures, for `--baseline history` and `cleanroom history`.
///
/// An SQLite file in WAL mode with a busy timeout, so parallel CI jobs (shards, matrix entries)
/// writing the same file take turns instead of failing; each report is written in one
/// IMMEDIATE transaction. The schema is versioned with `PRAGMA user_version` (HistorySchema).
public final class HistoryStore {
    public let path: String
    let pool: DatabasePool

    /// How long a writer waits for another writer's lock before giving up.
    public static let busyTimeout: TimeInterval = 30
    /// How many recorded reports `--baseline history` looks back over (SPEC).
    public static let baselineDepth = 10

    /// Opens (and with `create`, creates on first use, parent directories included) the
    /// history at `path`.
    ///
    /// - Throws: `HistoryError` — `.missing` when `create` is false and there is no file,
    ///   `.notADatabase` for a file that is not SQLite, `.notAHistory` for someone else's
    ///   SQLite database, `.newerSchema`, or `.database` for anything else.
    public init(path: String, create: Bool = true) throws {
        self.path = path
        let fm = FileManager.default
        if !fm.fileExists(atPath: path) {
            guard create else { throw HistoryError.missing(path: path) }
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty && !fm.fileExists(atPath: dir) {
                do { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                    throw HistoryError.database(path: path, detail: "cannot create its directory: \(error.localizedDescription)")
                }
            }
        }
        var config = Configuration()
        config.busyMode = .timeout(HistoryStore.busyTimeout)
        config.foreignKeysEnabled = true
        config.label = "cleanroom-history"
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    try HistorySchema.migrate(db, path: path)
                    return .commit
                }
            }
        } catch {
            throw HistoryStore.translate(error, path: path)
        }
    }

    /// Where the history is: `--history FILE`, else `CLEANROOM_HISTORY`, else none.
    public static func resolvePath(option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let o = option, !o.isEmpty { return o }
        if let e = environment["CLEANROOM_HISTORY"], !e.isEmpty { return e }
        return nil
    }

    /// Records `report` (its labels, verdict, shard, host and every run's figures, warmups
    /// included and flagged). Returns the new report's id.
    @discardableResult
    public func record(_ report: Report) throws -> Int64 {
        do {
            return try pool.writeWithoutTransaction { db -> Int64 in
                var id: Int64 = 0
                try db.inTransaction(.immediate) {
                    id = try HistoryStore.insert(report, db)
                    return .commit
                }
                // Copy the WAL into the main file now (PASSIVE: never waits for other
                // processes), so a CI cache that saves only FILE has this report even if the
                // process ends without closing the database.
                _ = try? db.checkpoint(.passive)
                return id
            }
        } catch {
            throw HistoryStore.translate(error, path: path)
        }
    }

    static func insert(_ report: Report, _ db: Database) throws -> Int64 {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let labels = String(decoding: try enc.encode(report.labels), as: UTF8.self)
        let host = String(decoding: try enc.encode(report.host), as: UTF8.self)
        let now = Date()
        let epoch = HistoryTime.epoch(report.startedAt) ?? now.timeIntervalSince1970
        try db.execute(sql: """
            INSERT INTO reports (started_at, started_epoch, finished_at, recorded_at, verdict, labels, branch, shard, config, host)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [report.startedAt, epoch, report.finishedAt, HistoryTime.iso8601(now),
                             report.verdict.rawValue, labels, report.labels["branch"], report.shard,
                             report.config, host])
        let reportID = db.lastInsertedRowID
        let runStmt = try db.makeStatement(sql: "INSERT INTO runs (report_id, workload, run_index, warmup, outcome, exit_code) VALUES (?, ?, ?, ?, ?, ?)")
        let valueStmt = try db.makeStatement(sql: "INSERT OR REPLACE INTO run_values (run_id, metric, value) VALUES (?, ?, ?)")
        let customStmt = try db.makeStatement(sql: "INSERT INTO custom_values (run_id, metric, unit, seq, value) VALUES (?, ?, ?, ?, ?)")
        for w in report.workloads {
            for run in w.runs {
                try runStmt.execute(arguments: [reportID, w.name, run.index, run.warmup, run.outcome.rawValue, run.exitCode])
                let runID = db.lastInsertedRowID
                for (metric, value) in run.metrics where value.isFinite && metric != Metric.exitCode.rawValue {
                    try valueStmt.execute(arguments: [runID, metric, value])
                }
                for (svc, rec) in run.services {
                    for (metric, value) in rec.metrics where value.isFinite {
                        try valueStmt.execute(arguments: [runID, "svc.\(svc).\(metric)", value])
                    }
                }
                for (name, series) in run.custom {
                    var seq = 0
                    for v in series.values where v.isFinite {
                        try customStmt.execute(arguments: [runID, name, series.unit, seq, v])
                        seq += 1
                    }
                }
            }
        }
        return reportID
    }

    /// How many reports are recorded (all branches).
    public func reportCount() throws -> Int {
        do { return try pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM reports") ?? 0 } } catch {
            throw HistoryStore.translate(error, path: path)
        }
    }

    /// GRDB's errors, in words that name the file and say what to do.
    static func translate(_ error: Error, path: String) -> Error {
        if error is HistoryError { return error }
        guard let e = error as? DatabaseError else {
            return HistoryError.database(path: path, detail: "\(error)")
        }
        switch e.resultCode {
        case .SQLITE_NOTADB:
            return HistoryError.notADatabase(path: path, detail: "file is not a database")
        case .SQLITE_CORRUPT:
            return HistoryError.notADatabase(path: path, detail: "database disk image is malformed")
        case .SQLITE_CANTOPEN:
            return HistoryError.database(path: path, detail: "cannot open the file (directory missing or not writable)")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return HistoryError.database(path: path, detail: "still locked by another writer after \(Int(busyTimeout)) s")
        case .SQLITE_READONLY:
            return HistoryError.database(path: path, detail: "the file is read-only")
        case .SQLITE_FULL:
            return HistoryError.database(path: path, detail: "the disk is full")
        default:
            return HistoryError.database(path: path, detail: e.message ?? "SQLite error \(e.resultCode.rawValue)")
        }
    }
}

/// report.json timestamps ↔ seconds, with or without fractional seconds.
enum HistoryTime {
    static func epoch(_ text: String) -> Double? { Timestamps.date(text)?.timeIntervalSince1970 }

    static func iso8601(_ d: Date) -> String { Timestamps.iso8601(d) }
}
