import Foundation
import CSpawn
#if canImport(Glibc)
import Glibc
#endif

/// Runs one command in a fresh cgroup, fresh namespaces and a seccomp filter, and removes every
/// trace. The stages of one run, each in its own file:
/// `RunLaunch` (request → cgroups, pipes, clone), `ServiceStartup` (services at the gate),
/// `RunSupervisor` (one poll loop until the run's root exits), `ServiceShutdown`,
/// `RunCompletion` (figures through `FigureAssembler`, the outcome by `RunOutcome.decide`).
///
/// `run` throws only when the sandbox could not be set up (exit 3); everything the workload does
/// — including not existing — is an outcome in the returned record.
public final class Sandbox {
    // MARK: public API

    /// Runs `request` once. `index`/`warmup` are copied into the record. `observer` (the Sampler)
    /// is told when the workload started and asked for its figures once everything has exited.
    public static func run(_ request: SandboxRequest, index: Int = 1, warmup: Bool = false,
                           observer: RunObserver? = nil, host: SandboxHost = .current) throws -> RunRecord {
        SpawnTrace.mark("Sandbox.run called (host probed)")
        sweepOnce(host)
        SpawnTrace.mark("leftovers scanned (any sweep runs in the background)")
        defer { SpawnTrace.flush("run \(index)") }
        let sandbox = Sandbox(request: request, host: host, observer: observer)
        return try sandbox.execute(index: index, warmup: warmup)
    }

    /// What `request` asks for that this host cannot enforce (for `host.degraded`; with `strict`
    /// a non-empty list makes `run` throw `SandboxError.notEnforced`).
    public static func degradations(for request: SandboxRequest, host: SandboxHost = .current) -> [String] {
        var out = host.degradations(for: request)
        if request.limits.diskReadRate != nil || request.limits.diskWriteRate != nil, host.backend.mode != .none {
            let (dev, why) = BlockDevice.holding(request.cwd)
            if dev == nil, let why { out.append("disk rate limits not enforced: \(why)") }
        }
        return unique(out)
    }

    /// Kills every live run of this process now (the CLI's SIGINT/SIGTERM handler calls this).
    /// Each run's own thread then sees its init exit, cleans up and returns outcome `killed`.
    public static func tearDownAll() {
        registryLock.lock()
        // Runs still setting up (not registered yet) see the new generation when they register.
        generation += 1
        let runs = live
        registryLock.unlock()
        for r in runs { r.interrupt() }
        GroupPool.drain()
    }

    /// Number of runs in progress in this process.
    public static var liveCount: Int { registryLock.lock(); defer { registryLock.unlock() }; return live.count }

    /// Removes cgroups left by cleanroom processes that died (their owner PID is in the name).
    @discardableResult
    public static func sweepLeftovers(host: SandboxHost = .current) -> [String] {
        sweepLock.lock(); defer { sweepLock.unlock() }
        return host.backend.sweepLeftovers()
    }

    // MARK: registry

    static let registryLock = NSLock()
    // An array, not a dictionary by ObjectIdentifier: a few entries at most, and a Dictionary's
    // first use looks its key's Hashable conformance up at run time (a scan of the binary's table).
    nonisolated(unsafe) static var live: [Sandbox] = []
    nonisolated(unsafe) static var swept = false
    nonisolated(unsafe) static var generation = 0

    static let sweepLock = NSLock()
    /// The background sweep (`sweepOnce`) while it runs.
    static let sweeping = DispatchGroup()

    /// The `cleanroom` parents of every cgroup backend this process probed (SandboxHost makes them
    /// and registers them here), removed (when empty) as it exits.
    nonisolated(unsafe) static var parentsAtExit: [String] = []

    /// The process leaves no `cleanroom` parent behind, but keeps them between its own runs:
    /// removing them after each run and making them again before the next cost a `run --repeat`
    /// two cgroup mkdirs and rmdirs per hierarchy per run (7 of each on a hybrid host, ~6 % of the
    /// per-run CPU; docs/BENCHMARKS.md). libc's `exit` runs the removal (every exit path of the
    /// commands, a signal's teardown included; a forked init never calls it); rmdir of a parent
    /// that still holds a group fails with EBUSY, so another process's runs are never touched.
    static func removeParentsAtExit(_ backend: CgroupBackend) {
        let parents = backend.parents
        registryLock.lock(); defer { registryLock.unlock() }
        let first = parentsAtExit.isEmpty
        for p in parents where !parentsAtExit.contains(p) { parentsAtExit.append(p) }
        if first && !parentsAtExit.isEmpty { atexit { Sandbox.removeParentsNow() } }
    }

    /// Removes this process's empty `cleanroom` parents now (at exit; tests call it directly).
    static func removeParentsNow() {
        // A sweep begun by this process finishes first (bounded): a short command such as `exec`
        // could otherwise exit while its background sweep had removed only part of a dead
        // cleanroom's groups.
        _ = sweeping.wait(timeout: .now() + 5)
        GroupPool.drain()
        registryLock.lock(); let parents = parentsAtExit; registryLock.unlock()
        for p in parents { _ = rmdir(p) }
    }

    /// The first run of a process sweeps the leftovers of dead cleanroom processes. The scan for
    /// them is cheap (readdir of the `cleanroom/` parents); killing and removing them is not, and
    /// runs on a thread of its own: it only ever touches groups whose owner is dead (never this
    /// process's), so the run need not wait for it.
    static func sweepOnce(_ host: SandboxHost) {
        registryLock.lock()
        let first = !swept
        swept = true
        registryLock.unlock()
        // Parents this process's probe made itself cannot hold what a dead process left (exec: the
        // last process removed them as it exited), so their readdirs are skipped.
        guard first, host.parentsMayHoldLeftovers else { return }
        nonisolated(unsafe) let backend = host.backend   // the sweep only touches dead owners' groups
        guard backend.hasLeftovers() else { return }
        sweeping.enter()
        Thread.detachNewThread {
            defer { sweeping.leave() }
            sweepLock.lock(); defer { sweepLock.unlock() }
            _ = backend.sweepLeftovers()
        }
    }

    // MARK: one run

    let request: SandboxRequest
    let host: SandboxHost
    let backend: CgroupBackend
    weak var observer: RunObserver?
    let stateLock = NSLock()
    var group: CgroupGroup?
    var rootPID: pid_t = -1
    var interrupted = false
    /// The run's output directory, open while `execute` runs: its files are created from it.
    var outputFD: Int32 = -1

    /// The teardown generation when this run was asked for.
    let bornIn: Int

    init(request: SandboxRequest, host: SandboxHost, observer: RunObserver?) {
        Sandbox.registryLock.lock(); bornIn = Sandbox.generation; Sandbox.registryLock.unlock()
        self.request = request
        self.host = host
        self.backend = host.backend
        self.observer = observer
    }

    func interrupt() {
        stateLock.lock()
        interrupted = true
        let pid = rootPID, g = group
        stateLock.unlock()
        if pid > 0 { kill(pid, SIGKILL) }
        if let g { backend.killAll(g) }
    }

    static func unique(_ list: [String]) -> [String] {
        var seen = Set<String>()
        return list.filter { seen.insert($0).inserted }
    }

    /// Finds `name` in PATH as execvp would; nil when nothing executable is there.
    static func resolve(_ name: String, path: String, cwd: String) -> String? {
        if name.contains("/") { return name }
        for dir in path.split(separator: ":", omittingEmptySubsequences: false) {
            let d = dir.isEmpty ? cwd : (dir.hasPrefix("/") ? String(dir) : cwd + "/" + dir)
            let candidate = d + "/" + name
            if SysFS.isExecutableFile(candidate) { return candidate }
        }
        return nil
    }

    /// Writes stdout.txt and stderr.txt and sets `record.output`'s `truncated` (either cut to the
    /// limit). A file that cannot be written (a full disk) is removed rather than left
    /// half-written: the run itself happened and keeps its record, and the Orchestrator's
    /// `CaptureCheck` turns the missing file into an error that names it (exit 3) — never a
    /// silently short output. With `captureInMemory` the tails go into `record.capture` instead:
    /// `exec` printed them back from two files it made only to read and remove them.
    func writeOutputs(_ o: TailBuffer, _ e: TailBuffer, into record: inout RunRecord) throws {
        if request.captureInMemory {
            record.capture = CapturedOutput(stdout: o.bytes, stderr: e.bytes, truncated: o.truncated || e.truncated)
            return
        }
        for (name, buf) in [("stdout.txt", o), ("stderr.txt", e)] {
            // Called only inside `execute`, which holds the run's directory open.
            do { try SysFS.writeFile(in: outputFD, name, buf.bytes, path: request.outputDirectory + "/" + name) } catch {
                unlinkat(outputFD, name, 0)
            }
        }
        record.output?.truncated = o.truncated || e.truncated
    }

    var isInterrupted: Bool { stateLock.lock(); defer { stateLock.unlock() }; return interrupted }
}
