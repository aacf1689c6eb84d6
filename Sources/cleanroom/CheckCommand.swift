import ArgumentParser
import CleanroomKit
import Foundation

/// `cleanroom check REPORT.json`: judge a saved report again — with the objectives of an
/// slo.json, or its own — and exit as `run` would have. Runs nothing.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Re-judge a saved report (runs nothing); same exit codes as run.",
        discussion: """
        Takes the objectives from -c slo.json when given, else the ones recorded in the report, and \
        judges them over the report's runs (with --baseline for `baseline ± …` objectives). No runs \
        can be added, so an interval that straddles its threshold is inconclusive.

        Exit codes: 0 pass · 1 fail · 2 unreadable input · 3 the report's sandbox had failed \
        (or --strict and something was not enforced) · 4 inconclusive · 130 the report was interrupted.

        Examples:
          cleanroom check cleanroom-report/report.json
          cleanroom check report.json -c slo.json --baseline main-report.json
        """)

    @Argument(help: "The report.json to judge.")
    var reportFile: String

    @OptionGroup var judging: JudgingOptions

    func run() throws {
        let report = try readReport(reportFile, command: "check")
        let plan = try judging.loadPlan(command: "check", required: false)
        let slos = try plan?.slos ?? objectivesOf(report)
        let baseline = try judging.loadBaseline(command: "check", labels: report.labels,
                                                workloads: report.workloads.map(\.name))
        let noise = { (w: String) in plan?.workloads.first { $0.name == w }?.noise ?? true }
        let judged = Rejudge.judge(report, slos: slos, baseline: baseline, strict: judging.strict, noise: noise,
                                   baselineSource: judging.baselineSource(baseline))
        print(ConsoleSummary.render(judged), terminator: "")
        throw ExitCode(judged.verdict.exitCode)
    }

    private func objectivesOf(_ report: Report) throws -> [SLOPlan] {
        do { return try Rejudge.objectives(of: report) } catch {
            fputs("cleanroom check: \(reportFile): \(error)\n", stderr)
            throw ExitCode(ExitStatus.usage)
        }
    }
}
