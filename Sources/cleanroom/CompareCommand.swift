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
        For every workload and metric present in both reports: the base and head medians and the \
        change in percent with its 95% confidence interval (bootstrap over both samples), judged \
        by the gate's method and words: slower/faster (durations) or larger/smaller when the whole \
        interval is beyond ±band, "no change" when it is wholly within ±band, else "inconclusive" \
        with how many runs a side would likely decide. The two-sided Mann–Whitney U p-value is \
        shown as a second opinion. Builtin metrics are compared over measured runs, custom \
        metrics over all their observations.

        Exit codes: 0 compared; 2 a report could not be read.
        """)

    @Argument(help: "The base report (report.json).")
    var base: String

    @Argument(help: "The head report (report.json) to compare against the base.")
    var head: String

    @Option(help: "Output format: table, json or markdown.")
    var format: CompareRender.Format = .table

    @Option(help: ArgumentHelp("Changes within ±band are \"no change\" (as `baseline + band` in an objective), e.g. 5%.", valueName: "PERCENT"))
    var band: String = "5%"

    func validate() throws {
        guard parsedBand != nil else { throw ValidationError("--band \(band): expected a percentage such as 5% or 2.5") }
    }

    var parsedBand: Double? {
        let t = band.hasSuffix("%") ? String(band.dropLast()) : band
        guard let v = Double(t), v.isFinite, v >= 0 else { return nil }
        return v
    }

    func run() throws {
        let b = try readReport(base, command: "compare", role: "base report")
        let h = try readReport(head, command: "compare", role: "head report")
        print(CompareRender.render(Compare.compare(base: b, head: h, band: parsedBand ?? Compare.defaultBand), as: format), terminator: "")
    }
}
