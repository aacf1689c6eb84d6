import GRDB
import XCTest
@testable import CleanroomKit

/// Real processes: parallel CI jobs recording into one file, and the `cleanroom history`
/// command's output and exit codes.
final class HistoryProcessTests: XCTestCase {
    static let writerEnv = "CLEANROOM_TEST_HISTORY_WRITER"
    static let perWriter = 40

    var dir: URL!
    override func setUpWithError() throws { dir = try HistoryFixtures.tempDir() }
    override func tearDown() { try? FileManager.default.removeItem(at: dir); super.tearDown() }

    /// The test bundle's directory, where SwiftPM also puts the `cleanroom` executable.
    static var productsDirectory: URL { URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent() }

    /// Child side of `testConcurrentWritersInSeparateProcesses`: records `perWriter` reports
    /// labelled `writer=ID` into the file the parent names. Skipped unless a parent started it.
    func testChildWriter() throws {
        guard let spec = ProcessInfo.processInfo.environment[Self.writerEnv] else {
            throw XCTSkip("runs only as the child of testConcurrentWritersInSeparateProcesses")
        }
        let parts = spec.split(separator: "|", maxSplits: 1).map(String.init)
        try Self.waitForGo(parts[1])
        let store = try HistoryStore(path: parts[1])
        for k in 1...Self.perWriter {
            try store.record(HistoryFixtures.report(k, branch: "main", extraLabels: ["writer": parts[0]]))
        }
    }

    func testConcurrentWritersInSeparateProcesses() throws {
        let path = dir.appendingPathComponent("shared.sqlite").path
        // Two child processes and this one start on a file nobody has created yet.
        var children: [Process] = []
        defer { for c in children where c.isRunning { kill(c.processIdentifier, SIGKILL) } }
        for id in ["p1", "p2"] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            p.arguments = ["CleanroomKitTests.HistoryProcessTests/testChildWriter"]
            var env = ProcessInfo.processInfo.environment
            env[Self.writerEnv] = "\(id)|\(path)"
            p.environment = env
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            children.append(p)
        }
        // Start line: every writer (children included) opens the not-yet-existing file at once.
        XCTAssertTrue(FileManager.default.createFile(atPath: path + ".go", contents: nil))
        let mine = try HistoryStore(path: path)
        for k in 1...Self.perWriter {
            try mine.record(HistoryFixtures.report(k, branch: "main", extraLabels: ["writer": "parent"]))
        }
        let deadline = Date() + 120
        while children.contains(where: \.isRunning) && Date() < deadline { usleep(50_000) }
        for c in children {
            XCTAssertFalse(c.isRunning, "child writer did not finish in 120 s")
            XCTAssertEqual(c.terminationStatus, 0, "child writer failed")
        }
        XCTAssertEqual(try mine.reportCount(), 3 * Self.perWriter)
        try mine.pool.read { db in
            for w in ["p1", "p2", "parent"] {
                let n = try Int.fetchOne(db, sql: "SELECT count(*) FROM reports WHERE json_extract(labels, '$.writer') = ?", arguments: [w])
                XCTAssertEqual(n, Self.perWriter, w)
            }
            XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT count(*) FROM runs"), 3 * Self.perWriter * 4)
            XCTAssertEqual(try String.fetchOne(db, sql: "PRAGMA integrity_check"), "ok")
            // The writers really overlapped in time (else this test would prove nothing).
            let spans = try Row.fetchAll(db, sql: """
                SELECT json_extract(labels, '$.writer') AS w, min(id) AS lo, max(id) AS hi FROM reports GROUP BY w
                """)
            let ranges = spans.map { ($0["lo"] as Int64)...($0["hi"] as Int64) }
            XCTAssertEqual(ranges.count, 3)
            XCTAssertTrue(ranges.contains { a in ranges.contains { b in a != b && a.overlaps(b) } },
                          "no two writers interleaved: \(ranges)")
        }
    }

    static func waitForGo(_ path: String) throws {
        let deadline = Date() + 30
        while !FileManager.default.fileExists(atPath: path + ".go") {
            guard Date() < deadline else { throw HistoryError.missing(path: path + ".go") }
            usleep(10_000)
        }
    }

    // MARK: cleanroom history

    func cleanroom(_ args: [String], env: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
        let bin = Self.productsDirectory.appendingPathComponent("cleanroom")
        guard FileManager.default.isExecutableFile(atPath: bin.path) else {
            throw XCTSkip("the cleanroom executable is not built next to the tests (\(bin.path))")
        }
        let p = Process()
        p.executableURL = bin
        p.arguments = args
        var e = ProcessInfo.processInfo.environment
        e.removeValue(forKey: "CLEANROOM_HISTORY")
        for (k, v) in env { e[k] = v }
        p.environment = e
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let r = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: r, as: UTF8.self))
    }

    func testHistoryCommandPrintsTheTrend() throws {
        let path = dir.appendingPathComponent("h.sqlite").path
        let store = try HistoryStore(path: path)
        for k in 1...25 { try store.record(HistoryFixtures.report(k, branch: "main")) }

        let table = try cleanroom(["history", "--history", path])
        XCTAssertEqual(table.status, 0, table.err)
        XCTAssertEqual(table.out.split(separator: "\n").count, 2 + 20, "header lines + the default last 20:\n\(table.out)")
        XCTAssertTrue(table.out.contains("25.2s"), table.out)   // median of report 25
        XCTAssertTrue(table.out.contains("6.20s"), table.out)   // report 6: the oldest of the last 20
        XCTAssertFalse(table.out.contains("5.20s"), "report 5 is older than the last 20")

        let csv = try cleanroom(["history", "--metric", "memory_peak", "--last", "3", "--format", "csv"],
                                env: ["CLEANROOM_HISTORY": path])
        XCTAssertEqual(csv.status, 0, csv.err)
        let rows = csv.out.split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        XCTAssertEqual(rows.map { $0[0] }, ["23", "24", "25"])
        XCTAssertEqual(rows.map { Double($0[7]) }, [23, 24, 25].map { Double($0) * 1_048_576 })
    }

    func testHistoryCommandExitsTwoOnBadInput() throws {
        let junk = dir.appendingPathComponent("junk.sqlite").path
        try Data(String(repeating: "not sqlite at all ", count: 100).utf8).write(to: URL(fileURLWithPath: junk))
        let corrupt = try cleanroom(["history", "--history", junk])
        XCTAssertEqual(corrupt.status, 2)
        XCTAssertTrue(corrupt.err.contains("is not an SQLite database"), corrupt.err)

        let missing = try cleanroom(["history", "--history", dir.appendingPathComponent("nope.sqlite").path])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.err.contains("no history at"), missing.err)

        let none = try cleanroom(["history"])
        XCTAssertEqual(none.status, 2)
        XCTAssertTrue(none.err.contains("CLEANROOM_HISTORY"), none.err)

        let badMetric = try cleanroom(["history", "--history", junk, "--metric", "latency"])
        XCTAssertEqual(badMetric.status, 2)
        XCTAssertTrue(badMetric.err.contains("unknown metric"), badMetric.err)
    }
}
