import ArgumentParser
import CleanroomKit
import Foundation

/// Reads a saved report for `check`, `compare`, `report` and `merge`, or says which file and why
/// on stderr and exits 2 (bad input is a usage error: nothing was judged).
func readReport(_ path: String, command: String, role: String = "report") throws -> Report {
    do {
        return try JSONReport.read(path: path)
    } catch {
        FileHandle.standardError.write(Data("cleanroom \(command): \(role) \(path): \(error)\n".utf8))
        throw ExitCode(ExitStatus.usage)
    }
}
