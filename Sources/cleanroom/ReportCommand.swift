import ArgumentParser
import CleanroomKit
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `cleanroom report REPORT.json [-o DIR] [--format ...]`: re-renders a saved report without
/// running anything. Exit 0 when written; 2 for a bad input file, an unknown format or an
/// output directory that cannot be written (nothing is half-written: every file is atomic).
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Re-render a saved report.json into other formats, without running anything.",
        discussion: """
        Formats: json (report.json), csv (report.csv, slos.csv), html (report.html), junit (junit.xml), \
        markdown (summary.md), openmetrics (metrics.prom); `all` for every one. Each file is written \
        atomically (temporary file, fsync, rename). The written paths are printed, one a line.

        Examples:
          cleanroom report cleanroom-report/report.json -o out --format html,markdown
          cleanroom report report.json --format junit -o test-results
          cleanroom report report.json --format html --history ci/history.sqlite   # with trend charts

        With --history, report.html draws each workload's trend from the recorded reports that \
        started before this one (on its `branch` label, if it has one); a recorded copy of this \
        very report is the last point, not counted twice. The history is only read.
        """
    )

    @Argument(help: "The report.json to render.")
    var reportFile: String

    @Option(name: [.short, .customLong("output")], help: "Output directory (created if missing).")
    var output: String = "cleanroom-report"

    @Option(name: .long, help: "Comma-separated formats: json,csv,html,junit,markdown,openmetrics (or all).")
    var format: String = ReportFormat.defaults.map(\.rawValue).joined(separator: ",")

    @Option(help: ArgumentHelp("Draw trend charts in report.html from this history database (read only).", valueName: "FILE"))
    var history: String?

    func run() throws {
        do {
            let formats = try ReportFormat.parseList(format)
            let tRead = DispatchTime.now().uptimeNanoseconds
            let report = try readReport(reportFile, command: "report")
            let decodeSeconds = Double(DispatchTime.now().uptimeNanoseconds - tRead) / 1e9
            var store: HistoryStore?
            if let history {
                do { store = try HistoryStore(path: history, create: false) } catch { fail("\(error)") }   // the error names the file
            }
            let options = ReportTrends.options(history: store, report: report, formats: formats, command: "report")
            let t0 = DispatchTime.now().uptimeNanoseconds
            let files = try ReportWriter.render(report, formats: formats, options: options)
            let t1 = DispatchTime.now().uptimeNanoseconds
            try claimOutputDirectory(output, command: "report")
            let written = try writeReports(files, to: output, command: "report")
            let t2 = DispatchTime.now().uptimeNanoseconds
            for p in written { print(p) }
            let seconds = { (a: UInt64, b: UInt64) in CFormat.text("%.3f", Double(b - a) / 1e9) }
            fputs("cleanroom report: wrote \(written.count) file\(written.count == 1 ? "" : "s") to \(output) "
                  + "(rendered and written in \(seconds(t0, t2)) s: render \(seconds(t0, t1)) s, write \(seconds(t1, t2)) s; "
                  + "read and decoded in \(CFormat.text("%.3f", decodeSeconds)) s)\n", stderr)
        } catch let e as ReportError {
            fail(e.description)
        } catch let e as FileWriteError {
            fail("cannot write the report: \(e.description)")
        }
    }

    private func fail(_ message: String) -> Never {
        fputs("cleanroom report: \(message)\n", stderr)
        Foundation.exit(ExitStatus.usage)
    }
}
