import XCTest
@testable import CleanroomKit

final class JSONReportTests: XCTestCase {
    /// Every report the writers produce in these tests, validated against docs/report.schema.json.
    func testEveryProducedReportMatchesTheSchema() throws {
        let dir = try ReportFixtures.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var nan = try ReportFixtures.fail
        nan.workloads[0].runs[2].metrics["cpu_percent"] = .nan
        nan.workloads[0].runs[2].samples!.memory[5] = .infinity
        nan.slos[0].margin = -.infinity
        let reports: [(String, Report)] = [
            ("fail", try ReportFixtures.fail), ("pass", try ReportFixtures.pass), ("hostile", try ReportFixtures.hostile()),
            ("nan", nan), ("synthetic", ReportFixtures.synthetic(workloads: 2, runs: 5, samples: 20)),
            ("empty", Report(verdict: .error, startedAt: "2026-11-22T10:00:00Z", finishedAt: "2026-11-22T10:00:01Z",
                             host: HostInfo(kernel: "6.1", cpus: 1, cgroup: "none", degraded: ["no cgroup"]))),
        ]
        var files: [String] = []
        for (name, r) in reports {
            let out = dir + "/" + name
            // Every writer runs on every report here (empty, NaN-laden, hostile), not only JSON.
            let written = try ReportWriter.write(r, to: out, formats: ReportFormat.allCases)
            XCTAssertEqual(written.count, 7)
            files.append(out + "/report.json")
        }
        // The committed fixtures themselves, as written by the generator.
        files += ["fail-report.json", "pass-report.json"].map { ReportFixtures.dir.appendingPathComponent($0).path }
        ReportFixtures.assertValidAgainstSchema(files)
    }

    func testTheSchemaRejectsWhatTheContractForbids() throws {
        // Proves the schema check can fail: a zero-for-unknown null metric and a bad verdict.
        let dir = try ReportFixtures.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var text = String(decoding: try JSONReport.encode(try ReportFixtures.pass), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"verdict\" : \"pass\"", with: "\"verdict\" : \"green\"")
        text = text.replacingOccurrences(of: "\"cpu_time\" : 0.001", with: "\"cpu_time\" : null")
        try text.write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", """
            import json, sys, jsonschema
            v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
            errs = sorted("/".join(map(str, e.absolute_path)) for e in v.iter_errors(json.load(open(sys.argv[2]))))
            print("\\n".join(errs))
            """, ReportFixtures.schemaPath, dir + "/bad.json"]
        let pipe = Pipe(); p.standardOutput = pipe
        try p.run(); p.waitUntilExit()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(out.contains("verdict"), out)
        XCTAssertTrue(out.contains("workloads/0/runs/0/metrics/cpu_time"), out)
    }

    func testFixturesRoundTripExactly() throws {
        for r in [try ReportFixtures.fail, try ReportFixtures.pass, try ReportFixtures.hostile()] {
            let data = try JSONReport.encode(r)
            XCTAssertEqual(try JSONReport.decode(data), r)
        }
    }

    /// The fast encoder writes the same JSON document as Foundation's JSONEncoder.
    func testSameDocumentAsJSONEncoder() throws {
        let reference = JSONEncoder()
        reference.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        for r in [try ReportFixtures.fail, try ReportFixtures.pass, try ReportFixtures.hostile(),
                  ReportFixtures.synthetic(workloads: 2, runs: 3, samples: 10)] {
            let ours = try JSONSerialization.jsonObject(with: try JSONReport.encode(r)) as! NSDictionary
            let theirs = try JSONSerialization.jsonObject(with: try reference.encode(r)) as! NSDictionary
            XCTAssertEqual(ours, theirs)
        }
        // Escapes: quotes, backslashes, control characters, non-ASCII kept as UTF-8.
        let text = String(decoding: try JSONTreeEncoder.encode(["k": "a\"b\\c\n\u{1}é/"]), as: UTF8.self)
        XCTAssertEqual(text, "{\n  \"k\" : \"a\\\"b\\\\c\\n\\u0001é/\"\n}")
        XCTAssertEqual(String(decoding: try JSONTreeEncoder.encode([0.1, 1e-05, 3, -2.5e20]), as: UTF8.self), "[0.1, 1e-05, 3, -2.5e+20]")
    }

    func testEncodingIsPrettySortedAndKeepsSlashes() throws {
        let text = String(decoding: try JSONReport.encode(try ReportFixtures.fail), as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("{\n  \"alerts\""), String(text.prefix(40)))   // sorted: alerts first
        XCTAssertTrue(text.contains("\"schema\" : \"cleanroom/report@1\""))
        XCTAssertTrue(text.contains("runs/unit-tests/1/stdout.txt"))               // no \/ escaping
        XCTAssertTrue(text.contains("\"signal\" : null"))
        XCTAssertFalse(text.contains("NaN") || text.contains("Infinity"))
    }

    func testNonFiniteNumbersAreNamedOrRemovedNeverWritten() throws {
        var r = try ReportFixtures.fail
        r.workloads[1].runs[3].metrics["memory_avg"] = .nan
        XCTAssertThrowsError(try JSONReport.encode(r)) { e in
            XCTAssertEqual(e as? ReportError, .nonFinite(path: "workloads[1].runs[3].metrics.memory_avg"))
        }
        r.workloads[1].runs[3].samples!.cpuPercent[7] = .infinity
        r.slos[2].observed = .nan
        let clean = JSONReport.sanitized(r)
        XCTAssertNil(clean.workloads[1].runs[3].metrics["memory_avg"])
        XCTAssertNotNil(clean.workloads[1].runs[3].unmeasured["memory_avg"])
        let s = clean.workloads[1].runs[3].samples!
        XCTAssertEqual(s.t.count, r.workloads[1].runs[3].samples!.t.count - 1)
        XCTAssertEqual(s.t.count, s.cpuPercent.count); XCTAssertEqual(s.t.count, s.memory.count)
        XCTAssertNil(clean.slos[2].observed)
        XCTAssertNoThrow(try JSONReport.encode(clean))
        XCTAssertEqual(JSONReport.sanitized(try ReportFixtures.fail), try ReportFixtures.fail)   // finite: untouched
    }

    func testBadInputFilesSayWhatIsWrong() throws {
        let dir = try ReportFixtures.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertThrowsError(try JSONReport.read(path: dir + "/nope.json")) { e in
            XCTAssertEqual(e as? ReportError, .unreadable(path: dir + "/nope.json", reason: "no such file (check the path)"))
        }
        try "{not json".write(toFile: dir + "/a.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try JSONReport.read(path: dir + "/a.json")) { e in
            XCTAssertTrue("\(e)".contains("not valid JSON"), "\(e)")
        }
        try "{\"schema\":\"cleanroom/report@1\",\"verdict\":\"pass\"}".write(toFile: dir + "/b.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try JSONReport.read(path: dir + "/b.json")) { e in
            XCTAssertTrue("\(e)".contains("missing key \"started_at\""), "\(e)")
        }
        var other = String(decoding: try JSONReport.encode(try ReportFixtures.pass), as: UTF8.self)
        other = other.replacingOccurrences(of: "cleanroom/report@1", with: "cleanroom/report@9")
        try other.write(toFile: dir + "/c.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try JSONReport.read(path: dir + "/c.json")) { e in
            XCTAssertTrue("\(e)".contains("report@9"), "\(e)")
        }
    }
}
