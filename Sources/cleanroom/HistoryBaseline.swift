import ArgumentParser
import CleanroomKit
import Foundation

/// `--baseline history` (wired to the history store when it lands).
func historyBaseline(command: String, branch: String?, workloads: [String]) throws -> Report? {
    fputs("cleanroom \(command): --baseline history is not available in this build\n", stderr)
    throw ExitCode(ExitStatus.usage)
}
