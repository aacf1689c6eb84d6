import Foundation

/// Knobs of the writers that are not part of the report itself.
public struct ReportOptions: Sendable, Equatable {
    /// Most points one chart series keeps (min/max per bucket, so peaks survive).
    public var maxChartPoints: Int
    /// Up to this many measured runs are overlaid in a chart; beyond it, median/fastest/slowest.
    public var maxOverlaidRuns: Int
    /// Per workload name, the trend charts report.html draws (`HistoryStore.reportTrends(for:)`);
    /// empty without a history, and then report.html has no trend section.
    public var trends: [String: [TrendSeries]]
    public init(maxChartPoints: Int = 1000, maxOverlaidRuns: Int = 10, trends: [String: [TrendSeries]] = [:]) {
        self.maxChartPoints = maxChartPoints; self.maxOverlaidRuns = maxOverlaidRuns; self.trends = trends
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
        // Formats are independent: render them on all cores (report.json dominates).
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var files: [[(name: String, data: Data)]]
            var error: Error?
            init(_ n: Int) { files = Array(repeating: [], count: n) }
        }
        let results = Results(formats.count)
        DispatchQueue.concurrentPerform(iterations: formats.count) { i in
            do {
                let out = try renderOne(r, formats[i], options: options)
                results.lock.lock(); results.files[i] = out; results.lock.unlock()
            } catch {
                results.lock.lock(); if results.error == nil { results.error = error }; results.lock.unlock()
            }
        }
        if let e = results.error { throw e }
        return results.files.flatMap { $0 }
    }

    static func renderOne(_ r: Report, _ f: ReportFormat, options: ReportOptions) throws -> [(name: String, data: Data)] {
        switch f {
        case .json: return [("report.json", try JSONReport.encode(r))]
        case .csv: return [("report.csv", Data(CSVReport.runs(r).utf8)), ("slos.csv", Data(CSVReport.slos(r).utf8))]
        case .html: return [("report.html", Data(HTMLReport.render(r, options: options).utf8))]
        case .junit: return [("junit.xml", Data(JUnitReport.render(r).utf8))]
        case .markdown: return [("summary.md", Data(MarkdownReport.render(r).utf8))]
        case .openmetrics: return [("metrics.prom", Data(OpenMetricsReport.render(r).utf8))]
        }
    }

    /// Writes the chosen formats into `dir` (created if missing). Returns the paths written, in
    /// format order. Throws `FileWriteError` (unwritable or non-directory output) or
    /// `ReportError`; on an error before the first write nothing in `dir` changed.
    @discardableResult
    public static func write(_ report: Report, to dir: String, formats: [ReportFormat] = ReportFormat.defaults,
                             options: ReportOptions = ReportOptions()) throws -> [String] {
        try write(try render(report, formats: formats, options: options), to: dir)
    }

    /// Writes already rendered files (from `render`) into `dir`, atomically, as `write` does.
    @discardableResult
    public static func write(_ files: [(name: String, data: Data)], to dir: String) throws -> [String] {
        try AtomicFile.ensureDirectory(dir)
        try AtomicFile.checkWritable(dir)
        var written: [String] = []
        for file in files {
            let path = dir.appendingPathComponentName(file.name)
            try AtomicFile.write(file.data, to: path)
            written.append(path)
        }
        return written
    }
}
