import ArgumentParser
import CleanroomKit
import Foundation

extension TrendRender.Format: ExpressibleByArgument {}

/// `cleanroom history`: the trend of one metric over the reports recorded with `--history`.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show the trend of a metric over the recorded reports.",
        discussion: """
        One line per recorded report (and workload) that measured the metric: when it ran, \
        its verdict, the number of measured runs (observations, for custom metrics), the \
        median and the 95th percentile, and its labels. Oldest first.

        The history is the SQLite file `cleanroom run --history FILE` records into; \
        CLEANROOM_HISTORY names it when --history is not given.

        Examples:
          cleanroom history --history ci/history.sqlite
          cleanroom history --workload unit-tests --metric memory_peak --last 50 --format csv
          cleanroom history --metric custom.request_latency --branch main --format json

        Exit codes: 0 shown (also when nothing was recorded yet); 2 no history given, the file \
        is missing or is not a cleanroom history, or the metric is unknown.
        """)

    @Option(help: "The history database (default: $CLEANROOM_HISTORY).")
    var history: String?

    @Option(help: "Only this workload (default: every workload).")
    var workload: String?

    @Option(help: "The metric: wall_time, memory_peak, custom.NAME, svc.NAME.METRIC, …")
    var metric: String = "wall_time"

    @Option(help: "How many of the newest reports to show.")
    var last: Int = 20

    @Option(help: "Only reports labelled branch=BRANCH.")
    var branch: String?

    @Option(help: "Output format: table, json or csv.")
    var format: TrendRender.Format = .table

    func validate() throws {
        guard last > 0 else { throw ValidationError("--last must be at least 1") }
        guard MetricRef(key: metric) != nil else {
            throw ValidationError("unknown metric \"\(metric)\" (try wall_time, memory_peak, custom.NAME or svc.NAME.METRIC)")
        }
    }

    func run() throws {
        func fail(_ message: String) -> Error {
            try? StandardStreams.write("cleanroom history: \(message)\n", fd: 2)
            return ExitCode(ExitStatus.usage)
        }
        guard let path = HistoryStore.resolvePath(option: history) else {
            throw fail("no history: pass --history FILE or set CLEANROOM_HISTORY")
        }
        let ref = MetricRef(key: metric)!   // checked in validate()
        let points: [TrendPoint]
        do {
            let store = try HistoryStore(path: path, create: false)
            points = try store.trend(workload: workload, metric: ref, last: last, branch: branch)
        } catch {
            throw fail("\(error)")
        }
        print(TrendRender.render(points, metric: ref, workload: workload, as: format), terminator: "")
    }
}
