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
        """
    )

    @Argument(help: "The report.json to render.")
    var reportFile: String

    @Option(name: [.short, .customLong("output")], help: "Output directory (created if missing).")
    var output: String = "cleanroom-report"

    @Option(name: .long, help: "Comma-separated formats: json,csv,html,junit,markdown,openmetrics (or all).")
    var format: String = ReportFormat.defaults.map(\.rawValue).joined(separator: ",")

    func run() throws {
        do {
            let formats = try ReportFormat.parseList(format)
            let report = try JSONReport.read(path: reportFile)
            let start = DispatchTime.now().uptimeNanoseconds
            let written = try ReportWriter.write(report, to: output, formats: formats)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            for p in written { print(p) }
            fputs("cleanroom report: wrote \(written.count) file\(written.count == 1 ? "" : "s") to \(output) "
                  + "(rendered and written in \(String(format: "%.3f", seconds)) s)\n", stderr)
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
