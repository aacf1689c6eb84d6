import Foundation

/// Options of one `cleanroom run` that are not in slo.json.
public struct RunOptions: Sendable {
    /// Absolute path of the report directory.
    public var outputDirectory: String
    public var parallel: Int = 1
    public var strict: Bool = false
    /// The baseline report (`--baseline REPORT.json`, or synthesised from history).
    public var baseline: Report?
    public var labels: [String: String] = [:]
    public var shard: Shard?
    /// Positional WORKLOAD arguments; empty = all.
    public var selected: [String] = []
    /// Why baseline objectives are no_data when a baseline was asked for and none was found
    /// (`--baseline history` with no matching history); nil: none was asked for.
    public var noBaselineReason: String?
    /// Where `baseline` came from, recorded on every baseline objective's result.
    public var baselineSource: BaselineRecord?
    /// `--baseline-from DIR`: each workload's base variant (cwd inside DIR), measured alternately with it.
    public var baseBuild: BaseBuild?

    public init(outputDirectory: String, parallel: Int = 1, strict: Bool = false, baseline: Report? = nil,
                labels: [String: String] = [:], shard: Shard? = nil, selected: [String] = []) {
        self.outputDirectory = outputDirectory; self.parallel = parallel; self.strict = strict
        self.baseline = baseline; self.labels = labels; self.shard = shard; self.selected = selected
    }
}

/// Plans and drives the runs of a `cleanroom run`: per workload `setup` once, warmups, measured
/// runs (each after its `prepare`), runs added while an objective's confidence interval straddles
/// its threshold (up to `max_repeat`), `teardown` once; then judges every objective and decides
/// the verdict. Workloads run `parallel` at a time; each run is its own sandbox.
public final class Orchestrator: @unchecked Sendable {   // worker threads share it through locks and Slots
    public let plan: Plan
    public let options: RunOptions
    let executor: RunExecutor
    let judge: ObjectiveJudging
    let progress: Progress
    let interrupts: Interrupts

    public init(plan: Plan, options: RunOptions, executor: RunExecutor, judge: ObjectiveJudging,
                progress: Progress, interrupts: Interrupts = .shared) {
        self.plan = plan; self.options = options; self.executor = executor; self.judge = judge
        self.progress = progress; self.interrupts = interrupts
    }

    /// The workloads this invocation runs: positional selection, then the shard.
    public var selectedWorkloads: [WorkloadPlan] {
        plan.workloads.filter { w in
            (options.selected.isEmpty || options.selected.contains(w.name)) && (options.shard?.contains(w.name) ?? true)
        }
    }

    /// Per workload: its report, whether it ran as expected, a setup error if the sandbox failed.
    struct WorkloadOutcome {
        var report: WorkloadReport
        var results: [ObjectiveResult]
        var failed: Bool
        var setupError: String?
    }

    /// Seconds a teardown may take when it runs after SIGINT/SIGTERM (then SIGTERM, and SIGKILL
    /// after kill_grace, as for any timeout).
    public static let teardownTimeoutAfterInterrupt = 1.5

    public func run() -> Report {
        let startedAt = Date()
        // Before any workload runs: from here on nothing under the output directory is reached
        // through a link a workload could have planted (OutputRoots). If it cannot be opened,
        // writing into it fails later with the reason.
        let trusted = (try? OutputRoots.trust(options.outputDirectory)) != nil
        defer { if trusted { OutputRoots.release(options.outputDirectory) } }
        let workloads = selectedWorkloads
        let slots = Slots<WorkloadOutcome>(count: workloads.count)

        // `parallel` plain threads, each taking the next workload in plan order. Not an
        // OperationQueue: on Linux its pool does not grow past the core count for threads that
        // block in wait4/read, so `--parallel 4` ran 2 at a time on a 2-core host.
        let next = Slots<Int>(count: 1)
        next.set(0, 0)
        let workers = DispatchGroup()
        for _ in 0..<min(max(1, options.parallel), max(1, workloads.count)) {
            workers.enter()
            let worker = Thread { [self] in
                while let i = next.take(below: workloads.count) {
                    slots.set(i, self.runWorkload(workloads[i]))
                }
                workers.leave()
            }
            worker.start()
        }
        workers.wait()
        executor.finished()

        let done = slots.values.compactMap { $0 }
        let results = done.flatMap(\.results)
        let host = executor.hostInfo(for: workloads)
        let verdict = judge.verdict(results: results, workloadsFailed: done.contains { $0.failed },
                                    strict: options.strict, degraded: !host.degraded.isEmpty,
                                    interrupted: interrupts.isInterrupted,
                                    setupError: done.contains { $0.setupError != nil })

        return Report(
            verdict: verdict,
            startedAt: Timestamps.iso8601(startedAt),
            finishedAt: Timestamps.iso8601(Date()),
            host: host,
            workloads: done.map(\.report),
            slos: results,
            labels: options.labels,
            parallel: options.parallel,
            shard: options.shard?.description,
            config: plan.source
        )
    }

    func runWorkload(_ w: WorkloadPlan) -> WorkloadOutcome {
        var report = WorkloadReport(name: w.name, command: w.command)
        var failed = false
        var setupError: String?
        let dirName = FileNames.sanitise(w.name)
        let slos = plan.slos.filter { $0.applies(to: w.name) }
        // A/B in one job: the base variant of this workload, run alternately with it (ABBA).
        let base: WorkloadPlan? = options.baseBuild.map { $0.variant(of: w) }
        let fileBaseline = options.baseline?.workloads.first { $0.name == w.name }
        let noBaselineReason: String? = options.baseline == nil ? options.noBaselineReason
            : fileBaseline == nil ? "the baseline has no workload \(w.name)" : nil
        if let base { report.baseCwd = base.cwd; report.baseRuns = [] }
        func currentBaseline() -> WorkloadReport? {
            report.baseRuns.map { WorkloadReport(name: w.name, command: w.command, runs: $0) } ?? fileBaseline
        }
        func evaluate(_ slo: SLOPlan) -> (result: ObjectiveResult, needsMoreRuns: Bool) {
            let baseline = currentBaseline()
            var j = judge.evaluate(slo, workload: report, baseline: baseline, noise: w.noise, noBaselineReason: noBaselineReason)
            if j.result.baseline != nil, let source = report.baseRuns != nil ? BaselineRecord.ab(report) : options.baselineSource {
                j.result.baseline?.source = source.source
                j.result.baseline?.reports = source.reports
            }
            return j
        }
        /// One result per matching metric for a glob objective (MetricGlobs), else one.
        func evaluateExpanded(_ slo: SLOPlan) -> [(result: ObjectiveResult, needsMoreRuns: Bool)] {
            MetricGlobs.judge(slo, workload: report, baseline: currentBaseline(), evaluate: evaluate)
        }
        var index = 0
        var baseIndex = 0
        var measured = 0

        func job(_ kind: RunJob.Kind, _ command: [String], _ idx: Int, workload: WorkloadPlan? = nil, isBase: Bool = false) -> RunJob {
            let sub = (isBase ? "base-" : "") + (kind.isRunKind ? "\(idx)" : "\(kind.rawValue)\(kind == .prepare ? "-\(idx)" : "")")
            let rel = "runs/\(dirName)/" + sub
            return RunJob(workload: workload ?? w, command: command, kind: kind, index: idx,
                          outputDirectory: options.outputDirectory + "/" + rel, outputRelative: rel)
        }

        /// Runs one job; returns nil (and records why) when the sandbox could not be set up.
        func execute(_ j: RunJob) -> RunRecord? {
            do {
                return try executor.execute(j)
            } catch let e as CaptureWriteError {
                // The run happened and is kept; the lost capture makes the verdict `error`.
                setupError = e.message
                progress.message("  \(ConsoleText.escape(w.name)): \(e.message)")
                return e.record
            } catch {
                setupError = "\(error)"
                // The error says what failed ("sandbox could not be set up: …", "not enforced …").
                progress.message("  \(ConsoleText.escape(w.name)): \(ConsoleText.escape("\(error)"))")
                return nil
            }
        }

        /// An unmeasured helper command; false when it did not succeed.
        func helper(_ kind: RunJob.Kind, _ command: [String]?, _ idx: Int, workload: WorkloadPlan? = nil,
                    isBase: Bool = false) -> (ok: Bool, why: String?) {
            guard let command else { return (true, nil) }
            guard let r = execute(job(kind, command, idx, workload: workload, isBase: isBase)) else { return (false, setupError) }
            if r.outcome == .ok && r.exitCode == 0 { return (true, nil) }
            let why = "\(kind.rawValue) \(command.joined(separator: " ")) ended \(r.outcome.rawValue)"
                + (r.exitCode.map { " (exit \($0))" } ?? "") + (r.detail.map { ": \($0)" } ?? "")
            return (false, why)
        }

        /// One warmup or measured run after its `prepare`. false when the workload cannot go on.
        /// `variant` is the base build's plan for its runs (`--baseline-from`), nil for the head's.
        func oneRun(warmup: Bool, variant: WorkloadPlan? = nil) -> Bool {
            guard !interrupts.isInterrupted else { return false }
            let isBase = variant != nil
            let plan = variant ?? w
            if isBase { baseIndex += 1 } else { index += 1 }
            let idx = isBase ? baseIndex : index
            let kind: RunJob.Kind = warmup ? .warmup : .measured
            let prep = helper(.prepare, plan.prepare, idx, workload: plan, isBase: isBase)
            var record: RunRecord
            if !prep.ok {
                // A prepare killed by a signal is not a failed run: the run never happened.
                if setupError != nil || interrupts.isInterrupted { return false }
                record = RunRecord(index: idx, warmup: warmup, outcome: .error, detail: prep.why)
            } else {
                // The prepare may have run into a signal: start nothing more then.
                guard !interrupts.isInterrupted, let r = execute(job(kind, plan.command, idx, workload: plan, isBase: isBase)) else { return false }
                record = r
                record.index = idx
                record.warmup = warmup
            }
            if record.outcome != .ok { failed = true }
            if let previous = isBase ? report.baseRuns?.last : report.runs.last { record.shareTexts(with: previous) }
            if isBase { report.baseRuns?.append(record) } else { report.runs.append(record) }
            if !warmup && !isBase { measured += 1 }
            progress.runFinished(isBase ? w.name + " (base)" : w.name, job: job(kind, plan.command, idx, workload: plan, isBase: isBase),
                                 record: record, done: measured, planned: max(w.repeatCount, measured))
            // A command that cannot start will not start next time either.
            return record.outcome != .error && !interrupts.isInterrupted
        }

        /// The `n`th run of the workload: with a base build, a base and a head run in ABBA order
        /// (pair 0: base, head; pair 1: head, base; …) so that drift on the host falls on both alike.
        var pairs = 0
        func nextRun(warmup: Bool) -> Bool {
            guard let base else { return oneRun(warmup: warmup) }
            defer { pairs += 1 }
            if pairs % 2 == 0 {
                return oneRun(warmup: warmup, variant: base) && oneRun(warmup: warmup)
            }
            return oneRun(warmup: warmup) && oneRun(warmup: warmup, variant: base)
        }
        /// Per objective (index in `slos`): the extra runs added while it was within noise.
        var drove: [Int: Int] = [:]

        // After a signal, a workload that has not started yet runs nothing, its setup included:
        // it stays in the report with no runs (its objectives are no_data).
        if !interrupts.isInterrupted {
            progress.workloadStarted(w.name, planned: w.warmup + w.repeatCount)
            var setup = helper(.setup, w.setup, 0)
            if setup.ok, let base { setup = helper(.setup, base.setup, 0, workload: base, isBase: true) }
            if !setup.ok {
                failed = true
                report.error = setup.why
            } else {
                var going = true
                for _ in 0..<w.warmup where going { going = nextRun(warmup: true) }
                for _ in 0..<w.repeatCount where going { going = nextRun(warmup: false) }
                // Noise: while an objective's interval straddles its threshold, add measured runs.
                while going, measured < w.maxRepeat, !interrupts.isInterrupted {
                    report.stats = judge.stats(for: report.runs)
                    let pendingIndices = slos.indices.filter { evaluateExpanded(slos[$0]).contains { $0.needsMoreRuns } }
                    let pending = pendingIndices.map { slos[$0] }
                    guard !pending.isEmpty else { break }
                    for k in pendingIndices { drove[k, default: 0] += 1 }
                    progress.runsAdded(w.name, total: measured + 1,
                                       reason: "\(pending.map(\.name).joined(separator: ", ")) within noise of the threshold")
                    going = nextRun(warmup: false)
                }
                // Once set up, always torn down — after a signal too (it undoes what setup did),
                // but then only once the signal's own teardown of every sandbox is over (else it
                // may kill this one half-way) and within a short timeout, so that cleanroom still
                // exits within 2 s + kill_grace of the signal.
                var teardownPlan = w
                if interrupts.isInterrupted {
                    interrupts.waitUntilSettled(timeout: 1)
                    teardownPlan.timeout = min(w.timeout ?? .infinity, Orchestrator.teardownTimeoutAfterInterrupt)
                }
                var down = helper(.teardown, w.teardown, 0, workload: teardownPlan)
                if let base {
                    var baseDown = base
                    baseDown.timeout = teardownPlan.timeout
                    let b = helper(.teardown, base.teardown, 0, workload: baseDown, isBase: true)
                    if down.ok { down = b }
                }
                if !down.ok { failed = true; report.error = down.why }
            }
        }
        // report.json says why the verdict is `error`, not only the console.
        if let setupError, report.error == nil { report.error = setupError }
        report.stats = judge.stats(for: report.runs)
        report.noise = NoiseFigures.compute(report, slos: slos, maxRepeat: w.maxRepeat)
        for warning in NoiseFigures.warnings(report, slos: slos) { progress.message("  warning: \(warning)") }
        // "runs added" belongs to the objectives whose noise asked for them, not to every
        // objective of the workload (a min/max objective never adds runs).
        let results = slos.enumerated().flatMap { k, slo -> [ObjectiveResult] in
            evaluateExpanded(slo).map { j in
                var r = j.result
                let mine = drove[k] ?? 0
                if r.ci != nil || mine > 0 { r.runsAdded = mine }
                Contention.review(&r, metric: slo.objective.metric, runs: report.runs, strict: options.strict)
                ServiceObjectiveReview.review(&r, metric: slo.objective.metric, runs: report.runs)
                return r
            }
        }
        return WorkloadOutcome(report: report, results: results, failed: failed, setupError: setupError)
    }
}

extension RunJob.Kind {
    var isRunKind: Bool { self == .measured || self == .warmup }
}

/// Results written by concurrent workers into fixed positions, so the report keeps plan order.
final class Slots<T>: @unchecked Sendable {
    private var items: [T?]
    private let lock = NSLock()
    init(count: Int) { items = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ v: T) { lock.lock(); items[i] = v; lock.unlock() }
    var values: [T?] { lock.lock(); defer { lock.unlock() }; return items }
}

extension Slots where T == Int {
    /// Takes the counter in slot 0 and advances it; nil once it has reached `limit`.
    func take(below limit: Int) -> Int? {
        lock.lock(); defer { lock.unlock() }
        let i = items[0] ?? 0
        guard i < limit else { return nil }
        items[0] = i + 1
        return i
    }
}
