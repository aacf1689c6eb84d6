#if canImport(Glibc)
import Glibc
#endif

/// Whether a mount table changed since it was last looked at, without reading it: proc(5) makes
/// `/proc/PID/mountinfo` pollable — after a mount or unmount in that namespace, `poll` reports
/// `POLLPRI` (and `POLLERR`) on a descriptor opened before it, once per change seen.
///
/// Why: the v1 blkio rules need every writable disk (`BlockDevice.writableKept`), which was kept
/// only while a fresh read of mountinfo matched the last one. Producing that text is the kernel
/// walking and printing every mount: 0.1–0.2 ms on this VM, paid on every run's critical path
/// (`perf record` of `exec`, docs/BENCHMARKS.md) to learn, almost always, that nothing changed.
final class MountTableWatch: @unchecked Sendable {
    private let fd: Int32

    /// Opens `path` to watch (nil when it cannot be opened: the caller reads every time).
    /// Open it *before* reading the table it guards: a change in between is then reported.
    init?(path: String = "/proc/self/mountinfo") {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
    }

    deinit { close(fd) }

    /// True when the table changed since the watch was opened or since the last call that said
    /// so; a poll that fails says "changed" (the caller then reads the table, as without a watch).
    func changed() -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLPRI), revents: 0)
        let n = poll(&p, 1, 0)
        guard n >= 0 else { return true }
        return n > 0 && p.revents & Int16(POLLPRI | POLLERR | POLLNVAL) != 0
    }
}
