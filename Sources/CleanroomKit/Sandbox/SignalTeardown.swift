import Foundation
import CSpawn
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT / SIGTERM / SIGHUP → every live sandbox of the process is torn down (`Sandbox.tearDownAll`),
/// each run returns outcome `killed`, and the caller exits 130 once its runs have returned.
///
/// A real handler (not SIG_IGN + a dispatch source: a shell starts background jobs with SIGINT
/// ignored, and an ignored signal is never delivered) that only writes the signal number to a pipe;
/// a thread reading the pipe does the work outside signal context.
public enum SignalTeardown {
    nonisolated(unsafe) private static var installed = false
    nonisolated(unsafe) private static var signalled: Int32 = 0
    private static let lock = NSLock()

    /// The first signal received, 0 when none.
    public static var caught: Int32 { lock.lock(); defer { lock.unlock() }; return signalled }

    /// Installs the handlers once; `then` runs (on the watcher thread) after the teardown.
    public static func install(then: (@Sendable (Int32) -> Void)? = nil) {
        lock.lock(); defer { lock.unlock() }
        guard !installed else { return }
        installed = true
        var p: [Int32] = [-1, -1]
        guard cspawn_pipe_cloexec(&p) == 0 else { return }
        let readFD = p[0]
        _ = cspawn_install_signal_pipe(p[1])
        Thread.detachNewThread {
            var b: UInt8 = 0
            while true {
                let n = Glibc.read(readFD, &b, 1)
                if n < 0 && errno == EINTR { continue }
                guard n == 1 else { return }
                lock.lock(); if signalled == 0 { signalled = Int32(b) }; lock.unlock()
                Sandbox.tearDownAll()
                then?(Int32(b))
            }
        }
    }
}
