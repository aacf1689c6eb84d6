import Foundation

/// Knobs of the writers that are not part of the report itself.
public struct ReportOptions: Sendable, Equatable {
    /// Most points one chart series keeps (min/max per bucket, so peaks survive).
    public var maxChartPoints: Int
    /// Up to this many measured runs are overlaid in a chart; beyond it, median/fastest/slowest.
    public var maxOverlaidRuns: Int
    public init(maxChartPoints: Int = 1000, maxOverlaidRuns: Int = 10) {
        self.maxChartPoints = maxChartPoints; self.maxOverlaidRuns = maxOverlaidRuns
    }
}

/// Renders a Report into the chosen formats and writes them into a directory.
///
/// Every format is rendered in memory first, so a rendering problem writes nothing; the
/// directory is created (with parents) and checked for writability before the first file; each
/// file is then written atomically (temporary file in the same directory, fsync, rename), so a
/// reader never sees a torn file, and an existing report is replaced file by file.
public enum ReportWriter {
    /// The files of `formats`, rendered: file name → content. Non-finite numbers are removed
    /// first (see `JSONReport.sanitized`), so every format agrees and report.json stays valid JSON.
    public static func render(_ report: Report, formats: [ReportFormat],
                              options: ReportOptions = ReportOptions()) throws -> [(name: String, data: Data)] {
        let r = JSONReport.sanitized(report)
        var files: [(name: String, data: Data)] = []
        for f in formats {
            switch f {
            case .json: files.append(("report.json", try JSONReport.encode(r)))
            case .csv:
                files.append(("report.csv", Data(CSVReport.runs(r).utf8)))
                files.append(("slos.csv", Data(CSVReport.slos(r).utf8)))
            case .html: files.append(("report.html", Data(HTMLReport.render(r, options: options).utf8)))
            case .junit: files.append(("junit.xml", Data(JUnitReport.render(r).utf8)))
            case .markdown: files.append(("summary.md", Data(MarkdownReport.render(r).utf8)))
            case .openmetrics: files.append(("metrics.prom", Data(OpenMetricsReport.render(r).utf8)))
            }
        }
        return files
    }

    /// Writes the chosen formats into `dir` (created if missing). Returns the paths written, in
    /// format order. Throws `FileWriteError` (unwritable or non-directory output) or
    /// `ReportError`; on an error before the first write nothing in `dir` changed.
    @discardableResult
    public static func write(_ report: Report, to dir: String, formats: [ReportFormat] = ReportFormat.defaults,
                             options: ReportOptions = ReportOptions()) throws -> [String] {
        let files = try render(report, formats: formats, options: options)
        try AtomicFile.ensureDirectory(dir)
        try AtomicFile.checkWritable(dir)
        var written: [String] = []
        for file in files {
            let path = (dir as NSString).appendingPathComponent(file.name)
            try AtomicFile.write(file.data, to: path)
            written.append(path)
        }
        return written
    }
}
