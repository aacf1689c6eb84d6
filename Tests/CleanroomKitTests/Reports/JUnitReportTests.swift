import XCTest
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import CleanroomKit

/// Reads junit.xml back with a real XML parser.
private final class JUnitReader: NSObject, XMLParserDelegate {
    struct Case { var name: String; var classname: String; var kind: String?; var message: String?; var body = "" }
    var cases: [Case] = []
    var suites: [[String: String]] = []
    var root: [String: String] = [:]
    private var inChild = false

    func parser(_ p: XMLParser, didStartElement e: String, namespaceURI: String?, qualifiedName: String?, attributes a: [String: String]) {
        switch e {
        case "testsuites": root = a
        case "testsuite": suites.append(a)
        case "testcase": cases.append(Case(name: a["name"] ?? "", classname: a["classname"] ?? ""))
        case "failure", "error", "skipped":
            cases[cases.count - 1].kind = e; cases[cases.count - 1].message = a["message"]; inChild = true
        default: break
        }
    }
    func parser(_ p: XMLParser, foundCharacters s: String) { if inChild { cases[cases.count - 1].body += s } }
    func parser(_ p: XMLParser, didEndElement e: String, namespaceURI: String?, qualifiedName: String?) {
        if ["failure", "error", "skipped"].contains(e) { inChild = false }
    }
}

final class JUnitReportTests: XCTestCase {
    private func read(_ xml: String) throws -> JUnitReader {
        let parser = XMLParser(data: Data(xml.utf8))
        let reader = JUnitReader()
        parser.delegate = reader
        XCTAssertTrue(parser.parse(), "junit.xml does not parse: \(String(describing: parser.parserError))")
        return reader
    }

    func testCountsMatchTheObjectivesAndRuns() throws {
        let r = try ReportFixtures.fail
        let j = try read(JUnitReport.render(r))
        let objectiveCases = j.cases.filter { $0.name != "runs" }
        XCTAssertEqual(objectiveCases.count, r.slos.count)
        XCTAssertEqual(j.cases.count, r.slos.count + r.workloads.count)
        let failures = r.slos.filter { $0.status == .fail && $0.level == .error }.count
            + r.workloads.filter { $0.runs.contains { $0.outcome != .ok } }.count
        XCTAssertEqual(j.cases.filter { $0.kind == "failure" }.count, failures)
        XCTAssertEqual(j.cases.filter { $0.kind == "error" }.count, r.slos.filter { $0.status == .inconclusive && $0.level == .error }.count)
        XCTAssertEqual(j.cases.filter { $0.kind == "skipped" }.count, r.slos.filter { $0.status == .noData }.count)
        XCTAssertEqual(Int(j.root["tests"]!), j.cases.count)
        XCTAssertEqual(Int(j.root["failures"]!), failures)
        XCTAssertEqual(j.suites.map { $0["name"]! }, r.workloads.map(\.name))
        XCTAssertEqual(j.suites.reduce(0) { $0 + Int($1["tests"]!)! }, j.cases.count)

        let mem = j.cases.first { $0.name == "GenerationMemory" }!
        XCTAssertEqual(mem.classname, "generate")
        XCTAssertEqual(mem.message, "observed 268435456 vs threshold 200000000 B: max(memory_peak) <= 200MB")
        XCTAssertTrue(mem.body.contains("observed: 268MB\nthreshold: 200MB"), mem.body)   // in the unit family the threshold was written in
        // `*` objectives (one result per workload) are NAME[workload].
        XCTAssertEqual(Set(j.cases.filter { $0.name.hasPrefix("QuietCPU") }.map(\.name)),
                       Set(r.workloads.map { "QuietCPU[\($0.name)]" }))
        // warn-level failures do not fail the test report (nor the gate).
        XCTAssertNil(j.cases.first { $0.name == "QuietCPU[unit-tests]" }!.kind)
        XCTAssertTrue(j.cases.first { $0.name == "IoPressure" }!.message!.contains("PSI"))
        let runs = j.cases.first { $0.name == "runs" && $0.classname == "generate" }!
        XCTAssertEqual(runs.kind, "failure")
        XCTAssertTrue(runs.body.contains("run 3: oom, SIGKILL"))
    }

    func testPassingReportHasNoFailures() throws {
        let j = try read(JUnitReport.render(try ReportFixtures.pass))
        XCTAssertEqual(j.cases.count, 2)
        XCTAssertTrue(j.cases.allSatisfy { $0.kind == nil })
        XCTAssertEqual(j.root["failures"], "0")
    }

    func testHostileNamesAreEscapedAndReadBackIntact() throws {
        let r = try ReportFixtures.hostile()
        let xml = JUnitReport.render(r)
        XCTAssertFalse(xml.contains("<script"))
        let j = try read(xml)
        XCTAssertEqual(j.suites[0]["name"], ReportFixtures.hostileWorkload)
        let hostileCases = j.cases.filter { $0.classname == ReportFixtures.hostileWorkload }
        XCTAssertEqual(hostileCases.count, r.slos.filter { $0.workload == ReportFixtures.hostileWorkload }.count + 1)
        XCTAssertTrue(hostileCases.contains { $0.name.hasPrefix(ReportFixtures.hostileSLO) })
        // The control character in the run detail became U+FFFD instead of breaking the XML.
        XCTAssertTrue(hostileCases.first { $0.name == "runs" }.map { _ in true } ?? false)
        XCTAssertFalse(xml.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" && $0 != "\t" })
    }
}
