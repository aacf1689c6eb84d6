import Foundation

/// The per-process set-up of the first run, begun on a second core while the command is still
/// reading its arguments: the host probe, the leftover scan, the compiled seccomp filter, (on v1)
/// the disks to count and the run's network namespace (`NetnsPool`). `cleanroom exec` is one run
/// per process, so each of these was on its critical path, one after the other, after the flags
/// had been checked (docs/BENCHMARKS.md).
///
/// Nothing here decides anything: each step fills the same per-process cache the run reads
/// (`SandboxHost.current`, `SeccompPolicy.program`, `BlockDevice.writableKept`), under the
/// cache's own lock, so a run that gets there first simply waits for the answer or computes it
/// itself. A step that fails here (a profile that cannot be read) is left for the run to meet.
public enum SandboxPrewarm {
    /// `seccomp`: the mode the run will most likely use (nil: do not compile); `cwd`: its working
    /// directory when known; `network`: its network mode (`.none`: a namespace of its own).
    public static func begin(seccomp: SeccompMode?, cwd: String?, network: NetworkMode) {
        lock.lock(); begun += 1; lock.unlock()
        let netns = network == .none && NetnsPool.claim()
        Thread.detachNewThread {
            defer { done.signal() }
            let host = SandboxHost.current
            Sandbox.sweepOnce(host)
            if let seccomp { _ = try? SeccompPolicy.program(for: seccomp, notify: host.seccompNotify) }
            if let cwd, host.backend is CgroupV1Backend { _ = BlockDevice.writableKept(cwd: cwd) }
            // Last: the run needs the filter and the disks before its cgroups, the namespace only
            // at its clone.
            if netns { Sandbox.joinsMadeNetns(host) ? NetnsPool.make() : NetnsPool.release() }
        }
    }

    /// Waits for what `begin` started: a command that exits without running anything (its input
    /// refused) must not leave while the probe is making the `cleanroom` parents, which are
    /// removed at exit only once the probe has made them (SandboxHost).
    public static func wait() {
        lock.lock(); let n = begun; begun = 0; lock.unlock()
        for _ in 0..<n { done.wait() }
    }

    private static let lock = NSLock()
    private static let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) private static var begun = 0
}
