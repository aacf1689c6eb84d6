import ArgumentParser
import CleanroomKit
import Foundation

/// Reads a saved report for `check`, `compare`, `report` and `merge`, or says which file and why
/// on stderr and exits 2 (bad input is a usage error: nothing was judged). The report is checked
/// against the report's shape first (docs/report.schema.json): the message names the JSON path
/// and line:column of what is wrong.
func readReport(_ path: String, command: String, role: String = "report") throws -> Report {
    do {
        return try JSONReport.read(path: path)
    } catch {
        let text = ConsoleText.escape("\(error)", keepNewlines: true)
        try? StandardStreams.write("cleanroom \(command): \(role) \(text)\n", fd: 2)
        throw ExitCode(ExitStatus.usage)
    }
}

/// Makes `dir` ready for a command's reports and takes its lock (held until exit), or exits 2:
/// an output directory that cannot be used, or one another cleanroom is writing, is a usage
/// error found before anything is written.
func claimOutputDirectory(_ dir: String, command: String) throws {
    do {
        try AtomicFile.ensureDirectory(dir)
        try AtomicFile.checkWritable(dir)
        outputLock = try OutputLock.acquire(directory: dir, command: command)
    } catch {
        fputs("cleanroom \(command): cannot write reports to \(dir): \(ConsoleText.escape("\(error)"))\n", stderr)
        throw ExitCode(ExitStatus.usage)
    }
}

/// Writes rendered reports into a claimed directory; a file that cannot be written (disk full,
/// the directory removed meanwhile) is an environment error: exit 3, never a silent pass.
@discardableResult
func writeReports(_ files: [(name: String, data: Data)], to dir: String, command: String) throws -> [String] {
    do {
        return try ReportWriter.write(files, to: dir)
    } catch {
        fputs("cleanroom \(command): cannot write the reports: \(ConsoleText.escape("\(error)"))\n", stderr)
        throw ExitCode(ExitStatus.environment)
    }
}
