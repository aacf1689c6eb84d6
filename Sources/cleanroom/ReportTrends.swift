import CleanroomKit
import Foundation

/// report.html's trend charts for `run` and `report` (SPEC: "`report.html` draws it when a
/// history is given").
enum ReportTrends {
    /// The writers' options with the trend of every workload of `report` read from `history`.
    /// Call it before `history.record(report)`, so this run is not counted twice. Without a
    /// history or an HTML format: the default options. A history that cannot be read costs the
    /// charts only (a warning on stderr), never the report or the verdict.
    static func options(history: HistoryStore?, report: Report, formats: [ReportFormat], command: String) -> ReportOptions {
        guard let history, formats.contains(.html) else { return ReportOptions() }
        do {
            return ReportOptions(trends: try history.reportTrends(for: report))
        } catch {
            fputs("cleanroom \(command): warning: no trend in report.html: \(error)\n", stderr)
            return ReportOptions()
        }
    }
}
