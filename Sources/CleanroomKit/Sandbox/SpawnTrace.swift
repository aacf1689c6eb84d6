import Foundation
import CSpawn
#if canImport(Glibc)
import Glibc
#endif

/// Diagnostics for the sandbox's own start-up cost: with `CLEANROOM_TRACE_SPAWN=1` in the
/// environment, every step of a run (parent side here, child side as `CSPAWN_MSG_MARK` records on
/// the exec pipe) is stamped with CLOCK_MONOTONIC and printed to stderr when the run ends, as
/// milliseconds since the first mark of the process (main's entry, for every command but
/// `--version`) and since the previous mark. Off by default: then `mark` is one load of a constant.
public enum SpawnTrace {
    static let enabled: Bool = {
        guard let v = getenv("CLEANROOM_TRACE_SPAWN") else { return false }
        return String(cString: v) != "0"
    }()
    private static let lock = NSLock()
    nonisolated(unsafe) private static var marks: [(String, Int64)] = []
    nonisolated(unsafe) private static var origin: Int64 = 0

    /// Records that `step` was reached now (or at `ns`, for a child's record).
    public static func mark(_ step: @autoclosure () -> String, at ns: Int64? = nil) {
        guard enabled else { return }
        let t = ns ?? cspawn_now_ns()
        lock.lock()
        if origin == 0 { origin = t }
        marks.append((step(), t))
        lock.unlock()
    }

    /// A child's `CSPAWN_MSG_MARK` record.
    static func mark(_ m: cspawn_msg) {
        guard enabled else { return }
        let step = withUnsafeBytes(of: m.step) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        mark(step, at: m.ns)
    }

    /// Prints the marks so far (sorted by time: child records arrive late) and forgets them.
    public static func flush(_ title: String) {
        guard enabled else { return }
        lock.lock()
        let list = marks.sorted { $0.1 < $1.1 }
        marks = []
        let o = origin
        lock.unlock()
        var text = "cleanroom trace: \(title)\n"
        var prev = list.first?.1 ?? o
        for (step, t) in list {
            text += CFormat.text("  %8.3f ms  %+8.3f  ", Double(t - o) / 1e6, Double(t - prev) / 1e6) + step + "\n"
            prev = t
        }
        StandardError.write(text)
    }
}
