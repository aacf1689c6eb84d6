import Foundation

/// A run's stdout/stderr capture that could not be written (disk full, directory removed): the
/// run happened, but the report must not point to a file that is not there. The orchestrator
/// keeps the run (with `output` removed) and ends the verdict in `error` (exit 3).
public struct CaptureWriteError: Error, CustomStringConvertible, Sendable {
    public var record: RunRecord
    public var message: String
    public var description: String { message }
}

public enum CaptureCheck {
    static let files = ["stdout.txt", "stderr.txt"]

    /// Throws `CaptureWriteError` (with the record, `output` removed) when a capture file the
    /// record names is missing: the sandbox's writer leaves no file when its atomic write fails.
    public static func verify(_ record: inout RunRecord, directory: String, relative: String?) throws {
        guard record.output != nil else { return }
        let missing = files.filter { !FileManager.default.fileExists(atPath: directory + "/" + $0) }
        guard !missing.isEmpty else { return }
        var why = "could not be written"
        if let free = freeBytes(directory) { why += " (\(Units.format(Double(free), .bytes)) free on its file system)" }
        let shown = missing.map { (relative.map { $0 + "/" } ?? directory + "/") + $0 }
        record.output = nil
        throw CaptureWriteError(record: record, message: "captured output \(shown.joined(separator: ", ")) \(why); "
                                + "the run's output is lost (free space in the output directory, or choose another with -o)")
    }

    static func freeBytes(_ dir: String) -> UInt64? {
        var s = statvfs()
        guard statvfs(dir, &s) == 0 else { return nil }
        return UInt64(s.f_bavail) * UInt64(s.f_frsize)
    }
}
