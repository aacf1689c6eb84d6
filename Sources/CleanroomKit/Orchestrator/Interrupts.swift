import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT/SIGTERM handling for `run`: the first signal tears every sandbox down and lets the
/// orchestrator finish with a partial, `interrupted` report (exit 130). Callbacks run on a normal
/// thread, never in signal context.
public final class Interrupts: @unchecked Sendable {
    public static let shared = Interrupts()

    private let lock = NSLock()
    private var flag = false
    private var callbacks: [() -> Void] = []
    public private(set) var signalNumber: Int32 = 0

    private var watchingSignals = false
    /// Set once `fire` has run every callback (each tears the sandboxes down once more).
    private let settled = NSCondition()
    private var isSettled = false

    /// True from the moment a signal is caught. The signal watcher records the signal *before* it
    /// tears the sandboxes down and only then runs the callbacks, so a run killed by the teardown
    /// must see the signal here already — else its workload would go on to start the next run.
    public var isInterrupted: Bool {
        lock.lock(); defer { lock.unlock() }
        return flag || (watchingSignals && SignalTeardown.caught != 0)
    }

    /// Installs the handlers once; `onInterrupt` runs on the first SIGINT, SIGTERM or SIGHUP, after
    /// every live sandbox has been torn down (`SignalTeardown`, a real handler writing to a pipe).
    public func install(onInterrupt: @escaping () -> Void) {
        lock.lock()
        callbacks.append(onInterrupt)
        watchingSignals = true
        lock.unlock()
        SignalTeardown.install(then: { sig in Interrupts.shared.fire(sig) })
    }

    /// Marks the run interrupted and runs the callbacks (also used by tests and by timeouts of the
    /// whole invocation).
    public func fire(_ sig: Int32) {
        lock.lock()
        let already = flag
        flag = true
        if !already { signalNumber = sig }
        let cbs = callbacks
        lock.unlock()
        guard !already else { return }
        for cb in cbs { cb() }
        settled.lock(); isSettled = true; settled.broadcast(); settled.unlock()
    }

    /// Waits, up to `timeout` seconds, until the interrupt's callbacks have all run. A sandbox
    /// started after that (a teardown) is not killed by them half-way.
    public func waitUntilSettled(timeout: Double) {
        let deadline = Date(timeIntervalSinceNow: timeout)
        settled.lock(); defer { settled.unlock() }
        while !isSettled, settled.wait(until: deadline) {}
    }

    /// For tests: forget an earlier interrupt.
    public func reset() {
        lock.lock(); flag = false; signalNumber = 0; callbacks.removeAll(); watchingSignals = false; lock.unlock()
        settled.lock(); isSettled = false; settled.unlock()
    }
}
