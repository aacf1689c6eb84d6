import Foundation
import GRDB

/// The history database's layout. `PRAGMA user_version` holds the schema version; a database
/// written by a newer cleanroom is refused rather than half-understood.
///
/// One row per recorded report, one per run, one per (run, metric) figure and one per custom
/// observation. Only finite figures are stored (SQLite would turn NaN into NULL).
enum HistorySchema {
    static let version = 1

    static let v1 = """
    CREATE TABLE reports (
      id            INTEGER PRIMARY KEY AUTOINCREMENT,
      started_at    TEXT NOT NULL,     -- as in report.json
      started_epoch REAL NOT NULL,     -- seconds since 1970, for ordering
      finished_at   TEXT NOT NULL,
      recorded_at   TEXT NOT NULL,
      verdict       TEXT NOT NULL,
      labels        TEXT NOT NULL,     -- JSON object of the --labels
      branch        TEXT,              -- labels.branch, indexed for --baseline history
      shard         TEXT,
      config        TEXT,
      host          TEXT NOT NULL      -- JSON HostInfo
    );
    CREATE INDEX reports_branch_time ON reports(branch, started_epoch);
    CREATE INDEX reports_time ON reports(started_epoch);
    CREATE TABLE runs (
      id        INTEGER PRIMARY KEY,
      report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
      workload  TEXT NOT NULL,
      run_index INTEGER NOT NULL,
      warmup    INTEGER NOT NULL,      -- 0 | 1
      outcome   TEXT NOT NULL,
      exit_code INTEGER
    );
    CREATE INDEX runs_workload ON runs(workload, report_id);
    CREATE INDEX runs_report ON runs(report_id);
    CREATE TABLE run_values (
      run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      metric TEXT NOT NULL,            -- wall_time, svc.api.memory_peak (base units)
      value  REAL NOT NULL,
      PRIMARY KEY (run_id, metric)
    ) WITHOUT ROWID;
    CREATE INDEX run_values_metric ON run_values(metric);
    CREATE TABLE custom_values (
      run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      metric TEXT NOT NULL,            -- the custom metric's name, without "custom."
      unit   TEXT NOT NULL,
      seq    INTEGER NOT NULL,         -- order of the observation within the run
      value  REAL NOT NULL,
      PRIMARY KEY (run_id, metric, seq)
    ) WITHOUT ROWID;
    CREATE INDEX custom_values_metric ON custom_values(metric);
    """

    /// Brings `db` to `version` inside one IMMEDIATE transaction, so two CI jobs creating the
    /// same file at once take turns (the loser waits on the busy timeout, then sees version 1).
    static func migrate(_ db: Database, path: String) throws {
        let current = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
        if current > version {
            throw HistoryError.newerSchema(path: path, found: current, supported: version)
        }
        if current == version { return }
        // current == 0: a new, empty file — or somebody else's SQLite database.
        let foreign = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        if !foreign.isEmpty {
            throw HistoryError.notAHistory(path: path, detail: "it is an SQLite database with other tables (\(foreign.prefix(3).joined(separator: ", "))) and no cleanroom schema version")
        }
        try db.execute(sql: v1)
        try db.execute(sql: "PRAGMA user_version = \(version)")
    }
}
