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
        // The namespace on a thread of its own from the start: behind the probe, the filter and the
        // disks it was the last of a chain ~2 ms long that the run's clone waited for, while this
        // thread, having read its flags, sat idle (`CLEANROOM_TRACE_SPAWN`, docs/BENCHMARKS.md).
        // Whether a run joins a made namespace is `Sandbox.joinsMadeNetns`, which is root alone.
        let netns = network == .none && Sandbox.joinsMadeNetns(isRoot: geteuid() == 0) && NetnsPool.claim()
        lock.lock(); begun += netns ? 2 : 1; lock.unlock()
        // The disks to count (v1) go to the namespace's thread when there is one: it is done long
        // before the probe. The run's cgroups need the probe and the disks; its clone needs the
        // filter too, which the run waits for only after making its cgroups (RunLaunch), so the
        // mkdirs overlap the filter's compile instead of queueing behind the longer chain (probe,
        // leftovers, filter).
        if netns {
            Thread.detachNewThread {
                defer { done.signal() }
                NetnsPool.make()
                SpawnTrace.mark("prewarm: network namespace made")
                listDisks(cwd: cwd)
                // The leftover scan here too: the run does not wait for it (whoever comes first
                // scans, `Sandbox.sweepOnce`), and behind the probe it delayed the filter.
                scanLeftovers()
            }
        }
        Thread.detachNewThread {
            defer { done.signal() }
            let host = SandboxHost.current
            if !netns { scanLeftovers() }
            if let seccomp { _ = try? SeccompPolicy.program(for: seccomp, notify: host.seccompNotify) }
            SpawnTrace.mark("prewarm: filter compiled")
            if !netns { listDisks(cwd: cwd) }
            lock.lock()
            var request: SandboxRequest?
            if let r = groupsFor, GroupPool.claim() { request = r }
            groupsFor = nil
            lock.unlock()
            if let request { makeGroups(request, backend: host.backend) }
        }
    }

    /// The run's cgroups, made on the probe's thread once its filter is compiled, for the request
    /// the command has built by then (`exec`, right after reading its flags), when the run has not
    /// begun making them itself. A run still busy with its scratch directory and output set-up
    /// would otherwise make them later on its own critical path (0.3–0.4 ms of mkdirs and limit
    /// writes on a hybrid host) while this thread sat done; a run that gets there first makes its
    /// own beside the filter's compile, as before (`stopGroupsAhead`). The run takes them through
    /// `GroupPool` as a `run` command's next run does (only if its request asks for the same;
    /// otherwise they are removed); a set nobody takes goes at exit (`GroupPool.drain`, in
    /// `Sandbox.removeParentsNow`). Before `begin` the request waits for its thread; once that
    /// thread has passed the step, or a run has begun making its own, nothing is made for it.
    public static func makeGroupsAhead(for request: SandboxRequest) {
        lock.lock(); defer { lock.unlock() }
        groupsFor = request
    }

    /// A run about to make its groups: if the probe's thread has not begun making them, it no
    /// longer will; if it has (the pool's claim is held), the run waits for them in `GroupPool.take`.
    static func stopGroupsAhead() {
        lock.lock(); defer { lock.unlock() }
        groupsFor = nil
    }

    private static func makeGroups(_ request: SandboxRequest, backend: CgroupBackend) {
        guard let key = GroupPool.key(for: request, backend: backend) else { GroupPool.release(); return }
        GroupPool.make(key, for: request, backend: backend)
        SpawnTrace.mark("prewarm: cgroups made")
    }

    private static func scanLeftovers() {
        Sandbox.sweepOnce(SandboxHost.current)
        SpawnTrace.mark("prewarm: leftovers checked")
    }

    /// v1 blkio's rules need every writable disk (`RunLaunch.makeGroups`); kept per process.
    private static func listDisks(cwd: String?) {
        guard let cwd, SandboxHost.current.backend is CgroupV1Backend else { return }
        _ = BlockDevice.writableKept(cwd: cwd)
        SpawnTrace.mark("prewarm: disks listed")
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

    /// The request the probe's thread makes groups for when it gets there (under `lock`); the
    /// thread takes it, and a run that begins making its own groups clears it.
    nonisolated(unsafe) private static var groupsFor: SandboxRequest?
}
