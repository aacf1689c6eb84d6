import XCTest
@testable import CleanroomKit

final class MarkdownReportTests: XCTestCase {
    /// Cells of a GitHub table row: split on pipes not preceded by a backslash.
    private func cells(_ line: String) -> Int {
        var n = 0, escaped = false
        for c in line { if c == "|" && !escaped { n += 1 }; escaped = c == "\\" && !escaped }
        return n - 1
    }

    func testVerdictObjectivesWorstAndDegraded() throws {
        let r = try ReportFixtures.fail
        let md = MarkdownReport.render(r)
        XCTAssertTrue(md.hasPrefix("## cleanroom: FAIL\n"))
        XCTAssertTrue(md.contains("**Verdict: FAIL** (exit 1)"))
        let tableRows = md.split(separator: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| Status") && !$0.hasPrefix("| Workload") }
        XCTAssertEqual(tableRows.filter { $0.contains("error |") || $0.contains("warn |") }.count, r.slos.count)
        // Worst regressions: only what did not pass, gate failures first, the most negative margin first.
        let worst = md.components(separatedBy: "### Worst regressions")[1].components(separatedBy: "### ")[0]
        let firstItem = worst.split(separator: "\n").first { $0.hasPrefix("1. ") }!
        let most = r.slos.filter { $0.margin != nil && $0.status == .fail && $0.level == .error }.min { $0.margin! < $1.margin! }!
        XCTAssertTrue(firstItem.contains(MarkdownReport.escape(most.name)), String(firstItem))
        XCTAssertTrue(firstItem.contains(ReportText.margin(most.margin)))
        let items = worst.split(separator: "\n").filter { $0.first?.isNumber == true }
        XCTAssertEqual(items.count, min(MarkdownReport.worstCount, r.slos.filter { $0.status == .fail || $0.status == .inconclusive }.count))
        XCTAssertFalse(items.contains { $0.hasSuffix(", pass)") }, "a pass is never a regression: \(items)")
        // The passes nearest their threshold, apart.
        let closest = md.components(separatedBy: "### Closest passes")[1].components(separatedBy: "### ")[0]
        let nearest = r.slos.filter { $0.status == .pass && $0.margin != nil }.min { $0.margin! < $1.margin! }!
        XCTAssertTrue(closest.split(separator: "\n").first { $0.hasPrefix("1. ") }!.contains(MarkdownReport.escape(nearest.name)))
        XCTAssertTrue(closest.split(separator: "\n").filter { $0.first?.isNumber == true }.allSatisfy { $0.hasSuffix(", pass)") })
        XCTAssertTrue(md.contains("### Degraded"))
        XCTAssertTrue(md.contains("### Runs that did not end as expected"))
        XCTAssertTrue(md.contains("ptrace ×2"))
        XCTAssertTrue(md.contains("ci\\-hooks.example.com"))
        XCTAssertFalse(md.unicodeScalars.contains { $0.properties.isEmojiPresentation })
    }

    func testHostileNamesCannotBreakTheTableOrInjectMarkup() throws {
        let md = MarkdownReport.render(try ReportFixtures.hostile())
        // Every "<" from a name is backslash-escaped (renders as text); only our own <sub> is markup.
        let body = md.replacingOccurrences(of: "<sub>", with: "").replacingOccurrences(of: "</sub>", with: "")
        var prev: Character = " "
        for c in body { if c == "<" { XCTAssertEqual(prev, "\\", "unescaped < in summary.md") }; prev = c }
        XCTAssertTrue(md.contains("\\<script\\>alert\\(1\\)\\</script\\>"))
        let lines = md.split(separator: "\n", omittingEmptySubsequences: false)
        for block in [["| Status"], ["| Workload"]] {
            guard let start = lines.firstIndex(where: { $0.hasPrefix(block[0]) }) else { continue }
            let width = cells(String(lines[start]))
            var i = start
            while i < lines.count, lines[i].hasPrefix("|") {
                XCTAssertEqual(cells(String(lines[i])), width, "row breaks the table: \(lines[i])")
                i += 1
            }
        }
        XCTAssertEqual(MarkdownReport.escape("a|b\nc <x> [l](u) @me 1."), "a\\|b c \\<x\\> \\[l\\]\\(u\\) \\@me 1.")
        XCTAssertEqual(MarkdownReport.escape("1. item"), "1\\. item")
    }
}
