import ArgumentParser
import CleanroomKit
import Foundation

/// `cleanroom merge SHARD.json ...`: join the reports of `run --shard K/N` jobs into one report,
/// judge every objective on the whole, write the reports and exit as `run` would have.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join shard reports into one and judge the whole.",
        discussion: """
        Every workload must be in exactly one shard (as `run --shard K/N` guarantees). Objectives \
        come from -c slo.json when given (a `*` objective then covers the workloads of every shard), \
        else from the shards' own results.

        Exit codes: as `run`: 0 pass · 1 fail · 2 unreadable or overlapping shards · 3 a shard's \
        sandbox failed · 4 inconclusive · 130 a shard was interrupted.

        Example (after a CI matrix of 3 jobs):
          cleanroom merge shard-1/report.json shard-2/report.json shard-3/report.json -c slo.json -o merged
        """)

    @Argument(help: "The shards' report.json files.")
    var shards: [String]

    @Option(name: [.short, .customLong("output")], help: "Directory for the merged reports.")
    var output: String = "cleanroom-report"

    @Option(help: "Comma-separated formats: json,csv,html,junit,markdown,openmetrics (or all).")
    var format: String = ReportFormat.defaults.map(\.rawValue).joined(separator: ",")

    @OptionGroup var judging: JudgingOptions

    func validate() throws {
        guard !shards.isEmpty else { throw ValidationError("give the shards' report.json files") }
    }

    func run() throws {
        let formats: [ReportFormat]
        do { formats = try ReportFormat.parseList(format) } catch { throw ValidationError("\(error)") }
        let reports = try shards.map { try readReport($0, command: "merge", role: "shard") }
        let merged: Report
        do { merged = try Rejudge.merge(reports) } catch {
            fputs("cleanroom merge: \(ConsoleText.escape("\(error)"))\n", stderr)
            throw ExitCode(ExitStatus.usage)
        }
        let plan = try judging.loadPlan(command: "merge", required: false)
        let slos: [SLOPlan]
        do { slos = try plan?.slos ?? Rejudge.objectives(of: merged) } catch {
            fputs("cleanroom merge: \(error)\n", stderr)
            throw ExitCode(ExitStatus.usage)
        }
        let baseline = try judging.loadBaseline(command: "merge", labels: merged.labels,
                                                workloads: merged.workloads.map(\.name))
        let noise = { (w: String) in plan?.workloads.first { $0.name == w }?.noise ?? true }
        let judged = Rejudge.judge(merged, slos: slos, baseline: baseline, strict: judging.strict, noise: noise,
                                   baselineSource: judging.baselineSource(baseline))
        try claimOutputDirectory(output, command: "merge")
        let files: [(name: String, data: Data)]
        do { files = try ReportWriter.render(judged, formats: formats) } catch {
            fputs("cleanroom merge: cannot render the reports: \(error)\n", stderr)
            throw ExitCode(ExitStatus.environment)
        }
        try writeReports(files, to: output, command: "merge")
        print(ConsoleSummary.render(judged, reportDirectory: output), terminator: "")
        throw ExitCode(judged.verdict.exitCode)
    }
}
