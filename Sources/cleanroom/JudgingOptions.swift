import ArgumentParser
import CleanroomKit
import Foundation

/// Options shared by the commands that judge objectives (`run`, `check`, `merge`).
struct JudgingOptions: ParsableArguments {
    @Option(name: [.customShort("c"), .customLong("config")],
            help: ArgumentHelp("The config: run reads ./slo.json without it; check and merge then judge with the objectives recorded in the reports.", valueName: "slo.json"))
    var config: String?

    @Option(help: ArgumentHelp("""
        Baseline for `baseline ± …` objectives: a report.json, or `history` for the last 10 \
        recorded reports of this --label branch (needs --history). Without it such objectives are no_data.
        """, valueName: "REPORT.json|history"))
    var baseline: String?

    @Option(help: ArgumentHelp("SQLite history database (also $CLEANROOM_HISTORY).", valueName: "FILE"))
    var history: String?

    @Flag(help: "no_data objectives fail the gate, anything asked for but not enforced exits 3, and timing objectives on runs measured under host contention are inconclusive.")
    var strict = false

    /// --history, else $CLEANROOM_HISTORY.
    var historyPath: String? {
        history ?? ProcessInfo.processInfo.environment["CLEANROOM_HISTORY"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The plan of `config`, or exit 2 with every diagnostic.
    func loadPlan(command: String, overrides: ConfigOverrides = .init(), required: Bool) throws -> Plan? {
        let path = config ?? (required ? "slo.json" : nil)
        guard let path else { return nil }
        switch ConfigLoader.load(path: path, overrides: overrides) {
        case .success(let plan): return plan
        case .failure(let errors):
            try? StandardStreams.write(errors.renderText(), fd: 2)
            if !errors.renderText().hasSuffix("\n") { try? StandardStreams.write("\n", fd: 2) }
            throw ExitCode(ExitStatus.usage)
        }
    }

    /// The baseline report: a file, or synthesised from the history for `branch`.
    func loadBaseline(command: String, labels: [String: String], workloads: [String]) throws -> Report? {
        guard let baseline else { return nil }
        if baseline == "history" {
            return try historyBaseline(command: command, branch: labels["branch"], workloads: workloads)
        }
        return try readReport(baseline, command: command, role: "baseline")
    }

    /// Where the baseline came from, for each baseline objective's `baseline` record.
    func baselineSource(_ report: Report?) -> BaselineRecord? {
        guard let report, let baseline else { return nil }
        return BaselineRecord.of(report, path: baseline)
    }
}

/// `--label KEY=VALUE` parsing shared by `run`.
func parseLabels(_ raw: [String]) throws -> [String: String] {
    var out: [String: String] = [:]
    for l in raw {
        guard let eq = l.firstIndex(of: "="), eq != l.startIndex else {
            throw ValidationError("--label \(l): expected KEY=VALUE, e.g. --label branch=main")
        }
        out[String(l[..<eq])] = String(l[l.index(after: eq)...])
    }
    return out
}
