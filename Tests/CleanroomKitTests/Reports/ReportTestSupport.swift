import Foundation
import XCTest
@testable import CleanroomKit

/// Fixture reports, a hostile report, a synthetic big report, and the schema check.
enum ReportFixtures {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("fixtures")
    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let schemaPath = repoRoot.appendingPathComponent("docs/report.schema.json").path

    static func load(_ name: String) throws -> Report {
        try JSONReport.read(path: dir.appendingPathComponent(name).path)
    }

    static var fail: Report { get throws { try load("fail-report.json") } }
    static var pass: Report { get throws { try load("pass-report.json") } }

    /// Names that break naive writers: markup, CSV and Markdown table syntax, quotes, newlines,
    /// XML-invalid control characters, OpenMetrics label syntax.
    static let hostileWorkload = "<script>alert(1)</script>,\"x\"|y\nz"
    static let hostileSLO = "Evil|Name <b>&amp; 'q' \\ =cmd()"

    static func hostile() throws -> Report {
        var r = try fail
        r.workloads[0].name = hostileWorkload
        r.workloads[0].command = ["sh", "-c", "echo '<img src=x onerror=alert(2)>' | cat"]
        r.workloads[0].runs[1].detail = "line one\nline two, with \"quotes\" and \u{1}control"
        r.workloads[0].runs[1].unmeasured["disk_read_bytes"] = "reason with <tags>, commas | pipes"
        for i in r.slos.indices where r.slos[i].workload == "unit-tests" {
            r.slos[i].workload = hostileWorkload
            r.slos[i].name = hostileSLO + String(i)
        }
        r.host.degraded.append("<iframe src=\"https://evil.example\"></iframe>")
        r.labels["branch"] = "x\" onload=\"alert(3)"
        r.workloads[1].runs[0].custom["lat,ency\"<x>"] = CustomSeries(unit: "s", values: [0.001, 0.002])
        r.workloads[1].stats["custom.lat,ency\"<x>"] = Stats(n: 2, min: 0.001, max: 0.002, mean: 0.0015, median: 0.0015,
                                                             stddev: 0.0007, p50: 0.0015, p90: 0.0019, p95: 0.00195, p99: 0.00199, unit: "s")
        return r
    }

    /// `workloads` × `runs` with `samples` points each, deterministic; for size and speed checks.
    static func synthetic(workloads: Int, runs: Int, samples: Int) -> Report {
        var ws: [WorkloadReport] = []
        var slos: [ObjectiveResult] = []
        var seed: UInt64 = 42
        func rnd() -> Double { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Double(seed >> 11) / Double(1 << 53) }
        for w in 0..<workloads {
            var rs: [RunRecord] = []
            for i in 1...runs {
                let wall = 10 + rnd()
                var t: [Double] = [], cpu: [Double] = [], mem: [Double] = []
                t.reserveCapacity(samples); cpu.reserveCapacity(samples); mem.reserveCapacity(samples)
                for k in 0..<samples {
                    t.append(Double(k + 1) * wall / Double(samples))
                    cpu.append(80 + 40 * rnd())
                    mem.append(1e8 + 1e8 * Double(k) / Double(samples) + 1e6 * rnd())
                }
                rs.append(RunRecord(index: i, warmup: i == 1, outcome: i == 7 ? .timeout : .ok, exitCode: i == 7 ? nil : 0,
                                    signal: i == 7 ? "SIGKILL" : nil,
                                    metrics: ["wall_time": wall, "cpu_time": wall * 0.9, "cpu_percent": 90, "memory_peak": mem.max()!,
                                              "memory_avg": 1.5e8, "disk_write_bytes": 1e6 * rnd(), "pids_peak": 4],
                                    unmeasured: ["io_pressure": "PSI is not enabled"],
                                    samples: Samples(t: t, cpuPercent: cpu, memory: mem),
                                    custom: ["latency": CustomSeries(unit: "s", values: (0..<20).map { _ in 0.01 * rnd() })]))
            }
            let st = Stats(n: runs - 1, min: 10, max: 11, mean: 10.5, median: 10.5, stddev: 0.29, p50: 10.5, p90: 10.9, p95: 10.95, p99: 10.99)
            ws.append(WorkloadReport(name: "workload-\(w)", command: ["./bench", "--case", "\(w)"], runs: rs,
                                     stats: ["wall_time": st, "memory_peak": st, "cpu_percent": st]))
            slos.append(ObjectiveResult(name: "Time", workload: "workload-\(w)", objective: "max(wall_time) <= 10.8s", level: .error,
                                        observed: 11, threshold: 10.8, unit: "s", status: w % 3 == 0 ? .fail : .pass,
                                        margin: w % 3 == 0 ? -0.0185 : 0.1, ci: [10.7, 11.1], runsAdded: w % 2))
        }
        return Report(verdict: .fail, startedAt: "2026-11-22T10:00:00Z", finishedAt: "2026-11-22T10:30:00Z",
                      host: HostInfo(kernel: "6.1.0", cpus: 2, cgroup: "v2"), workloads: ws, slos: slos)
    }

    static func tempDir(_ name: String = #function) throws -> String {
        let path = NSTemporaryDirectory() + "cleanroom-reports-\(name.filter { $0.isLetter || $0.isNumber })-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Validates report.json documents against docs/report.schema.json with python3-jsonschema.
    /// Fails (never skips) when python3 or jsonschema is missing: scripts/install-deps installs both.
    static func assertValidAgainstSchema(_ files: [String], file: StaticString = #filePath, line: UInt = #line) {
        let script = """
        import json, sys
        try:
            import jsonschema
        except ImportError:
            print("python3 module jsonschema is missing: run scripts/install-deps (Debian package python3-jsonschema)")
            sys.exit(3)
        schema = json.load(open(sys.argv[1]))
        jsonschema.Draft202012Validator.check_schema(schema)
        v = jsonschema.Draft202012Validator(schema)
        errors = []
        for p in sys.argv[2:]:
            for e in v.iter_errors(json.load(open(p))):
                errors.append("%s: /%s: %s" % (p, "/".join(map(str, e.absolute_path)), e.message[:300]))
        print("\\n".join(errors[:20]))
        sys.exit(1 if errors else 0)
        """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, schemaPath] + files
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        do { try p.run() } catch {
            XCTFail("cannot run python3 to validate against the schema (\(error)); run scripts/install-deps", file: file, line: line)
            return
        }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        if p.terminationStatus == 127 {
            XCTFail("python3 is not installed: run scripts/install-deps", file: file, line: line)
        } else if p.terminationStatus != 0 {
            XCTFail("schema validation failed (exit \(p.terminationStatus)):\n\(text)", file: file, line: line)
        }
    }

    /// A minimal RFC 4180 parser (quoted fields, doubled quotes, CRLF records) to read CSV back.
    static func parseCSV(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = ""
        var inQuotes = false
        let chars = Array(text.unicodeScalars)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if inQuotes {
                if c == "\"" {
                    if i + 1 < chars.count, chars[i + 1] == "\"" { field.unicodeScalars.append("\""); i += 1 } else { inQuotes = false }
                } else { field.unicodeScalars.append(c) }
            } else if c == "\"" { inQuotes = true
            } else if c == "," { row.append(field); field = ""
            } else if c == "\r", i + 1 < chars.count, chars[i + 1] == "\n" {
                row.append(field); rows.append(row); row = []; field = ""; i += 1
            } else { field.unicodeScalars.append(c) }
            i += 1
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}
