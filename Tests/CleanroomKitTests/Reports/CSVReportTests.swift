import XCTest
@testable import CleanroomKit

final class CSVReportTests: XCTestCase {
    func testOneRowPerRunWithMetricColumnsInContractOrder() throws {
        let r = try ReportFixtures.fail
        let rows = ReportFixtures.parseCSV(CSVReport.runs(r))
        let header = rows[0]
        XCTAssertEqual(Array(header.prefix(6)), ["workload", "index", "warmup", "outcome", "exit_code", "signal"])
        XCTAssertEqual(rows.count - 1, r.workloads.reduce(0) { $0 + $1.runs.count })
        XCTAssertTrue(rows.allSatisfy { $0.count == header.count })
        // Contract order: wall_time before cpu_time before memory_peak before pids_peak; custom then svc.
        let pos = { (c: String) in header.firstIndex(of: c)! }
        XCTAssertLessThan(pos("wall_time"), pos("cpu_time"))
        XCTAssertLessThan(pos("cpu_time"), pos("memory_peak"))
        XCTAssertLessThan(pos("memory_peak"), pos("pids_peak"))
        XCTAssertLessThan(pos("pids_peak"), pos("custom.request_latency.mean"))
        XCTAssertLessThan(pos("custom.request_latency.n"), pos("svc.api.cpu_time"))
        XCTAssertEqual(header.last, "detail")

        // Values read back equal the report's, absent metrics are empty (never 0).
        for (w, wl) in r.workloads.enumerated() {
            for (i, run) in wl.runs.enumerated() {
                let row = rows[1 + r.workloads.prefix(w).reduce(0) { $0 + $1.runs.count } + i]
                XCTAssertEqual(row[0], wl.name)
                XCTAssertEqual(row[pos("warmup")], run.warmup ? "true" : "false")
                XCTAssertEqual(Double(row[pos("wall_time")]), run.metrics["wall_time"])
                XCTAssertEqual(row[pos("exit_code")], run.exitCode.map(String.init) ?? "")
                XCTAssertEqual(row[pos("disk_read_bytes")], "")   // unmeasured on that host
                XCTAssertTrue(row[pos("unmeasured")].contains("disk_read_bytes: blkio"))
                if let lat = run.custom["request_latency"] {
                    XCTAssertEqual(Double(row[pos("custom.request_latency.mean")])!, lat.values.reduce(0, +) / Double(lat.values.count), accuracy: 1e-12)
                    XCTAssertEqual(Int(row[pos("custom.request_latency.n")]), lat.values.count)
                    XCTAssertEqual(Double(row[pos("svc.api.memory_peak")]), run.services["api"]?.metrics["memory_peak"])
                } else {
                    XCTAssertEqual(row[pos("custom.request_latency.mean")], "")
                }
            }
        }
        let oom = rows.first { $0[pos("outcome")] == "oom" }!
        XCTAssertEqual(oom[pos("signal")], "SIGKILL")
        XCTAssertEqual(oom[pos("exit_code")], "")
    }

    func testSLOsCSV() throws {
        let r = try ReportFixtures.fail
        let rows = ReportFixtures.parseCSV(CSVReport.slos(r))
        XCTAssertEqual(rows.count, r.slos.count + 1)
        let h = rows[0]
        let inc = rows.first { $0[h.firstIndex(of: "status")!] == "inconclusive" }!
        let s = r.slos.first { $0.status == .inconclusive }!
        XCTAssertEqual(Double(inc[h.firstIndex(of: "ci_low")!]), s.ci![0])
        XCTAssertEqual(Double(inc[h.firstIndex(of: "ci_high")!]), s.ci![1])
        XCTAssertEqual(Int(inc[h.firstIndex(of: "runs_added")!]), s.runsAdded)
        let nd = rows.first { $0[h.firstIndex(of: "status")!] == "no_data" }!
        XCTAssertEqual(nd[h.firstIndex(of: "observed")!], "")
        XCTAssertTrue(nd[h.firstIndex(of: "reason")!].contains("PSI"))
    }

    func testHostileNamesSurviveQuotingExactly() throws {
        let r = try ReportFixtures.hostile()
        let text = CSVReport.runs(r)
        let rows = ReportFixtures.parseCSV(text)
        XCTAssertTrue(rows.allSatisfy { $0.count == rows[0].count })
        XCTAssertEqual(rows[1][0], ReportFixtures.hostileWorkload)
        let detail = rows[2][rows[0].firstIndex(of: "detail")!]
        XCTAssertEqual(detail, r.workloads[0].runs[1].detail)
        XCTAssertTrue(rows[0].contains("custom.lat,ency\"<x>.mean"))
        let slos = ReportFixtures.parseCSV(CSVReport.slos(r))
        XCTAssertTrue(slos.contains { $0[0].hasPrefix(ReportFixtures.hostileSLO) && $0[1] == ReportFixtures.hostileWorkload })
        XCTAssertEqual(CSVReport.field("a\"b"), "\"a\"\"b\"")
        XCTAssertEqual(CSVReport.field("plain"), "plain")
        XCTAssertEqual(CSVReport.field("a\r\nb"), "\"a\r\nb\"")
    }
}
