import ArgumentParser
import CleanroomKit
import Foundation

extension CompareRender.Format: ExpressibleByArgument {}

/// `cleanroom compare BASE.json HEAD.json`: what changed between two reports, with the
/// statistics to tell a change from noise. Informational: exits 0 whatever changed.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two reports metric by metric, with statistics.",
        discussion: """
        For every workload and metric present in both reports: the base and head medians, the \
        change in percent with a 95% bootstrap confidence interval, and the two-sided \
        Mann–Whitney U p-value. A change is called faster/slower (durations) or larger/smaller \
        only when p < 0.05 and the interval excludes 0; otherwise "no change". Builtin metrics \
        are compared over measured runs, custom metrics over all their observations.

        Exit codes: 0 compared; 2 a report could not be read.
        """)

    @Argument(help: "The base report (report.json).")
    var base: String

    @Argument(help: "The head report (report.json) to compare against the base.")
    var head: String

    @Option(help: "Output format: table, json or markdown.")
    var format: CompareRender.Format = .table

    func run() throws {
        let b = try readReport(base, command: "compare", role: "base report")
        let h = try readReport(head, command: "compare", role: "head report")
        print(CompareRender.render(Compare.compare(base: b, head: h), as: format), terminator: "")
    }
}
