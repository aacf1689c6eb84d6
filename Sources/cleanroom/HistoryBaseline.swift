import ArgumentParser
import CleanroomKit
import Foundation

extension JudgingOptions {
    /// Opens the history database named by --history or $CLEANROOM_HISTORY; nil when neither is set.
    func openHistory(command: String) throws -> HistoryStore? {
        guard let path = historyPath else { return nil }
        do { return try HistoryStore(path: path) } catch {
            fputs("cleanroom \(command): history \(path): \(error)\n", stderr)
            throw ExitCode(ExitStatus.usage)
        }
    }

    /// `--baseline history`: the last 10 recorded reports of this branch (or of all, without a
    /// branch label), per workload and metric. nil when the history holds nothing that matches.
    func historyBaseline(command: String, branch: String?, workloads: [String]) throws -> Report? {
        guard let store = try openHistory(command: command) else {
            fputs("cleanroom \(command): --baseline history needs --history FILE (or $CLEANROOM_HISTORY)\n", stderr)
            throw ExitCode(ExitStatus.usage)
        }
        do { return try store.baseline(branch: branch, workloads: workloads) } catch {
            fputs("cleanroom \(command): history: \(error)\n", stderr)
            throw ExitCode(ExitStatus.usage)
        }
    }
}
