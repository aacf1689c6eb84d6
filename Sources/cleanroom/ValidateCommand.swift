import ArgumentParser
import CleanroomKit
import Foundation

/// `cleanroom validate [FILE]`: reads and checks a config, runs nothing.
struct ValidateCommand: ParsableCommand {
    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check an slo.json without running anything.",
        discussion: """
        Reads the config, checks every key, unit, objective and cross-reference, and reports \
        every problem at once, each with its JSON path, line:column and a hint. Nothing is run \
        and nothing is written.

        On success it prints one line (e.g. "slo.json: 3 workloads, 5 objectives") and exits 0.
        On errors it prints them all and exits 2. A missing, unreadable or empty file is an \
        error too (exit 2).

        With --format json the output goes to stdout as a JSON array of \
        {file, path, message, hint, line, column} ([] when the file is valid), for editors and \
        CI annotations; the exit code is the same.

        The language (units, objectives, every key and its default) is described in \
        docs/slo.md; docs/slo.schema.json lets editors complete and check the file \
        (add "$schema": "docs/slo.schema.json").

        Examples:
          cleanroom validate                        # checks ./slo.json
          cleanroom validate ci/slo.json
          cleanroom validate --format json slo.json | jq '.[] | .message'
          cleanroom validate --baseline main/report.json   # + warn where noise hides the allowed change

        With --baseline REPORT.json, the noise each workload showed in that report is set against \
        the `baseline ± N%` objectives: an objective allowing less than the smallest change its \
        runs can decide gets a warning on stderr (the exit code is unchanged).
        """
    )

    @Argument(help: ArgumentHelp("The config file to check.", valueName: "file"))
    var file: String = "slo.json"

    @Option(name: .long, help: ArgumentHelp(
        "Output format: text (compiler-style lines with a caret under the problem, on stderr) or json (an array on stdout).",
        valueName: "text|json"))
    var format: OutputFormat = .text

    @Option(help: ArgumentHelp("A report whose runs show each workload's noise (warnings only).", valueName: "REPORT.json"))
    var baseline: String?

    func run() throws {
        switch ConfigLoader.load(path: file) {
        case .success(let plan):
            if format == .json {
                print("[]")
            } else {
                let w = plan.workloads.count, o = plan.slos.count
                print("\(file): \(w) workload\(w == 1 ? "" : "s"), \(o) objective\(o == 1 ? "" : "s")")
            }
            if let baseline {
                let report = try readReport(baseline, command: "validate", role: "baseline")
                for var w in report.workloads {
                    let slos = plan.slos.filter { $0.applies(to: w.name) }
                    let maxRepeat = plan.workloads.first { $0.name == w.name }?.maxRepeat
                    w.noise = NoiseFigures.compute(w, slos: slos, maxRepeat: maxRepeat)
                    for warning in NoiseFigures.warnings(w, slos: slos) { fputs("warning: \(warning)\n", stderr) }
                }
            }
        case .failure(let errors):
            if format == .json {
                print(errors.renderJSON())
            } else {
                try? StandardStreams.write(errors.renderText() + "\n", fd: 2)
            }
            throw ExitCode(ExitStatus.usage)
        }
    }
}
