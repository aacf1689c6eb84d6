import Foundation

/// The end of a `cleanroom run` — reports written, webhooks sent, report.json rewritten with the
/// alerts' status — done on a worker thread that a signal stops waiting for. SIGINT/SIGTERM are
/// honoured until cleanroom exits: the worker is told to write nothing more (a file being
/// written is finished first, so nothing is half-written), and the caller rewrites the report,
/// marked `interrupted`, atomically and exits 130 without waiting for a hanging webhook.
public final class ReportDelivery: @unchecked Sendable {
    /// What happened, for the caller's exit code.
    public enum Ending {
        /// Every file written (and alerts sent): the report as finally written.
        case finished(Report)
        /// A report file could not be written (exit 3); the report says so when it could be written.
        case writeFailed(Report, FileWriteError)
        /// A signal came first: the interrupted report was written (or `error` says why not).
        case interrupted(Report, error: FileWriteError?)
    }

    let directory: String
    let formats: [ReportFormat]
    let options: ReportOptions
    let interrupts: Interrupts
    private let gate = NSLock()
    private var stopped = false
    private let done = DispatchSemaphore(value: 0)

    public init(directory: String, formats: [ReportFormat], options: ReportOptions, interrupts: Interrupts = .shared) {
        self.directory = directory; self.formats = formats; self.options = options; self.interrupts = interrupts
    }

    /// Writes `report`, then runs `alerts` (which returns the alerts' results) and rewrites
    /// report.json with them. Returns when done, or as soon as a signal arrives.
    public func deliver(_ report: Report, alerts: (@Sendable (Report) -> [AlertResult])?) -> Ending {
        final class Box: @unchecked Sendable { var ending: Ending? }
        let box = Box()
        // Interrupted while running: this is the partial report, written in full (a second
        // signal is not told apart from the first).
        let interruptedBefore = interrupts.isInterrupted
        interrupts.install { [done] in done.signal() }
        let worker = Thread { [self] in
            box.ending = self.work(report, alerts: alerts)
            self.done.signal()
        }
        worker.start()
        while true {
            done.wait()
            if !interruptedBefore, interrupts.isInterrupted { break }
            if let ending = box.ending { return ending }
        }
        // A signal: stop the worker at the next file (the current one is finished, never torn),
        // and the webhook senders it started (none is left posting after cleanroom said `pending`).
        gate.lock(); stopped = true; gate.unlock()
        WebhookTransport.stopAll()
        var partial = report
        partial.verdict = .interrupted
        if alerts != nil, partial.alerts.isEmpty {
            partial.alerts = [AlertResult(target: "webhooks", format: "json", status: "pending", attempts: 0,
                                          error: "cleanroom was interrupted before the alerts were delivered")]
        }
        do {
            try ReportWriter.write(ReportWriter.render(partial, formats: formats, options: options), to: directory)
            return .interrupted(partial, error: nil)
        } catch let e as FileWriteError {
            return .interrupted(partial, error: e)
        } catch {
            return .interrupted(partial, error: FileWriteError(path: directory, message: "\(error)"))
        }
    }

    /// Each file under the gate: once stopped, the worker writes nothing more.
    private func write(_ files: [(name: String, data: Data)]) throws -> Bool {
        for f in files {
            gate.lock(); defer { gate.unlock() }
            if stopped { return false }
            try AtomicFile.write(f.data, to: directory.appendingPathComponentName(f.name))
        }
        return true
    }

    private func work(_ report: Report, alerts: (@Sendable (Report) -> [AlertResult])?) -> Ending {
        var report = report
        do {
            let files = try ReportWriter.render(report, formats: formats, options: options)
            guard try write(files) else { return .finished(report) }
        } catch let e as FileWriteError {
            return .writeFailed(recordFailure(report, e), e)
        } catch {
            let e = FileWriteError(path: directory, message: "\(error)")
            return .writeFailed(recordFailure(report, e), e)
        }
        guard let alerts else { return .finished(report) }
        report.alerts = alerts(report)
        if formats.contains(.json) {
            do {
                guard try write(ReportWriter.render(report, formats: [.json], options: options)) else { return .finished(report) }
            } catch let e as FileWriteError {
                return .writeFailed(report, e)
            } catch {
                return .writeFailed(report, FileWriteError(path: directory, message: "\(error)"))
            }
        }
        return .finished(report)
    }

    /// After a failed write, report.json (small, and written first) is rewritten with verdict
    /// `error` and the failure, when it can be: a report that points to a file that is not there
    /// must say so. Best effort: the console says it in any case.
    private func recordFailure(_ report: Report, _ e: FileWriteError) -> Report {
        var r = report
        r.verdict = .error
        r.outputErrors = (r.outputErrors ?? []) + ["\(e)"]
        if formats.contains(.json), let files = try? ReportWriter.render(r, formats: [.json], options: options) {
            _ = try? write(files)
        }
        return r
    }
}
