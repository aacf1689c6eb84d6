import ArgumentParser
import CleanroomKit
import Foundation

/// The output directory's lock, held until the process exits.
nonisolated(unsafe) var outputLock: OutputLock?

/// `cleanroom run`: the job CI invokes. Runs the workloads of slo.json in sandboxes, measures
/// them, judges the objectives with the noise in view, writes the reports, alerts, and exits with
/// the verdict's code.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the workloads of slo.json, judge the objectives, write reports.",
        discussion: """
        Per workload: `setup` once; warmup runs (reported, never judged); measured runs, each \
        after its `prepare`; while an objective's 95% confidence interval straddles its threshold, \
        one more measured run (up to max_repeat); `teardown` once. Every run is a fresh sandbox. \
        On SIGINT/SIGTERM every sandbox is killed at once, nothing more starts but the \
        teardown of workloads already set up (given 1.5 s), and a partial report marked \
        interrupted is written.

        Exit codes: 0 pass · 1 an objective or a workload failed · 2 usage or config error \
        (nothing run) · 3 the sandbox could not be set up (or --strict and something was not \
        enforced) · 4 inconclusive · 130 interrupted (partial report written).

        Examples:
          cleanroom run
          cleanroom run -c slo.json -o out --format json,html,junit --repeat 5
          cleanroom run --baseline main/report.json --label branch=pr-42
          cleanroom run --history perf.db --baseline history --label branch=main
          cleanroom run --baseline-from ../base      # A/B: the base build's runs alternate with these
          cleanroom run --shard 2/3 -o shard-2          # one job of a CI matrix; see `merge`
          cleanroom run build unit-tests                # only these workloads
        """)

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Directory for the reports and captured output.", valueName: "DIR"))
    var output: String = "cleanroom-report"

    @Option(help: "Comma-separated formats: json,csv,html,junit,markdown,openmetrics (or all).")
    var format: String = ReportFormat.defaults.map(\.rawValue).joined(separator: ",")

    @Option(name: .customLong("repeat"), help: "Measured runs per workload (overrides slo.json).")
    var repeatCount: Int?

    @Option(help: "Warmup runs per workload (overrides slo.json).")
    var warmup: Int?

    @Option(help: "Workloads run at the same time (they perturb each other; recorded in the report).")
    var parallel: Int = 1

    @Option(name: .customLong("label"), help: ArgumentHelp("Attach KEY=VALUE to the report and history (repeatable), e.g. branch=main.", valueName: "KEY=VALUE"))
    var labels: [String] = []

    @Flag(name: .customLong("no-alerts"), help: "Do not send the webhooks of slo.json.")
    var noAlerts = false

    @Option(help: ArgumentHelp("Run only the workloads of shard K of N (stable hash of the name).", valueName: "K/N"))
    var shard: String?

    @OptionGroup var judging: JudgingOptions

    @Option(name: .customLong("baseline-from"), help: ArgumentHelp("""
        A/B in one job: DIR holds the base build of this project (e.g. the merge base, built). Each \
        workload also runs in DIR (its cwd at the same place inside DIR), alternately with the head \
        (ABBA), same sandbox; `baseline ± …` objectives are judged against those base runs.
        """, valueName: "DIR"))
    var baselineFrom: String?

    @Argument(help: "Workloads to run (default: all).")
    var workloads: [String] = []

    func validate() throws {
        if let r = repeatCount, r < 1 { throw ValidationError("--repeat must be at least 1") }
        if let w = warmup, w < 0 { throw ValidationError("--warmup must be 0 or more") }
        if parallel < 1 { throw ValidationError("--parallel must be at least 1") }
        if let s = shard, Shard(s) == nil { throw ValidationError("--shard \(s): expected K/N with 1 ≤ K ≤ N, e.g. 2/3") }
        if baselineFrom != nil, judging.baseline != nil {
            throw ValidationError("--baseline-from and --baseline both name a baseline: give one (--baseline-from measures the base in this job)")
        }
    }

    func run() throws {
        let formats: [ReportFormat]
        do { formats = try ReportFormat.parseList(format) } catch { throw ValidationError("--format: \(error)") }
        let labelMap = try parseLabels(labels)
        guard let plan = try judging.loadPlan(command: "run", overrides: ConfigOverrides(repeat: repeatCount, warmup: warmup), required: true) else { return }
        let unknown = workloads.filter { name in !plan.workloads.contains { $0.name == name } }
        if !unknown.isEmpty {
            let names = plan.workloads.map(\.name)
            let hints = unknown.map { u -> String in
                let near = names.min { Units.editDistance($0, u) < Units.editDistance($1, u) }
                return near.map { "\"\(u)\" (did you mean \"\($0)\"?)" } ?? "\"\(u)\""
            }
            throw ValidationError(ConsoleText.escape("no such workload in \(plan.source): \(hints.joined(separator: ", ")); workloads: \(names.joined(separator: ", "))"))
        }
        let outDir = URL(fileURLWithPath: output).standardizedFileURL.path
        let history = try judging.openHistory(command: "run")

        var options = RunOptions(outputDirectory: outDir, parallel: parallel, strict: judging.strict,
                                 labels: labelMap, shard: shard.flatMap(Shard.init), selected: workloads)
        let executor = SandboxExecutor(strict: judging.strict)
        let progress = Progress.automatic()
        let probe = Orchestrator(plan: plan, options: options, executor: executor, judge: AnalysisJudge(), progress: progress)
        options.baseline = try judging.loadBaseline(command: "run", labels: labelMap,
                                                    workloads: probe.selectedWorkloads.map(\.name))
        options.baselineSource = judging.baselineSource(options.baseline)
        if let dir = baselineFrom {
            let root = URL(fileURLWithPath: plan.source).standardizedFileURL.deletingLastPathComponent().path
            let build = BaseBuild(directory: dir, root: root)
            let problems = build.problems(probe.selectedWorkloads)
            if !problems.isEmpty {
                for p in problems { fputs("cleanroom run: \(p)\n", stderr) }
                throw ExitCode(ExitStatus.usage)
            }
            options.baseBuild = build
        }
        if options.baseline == nil, judging.baseline == "history" {
            options.noBaselineReason = "--baseline history: no recorded report"
                + (labelMap["branch"].map { " with branch=\($0)" } ?? "") + " has runs of these workloads"
        }
        // Only now, with every input read, is anything created: exit 2 leaves no trace.
        do {
            try AtomicFile.ensureDirectory(outDir)
            try AtomicFile.checkWritable(outDir)
            outputLock = try OutputLock.acquire(directory: outDir, command: "run")
            // Until exit, reports included: nothing under it through a link a workload planted.
            try OutputRoots.trust(outDir)
        } catch let e as OutputLockError {
            fputs("cleanroom run: \(e)\n", stderr)
            throw ExitCode(ExitStatus.usage)
        } catch {
            fputs("cleanroom run: cannot write reports to \(output): \(error)\n", stderr)
            throw ExitCode(ExitStatus.usage)
        }
        if probe.selectedWorkloads.isEmpty {
            progress.message("no workload to run" + (options.shard.map { " in shard \($0)" } ?? ""))
        }

        Interrupts.shared.install { executor.interruptAll() }
        // The set-up's code is not needed again: unmapped, it stops counting in our RSS.
        LoaderPages.releaseText()
        let orchestrator = Orchestrator(plan: plan, options: options, executor: executor, judge: AnalysisJudge(), progress: progress)
        var report = orchestrator.run()
        report.cleanroomVersion = CleanroomVersion.string

        // report.html's trend charts: read before the report is recorded (below), so this run is not counted twice.
        let reportOptions = ReportTrends.options(history: history, report: report, formats: formats, command: "run")
        let html = formats.contains(.html) ? outDir + "/report.html" : nil
        let webhooks = plan.webhooks
        let send: (@Sendable (Report) -> [AlertResult])? = noAlerts || webhooks.isEmpty ? nil : { @Sendable r in
            Alerts.send(report: r, webhooks: webhooks, htmlReportPath: html)
        }
        // Nor the runs' code, while the reports' is faulted in.
        LoaderPages.releaseText()
        switch ReportDelivery(directory: outDir, formats: formats, options: reportOptions).deliver(report, alerts: send) {
        case .finished(let r):
            report = r
        case .writeFailed(let r, let e):
            // The directory was writable when checked before running: this is the environment
            // (disk full, removed under us), not the user's input, and workloads did run.
            print(ConsoleSummary.render(r, reportDirectory: output), terminator: "")
            fputs("cleanroom run: cannot write the reports: \(ConsoleText.escape("\(e)"))\n", stderr)
            throw ExitCode(ExitStatus.environment)
        case .interrupted(let r, let e):
            print(ConsoleSummary.render(r, reportDirectory: output), terminator: "")
            if let e {
                fputs("cleanroom run: interrupted; the partial report could not be written: \(ConsoleText.escape("\(e)"))\n", stderr)
            } else {
                fputs("cleanroom run: interrupted while writing the reports or sending alerts; partial report in \(output)\n", stderr)
            }
            throw ExitCode(130)
        }
        if let history {
            do { try history.record(report) } catch {
                fputs("cleanroom run: warning: the report was not recorded in the history: \(error)\n", stderr)
            }
        }
        print(ConsoleSummary.render(report, reportDirectory: output), terminator: "")
        throw ExitCode(report.verdict.exitCode)
    }
}
