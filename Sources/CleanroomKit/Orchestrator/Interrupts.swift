import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT/SIGTERM handling for `run`: the first signal tears every sandbox down (through the
/// callback) and lets the orchestrator finish with a partial, `interrupted` report; the handler is
/// a dispatch source, so the callback runs on a normal thread, not in signal context.
public final class Interrupts: @unchecked Sendable {
    public static let shared = Interrupts()

    private let lock = NSLock()
    private var flag = false
    private var sources: [DispatchSourceSignal] = []
    private var callbacks: [() -> Void] = []
    public private(set) var signalNumber: Int32 = 0

    public var isInterrupted: Bool {
        lock.lock(); defer { lock.unlock() }
        return flag
    }

    /// Installs the handlers once; `onInterrupt` runs on the first SIGINT or SIGTERM.
    public func install(onInterrupt: @escaping () -> Void) {
        lock.lock()
        callbacks.append(onInterrupt)
        let first = sources.isEmpty
        lock.unlock()
        guard first else { return }
        let queue = DispatchQueue(label: "cleanroom.interrupts")
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let src = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            src.setEventHandler { [weak self] in self?.fire(sig) }
            src.resume()
            sources.append(src)
        }
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
    }

    /// For tests: forget an earlier interrupt.
    public func reset() {
        lock.lock(); flag = false; signalNumber = 0; callbacks.removeAll(); lock.unlock()
    }
}
