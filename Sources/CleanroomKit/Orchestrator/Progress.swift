import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Progress of a `run`, written to stderr: a live line per workload on a terminal, plain lines
/// when stderr is not a TTY or `CI` is set (CI logs keep every line, and carriage returns make
/// them unreadable).
public final class Progress: @unchecked Sendable {
    public enum Style: Sendable { case live, plain, quiet }

    public let style: Style
    private let lock = NSLock()
    private var started: [String: Date] = [:]
    private var liveLineShown = false

    public init(style: Style) { self.style = style }

    /// live on a TTY without `CI`, plain otherwise.
    public static func automatic() -> Progress {
        let ci = ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty && $0 != "false" && $0 != "0" } ?? false
        return Progress(style: isatty(STDERR_FILENO) == 1 && !ci ? .live : .plain)
    }

    public func workloadStarted(_ name: String, planned: Int) {
        lock.lock(); started[name] = Date(); lock.unlock()
        line("▶ \(name): \(planned) run\(planned == 1 ? "" : "s")", transient: false)
    }

    public func runFinished(_ name: String, job: RunJob, record: RunRecord, done: Int, planned: Int) {
        let what: String
        switch job.kind {
        case .warmup: what = "warmup \(job.index)"
        case .measured: what = "run \(done)/\(planned)"
        default: what = job.kind.rawValue
        }
        var text = "  \(name): \(what) \(record.outcome.rawValue)"
        if let w = record.metrics[Metric.wallTime.rawValue] { text += " · \(Units.format(w, .duration))" }
        if let m = record.metrics[Metric.memoryPeak.rawValue] { text += " · \(Units.format(m, .bytes))" }
        if let d = record.detail, record.outcome != .ok { text += " · \(d)" }
        if job.kind == .measured, done < planned {
            lock.lock(); let t0 = started[name]; lock.unlock()
            if let t0, done > 0 {
                let eta = Date().timeIntervalSince(t0) / Double(done) * Double(planned - done)
                text += " · ETA \(Units.format(eta, .duration))"
            }
        }
        line(text, transient: style == .live && record.outcome == .ok && job.kind != .setup)
    }

    public func runsAdded(_ name: String, total: Int, reason: String) {
        line("  \(name): adding a run (now \(total)): \(reason)", transient: false)
    }

    public func message(_ text: String) { line(text, transient: false) }

    private func line(_ text: String, transient: Bool) {
        guard style != .quiet else { return }
        lock.lock(); defer { lock.unlock() }
        var out = ""
        if style == .live, liveLineShown { out += "\r\u{1B}[2K" }
        out += text
        if transient { liveLineShown = true } else { out += "\n"; liveLineShown = false }
        StandardError.write(out)
    }
}
