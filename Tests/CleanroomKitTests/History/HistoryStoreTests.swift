import GRDB
import XCTest
@testable import CleanroomKit

final class HistoryStoreTests: XCTestCase {
    var dir: URL!
    var path: String { dir.appendingPathComponent("history.sqlite").path }

    override func setUpWithError() throws { dir = try HistoryFixtures.tempDir() }
    override func tearDown() { try? FileManager.default.removeItem(at: dir); super.tearDown() }

    // MARK: file and schema

    func testCreatedOnFirstUseVersionedAndWAL() throws {
        let nested = dir.appendingPathComponent("a/b/h.sqlite").path
        XCTAssertFalse(FileManager.default.fileExists(atPath: nested))
        let store = try HistoryStore(path: nested)
        XCTAssertTrue(FileManager.default.fileExists(atPath: nested))
        try store.pool.read { db in
            XCTAssertEqual(try Int.fetchOne(db, sql: "PRAGMA user_version"), HistorySchema.version)
            XCTAssertEqual(try String.fetchOne(db, sql: "PRAGMA journal_mode"), "wal")
        }
        XCTAssertEqual(try store.reportCount(), 0)
        // Reopening an existing history keeps it.
        try store.record(HistoryFixtures.report(1, branch: "main"))
        XCTAssertEqual(try HistoryStore(path: nested, create: false).reportCount(), 1)
    }

    /// CI caches carry the file alone: after `record` returns, FILE without FILE-wal holds the
    /// report, even while the store is still open. Read with Python's sqlite3 (another SQLite).
    func testRecordedReportIsInTheMainFileAlone() throws {
        let store = try HistoryStore(path: path)
        try store.record(HistoryFixtures.report(1, branch: "main"))
        try store.record(HistoryFixtures.report(2, branch: "main"))
        let copy = dir.appendingPathComponent("copy.sqlite").path
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        XCTAssertFalse(FileManager.default.fileExists(atPath: copy + "-wal"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM runs').fetchone()[0])", copy]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines), "8")
        withExtendedLifetime(store) {}
    }

    func testRecordStoresRunsValuesWarmupsAndCustomObservations() throws {
        let store = try HistoryStore(path: path)
        let id = try store.record(HistoryFixtures.report(3, branch: "main", custom: [0.010, 0.020]))
        try store.pool.read { db in
            let r = try XCTUnwrap(Row.fetchOne(db, sql: "SELECT * FROM reports WHERE id = ?", arguments: [id]))
            XCTAssertEqual(r["branch"] as String?, "main")
            XCTAssertEqual(r["verdict"] as String, "pass")
            let labels = try JSONDecoder().decode([String: String].self, from: Data((r["labels"] as String).utf8))
            XCTAssertEqual(labels, ["branch": "main", "commit": "c3"])
            XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT count(*) FROM runs WHERE report_id = ?", arguments: [id]), 4)
            XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT count(*) FROM runs WHERE warmup = 1"), 1)
            let walls = try Double.fetchAll(db, sql: """
                SELECT v.value FROM run_values v JOIN runs ru ON ru.id = v.run_id
                WHERE v.metric = 'wall_time' AND ru.warmup = 0 ORDER BY ru.run_index
                """)
            XCTAssertEqual(walls, HistoryFixtures.wallTimes(3))
            XCTAssertEqual(try Double.fetchAll(db, sql: "SELECT value FROM run_values WHERE metric = 'svc.api.memory_peak'"),
                           [3000, 3000, 3000])
            let custom = try Row.fetchAll(db, sql: "SELECT unit, seq, value FROM custom_values ORDER BY run_id, seq")
            XCTAssertEqual(custom.count, 6)
            XCTAssertEqual(custom.map { $0["value"] as Double }, [0.010, 0.020, 1.010, 1.020, 2.010, 2.020])
            XCTAssertEqual(Set(custom.map { $0["unit"] as String }), ["s"])
        }
    }

    func testNonSQLiteFileIsAClearError() throws {
        try Data(String(repeating: "this is not a database\n", count: 200).utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try HistoryStore(path: path)) { error in
            guard case HistoryError.notADatabase(let p, _)? = error as? HistoryError else {
                return XCTFail("expected notADatabase, got \(error)")
            }
            XCTAssertEqual(p, path)
            XCTAssertTrue("\(error)".contains("is not an SQLite database"), "\(error)")
        }
    }

    func testSomeoneElsesSQLiteDatabaseIsRefused() throws {
        let q = try DatabaseQueue(path: path)
        try q.write { db in try db.execute(sql: "CREATE TABLE invoices(id INTEGER)") }
        try q.close()
        XCTAssertThrowsError(try HistoryStore(path: path)) { error in
            guard case HistoryError.notAHistory? = error as? HistoryError else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("invoices"), "\(error)")
        }
    }

    func testNewerSchemaIsRefused() throws {
        _ = try HistoryStore(path: path)
        let q = try DatabaseQueue(path: path)
        try q.write { db in try db.execute(sql: "PRAGMA user_version = 99") }
        try q.close()
        XCTAssertThrowsError(try HistoryStore(path: path)) { error in
            XCTAssertEqual(error as? HistoryError, .newerSchema(path: path, found: 99, supported: HistorySchema.version))
        }
    }

    func testMissingFileWithoutCreate() {
        XCTAssertThrowsError(try HistoryStore(path: path, create: false)) { error in
            XCTAssertEqual(error as? HistoryError, .missing(path: path))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "reading never creates the file")
    }

    func testResolvePath() {
        XCTAssertEqual(HistoryStore.resolvePath(option: "a.sqlite", environment: ["CLEANROOM_HISTORY": "b"]), "a.sqlite")
        XCTAssertEqual(HistoryStore.resolvePath(option: nil, environment: ["CLEANROOM_HISTORY": "b"]), "b")
        XCTAssertNil(HistoryStore.resolvePath(option: nil, environment: ["CLEANROOM_HISTORY": ""]))
        XCTAssertNil(HistoryStore.resolvePath(option: nil, environment: [:]))
    }

    // MARK: concurrency

    func testConcurrentWritersOnSeparateConnections() throws {
        _ = try HistoryStore(path: path)
        let perWriter = 25
        let errors = ErrorBox()
        let group = DispatchGroup()
        let path = self.path
        for w in 0..<2 {
            group.enter()
            Thread {
                defer { group.leave() }
                do {
                    let store = try HistoryStore(path: path)   // its own connections, as another job would
                    for k in 1...perWriter {
                        try store.record(HistoryFixtures.report(k, branch: "w\(w)"))
                    }
                } catch { errors.add("\(error)") }
            }.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + 120), .success)
        XCTAssertEqual(errors.all, [])
        let store = try HistoryStore(path: path)
        XCTAssertEqual(try store.reportCount(), 2 * perWriter)
        try store.pool.read { db in
            XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT count(*) FROM runs"), 2 * perWriter * 4)
            XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT count(*) FROM reports WHERE branch = 'w1'"), perWriter)
        }
    }
}

final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
}
