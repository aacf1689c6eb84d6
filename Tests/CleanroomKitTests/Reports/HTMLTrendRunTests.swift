import Foundation
import XCTest
@testable import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

/// `cleanroom run --history` twice through the built binary: the second report.html draws the
/// trend with both runs, at the values report.json measured, and the history is not counted twice.
final class HTMLTrendRunTests: XCTestCase {
    var dir: URL!
    var binary = ""

    override func setUpWithError() throws {
        try XCTSkipUnless(geteuid() == 0, "root needed (cgroups)")
        let next = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("cleanroom").path
        let debug = TestFixtures.repoRoot.appendingPathComponent(".build/debug/cleanroom").path
        binary = FileManager.default.isExecutableFile(atPath: next) ? next : debug
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: binary), "build the cleanroom executable first")
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("cleanroom-trend-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try """
        { "version": 1,
          "defaults": { "repeat": 1, "warmup": 0 },
          "workloads": [ { "name": "nap", "command": ["sleep", "0.05"] } ],
          "slos": [ { "name": "Quick", "workload": "nap", "objective": "max(wall_time) <= 5s" } ] }
        """.write(to: dir.appendingPathComponent("slo.json"), atomically: true, encoding: .utf8)
    }

    override func tearDown() {
        if let dir { try? FileManager.default.removeItem(at: dir) }
        super.tearDown()
    }

    func run(_ n: Int) throws -> (html: String, report: Report) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.currentDirectoryURL = dir
        p.arguments = ["run", "-c", "slo.json", "-o", "out\(n)", "--format", "json,html", "--history", "h.sqlite",
                       "--label", "branch=main", "--label", "commit=c\(n)", "--no-alerts"]
        p.standardOutput = FileHandle.nullDevice
        let err = Pipe()
        p.standardError = err
        try p.run()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, String(decoding: e, as: UTF8.self))
        let out = dir.appendingPathComponent("out\(n)")
        return (try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8),
                try JSONReport.read(path: out.appendingPathComponent("report.json").path))
    }

    func testSecondRunDrawsTheTrendOfBoth() throws {
        let first = try run(1)
        XCTAssertTrue(first.html.contains("the trend starts with this run"))
        XCTAssertFalse(first.html.contains("<circle class=\"tp"))

        let second = try run(2)
        let html = second.html
        XCTAssertTrue(html.contains("<svg class=\"chart trend\""), "no trend chart in the second report.html")
        // Two charts: median(wall_time) and the objective's max(wall_time); two points each.
        XCTAssertEqual(html.components(separatedBy: "<svg class=\"chart trend\"").count - 1, 2)
        XCTAssertEqual(html.components(separatedBy: "<circle class=\"tp").count - 1, 4, "2 charts × (1 recorded + this run)")
        XCTAssertTrue(html.contains("<g class=\"thr\"><title>Quick (error): max(wall_time) &lt;= 5s</title>"))
        // The points are the runs report.json measured (one run each: median = max = its wall time).
        let w1 = try XCTUnwrap(first.report.workloads.first?.runs.first?.metrics["wall_time"])
        let w2 = try XCTUnwrap(second.report.workloads.first?.runs.first?.metrics["wall_time"])
        XCTAssertGreaterThanOrEqual(w1, 0.05); XCTAssertGreaterThanOrEqual(w2, 0.05)
        XCTAssertTrue(html.contains("commit=c1 · pass\nmedian(wall_time) = \(Units.format(w1, .duration)) over 1 run</title>"), html)
        XCTAssertTrue(html.contains("<title>this run · \(TrendRender.when(second.report.startedAt)) · commit=c2 · pass\nmax(wall_time) = \(Units.format(w2, .duration)) over 1 run</title>"))
        XCTAssertTrue(html.contains("1 recorded report on branch <code>main</code>"))
        XCTAssertEqual(try HistoryStore(path: dir.appendingPathComponent("h.sqlite").path, create: false).reportCount(), 2)
    }
}
