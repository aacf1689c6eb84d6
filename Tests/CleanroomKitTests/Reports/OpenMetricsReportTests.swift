import XCTest
@testable import CleanroomKit

/// Checks metrics.prom line by line against the OpenMetrics text grammar (the subset we emit).
private struct OpenMetricsChecker {
    struct Sample { var name: String; var labels: [String: String]; var value: Double }
    var samples: [Sample] = []
    var types: [String: String] = [:]
    var units: [String: String] = [:]

    mutating func check(_ text: String) -> [String] {
        var errors: [String] = []
        XCTAssertTrue(text.hasSuffix("# EOF\n"), "must end with # EOF")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        var seenFamilies: [String] = []
        var current = ""
        for (n, raw) in lines.enumerated() {
            let line = String(raw)
            if line == "# EOF" { if n != lines.count - 1 { errors.append("# EOF before the end") }; continue }
            if line.hasPrefix("# ") {
                let parts = line.split(separator: " ", maxSplits: 3).map(String.init)
                guard parts.count >= 3, ["TYPE", "UNIT", "HELP"].contains(parts[1]), isName(parts[2]) else {
                    errors.append("bad metadata: \(line)"); continue
                }
                if parts[1] == "TYPE" {
                    if seenFamilies.contains(parts[2]) { errors.append("family declared twice: \(parts[2])") }
                    seenFamilies.append(parts[2]); current = parts[2]; types[parts[2]] = parts.count > 3 ? parts[3] : ""
                } else if parts[2] != current { errors.append("metadata of \(parts[2]) outside its family") }
                if parts[1] == "UNIT" {
                    units[parts[2]] = parts[3]
                    if !parts[2].hasSuffix("_" + parts[3]) { errors.append("\(parts[2]) does not end with its unit") }
                }
                continue
            }
            guard let sample = parseSample(line) else { errors.append("bad sample line: \(line)"); continue }
            if sample.name != current { errors.append("sample \(sample.name) outside its family \(current)") }
            samples.append(sample)
        }
        return errors
    }

    func isName(_ s: String) -> Bool {
        guard let f = s.unicodeScalars.first, f == "_" || f == ":" || f.properties.isAlphabetic && f.isASCII else { return false }
        return s.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == ":") }
    }

    /// name{label="value",...} number — label values with \\ \" \n escapes only.
    func parseSample(_ line: String) -> Sample? {
        let s = Array(line.unicodeScalars)
        var i = 0
        var name = ""
        while i < s.count, s[i] != "{", s[i] != " " { name.unicodeScalars.append(s[i]); i += 1 }
        guard isName(name), i < s.count else { return nil }
        var labels: [String: String] = [:]
        if s[i] == "{" {
            i += 1
            while i < s.count, s[i] != "}" {
                var key = ""
                while i < s.count, s[i] != "=" { key.unicodeScalars.append(s[i]); i += 1 }
                guard isName(key), i + 1 < s.count, s[i + 1] == "\"" else { return nil }
                i += 2
                var value = ""
                while i < s.count, s[i] != "\"" {
                    if s[i] == "\\" {
                        guard i + 1 < s.count else { return nil }
                        switch s[i + 1] {
                        case "\\": value += "\\"
                        case "\"": value += "\""
                        case "n": value += "\n"
                        default: return nil
                        }
                        i += 2
                    } else if s[i] == "\n" { return nil } else { value.unicodeScalars.append(s[i]); i += 1 }
                }
                guard i < s.count else { return nil }
                i += 1
                if labels[key] != nil { return nil }
                labels[key] = value
                if i < s.count, s[i] == "," { i += 1 }
            }
            guard i < s.count else { return nil }
            i += 1
        }
        guard i < s.count, s[i] == " " else { return nil }
        let rest = String(String.UnicodeScalarView(s[(i + 1)...]))
        guard !rest.contains(" "), let v = Double(rest), v.isFinite else { return nil }
        return Sample(name: name, labels: labels, value: v)
    }
}

final class OpenMetricsReportTests: XCTestCase {
    func testEveryLineIsValidAndValuesMatchTheStats() throws {
        let r = try ReportFixtures.fail
        var c = OpenMetricsChecker()
        let errors = c.check(OpenMetricsReport.render(r))
        XCTAssertEqual(errors, [])
        XCTAssertTrue(c.types.values.allSatisfy { $0 == "gauge" })
        let median = c.samples.first { $0.name == "cleanroom_wall_time_seconds" && $0.labels == ["workload": "unit-tests", "stat": "median"] }
        XCTAssertEqual(median?.value, r.workloads[0].stats["wall_time"]!.median)
        XCTAssertEqual(c.units["cleanroom_memory_peak_bytes"], "bytes")
        let p99 = c.samples.first { $0.name == "cleanroom_custom_seconds" && $0.labels["metric"] == "request_latency" && $0.labels["stat"] == "p99" }
        XCTAssertEqual(p99?.value, r.workloads[1].stats["custom.request_latency"]!.p99)
        let svc = c.samples.first { $0.name == "cleanroom_svc_memory_peak_bytes" && $0.labels["service"] == "api" && $0.labels["stat"] == "max" }
        XCTAssertEqual(svc?.value, r.workloads[1].stats["svc.api.memory_peak"]!.max)
        // Verdict and objective states: exactly one 1 per set.
        XCTAssertEqual(c.samples.filter { $0.name == "cleanroom_verdict" && $0.value == 1 }.map { $0.labels["verdict"] }, ["fail"])
        for s in r.slos {
            let set = c.samples.filter { $0.name == "cleanroom_slo_status" && $0.labels["slo"] == s.name && $0.labels["workload"] == s.workload }
            XCTAssertEqual(set.count, ObjectiveStatus.allCases.count)
            XCTAssertEqual(set.filter { $0.value == 1 }.map { $0.labels["status"] }, [s.status.rawValue])
        }
        let oom = c.samples.first { $0.name == "cleanroom_runs" && $0.labels == ["workload": "generate", "outcome": "oom"] }
        XCTAssertEqual(oom?.value, 1)
        // PSI was unmeasured: no stats, so no series (absent, never 0).
        XCTAssertFalse(c.samples.contains { $0.name.contains("pressure") })
    }

    func testHostileLabelValuesAreEscapedAndReadBack() throws {
        let r = try ReportFixtures.hostile()
        var c = OpenMetricsChecker()
        XCTAssertEqual(c.check(OpenMetricsReport.render(r)), [])
        XCTAssertTrue(c.samples.contains { $0.labels["workload"] == ReportFixtures.hostileWorkload })
        XCTAssertTrue(c.samples.contains { $0.labels["slo"]?.hasPrefix(ReportFixtures.hostileSLO) == true })
        XCTAssertTrue(c.samples.contains { $0.labels["metric"] == "lat,ency\"<x>" })
        XCTAssertEqual(OpenMetricsReport.labelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd")
        XCTAssertEqual(OpenMetricsReport.sanitize("9lives.x-y"), "_9lives_x_y")
    }

    func testTheCheckerCatchesBadLines() {
        var c = OpenMetricsChecker()
        XCTAssertEqual(c.check("# TYPE a gauge\na{x=\"1} 2\n# EOF\n").count, 1)
        var d = OpenMetricsChecker()
        XCTAssertEqual(d.check("# TYPE a gauge\na{x=\"1\"} NaN\n# EOF\n").count, 1)
    }
}
