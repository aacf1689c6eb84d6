import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What the sampler measured over one run.
public struct SamplerResult {
    /// The time series: t since exec, CPU % per interval, memory bytes of the whole run.
    /// `cpuPercent` / `memory` are empty when no source could be sampled (never padded with 0).
    public var samples: Samples
    /// Every figure measured, by where it was measured: cgroup counters (end − start), the run's
    /// netns, /proc over the tree, the samples. `FigureAssembler` picks one per metric.
    public var figures: [FigureSource: Figures]
    /// CPU seconds the sampler thread itself used (cleanroom's own measuring cost).
    public var samplerCPUTime: Double
    /// Samples taken.
    public var sampleCount: Int { samples.t.count }
    /// Walks of the processes' smaps_rollup/status (rss_peak, max_rss) and their CPU cost, s:
    /// part of `samplerCPUTime`, paced by `ProcessMemory.cpuBudget`.
    public var memoryWalks: Int = 0
    public var memoryWalkCPUTime: Double = 0
}

/// Samples a running workload from a dedicated thread at a fixed interval (default 50 ms):
/// kept fds read with pread, preallocated buffers, no per-sample allocation on the cgroup path.
///
/// The sandbox drives it through `RunObserver` (Orchestrator/SamplerObserver.swift): created with
/// its thread armed while the init sets up (before the clone without an init), started when the
/// workload execs, stopped once every process of the run has exited and before the run's cgroup
/// is removed; the sandbox adds its clocks and rusage in `FigureAssembler`.
public final class Sampler: @unchecked Sendable {   // its thread hands results over through semaphores
    public let paths: CgroupPaths
    public let interval: Double
    public let network: NetworkMode
    public let snapshot: Snapshot

    /// Whether the sampler thread asks for a higher priority and a tight timer slack
    /// (`SamplerThreadTuning`); off only to measure what they buy (bench, tests).
    var tuneThread = true
    /// Called on the sampler thread after each sample with the number taken (tests stall it here).
    var onSample: ((Int) -> Void)?
    /// Called on the sampler thread after each walk of the processes' memory with the number of
    /// walks so far and the CLOCK_MONOTONIC ns of the tick it began at (tests wait for one that
    /// began after an event instead of sleeping: walks are paced by their cost and gated).
    var onMemoryWalk: ((_ walks: Int, _ beganNS: UInt64) -> Void)?

    private let stopSignal = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    /// An armed thread waits on it for `start` (or `cancel`).
    private let go = DispatchSemaphore(value: 0)
    private var thread: Thread?
    // Caller's side only: the thread was made by `arm`, and `start` has let it go.
    private var armed = false, started = false
    // Written before `go` is signalled, read after.
    private var cancelled = false
    private var rootPID: pid_t = 0
    private var rootIsInit = false
    private var netnsFD: Int32 = -1
    private var origin: UInt64 = 0
    // Written by the sampler thread before `finished` is signalled, read after.
    private var threadOutput: (samples: Samples, figures: [FigureSource: Figures], cpu: Double, memoryWalks: ProcessMemory.Peaks)?
    /// Host CPU pressure and steal at the start (the contention signal).
    private let hostAtStart: HostContention
    /// The files of the final read, opened by `arm` (the caller's side only).
    private var endFiles: [String: KeptFile] = [:]

    /// Takes the start snapshot of the run's cgroup: call after creating it, before spawning —
    /// or, with `freshGroup` (the group was made for this run: every cumulative counter started
    /// at 0, `Snapshot.fresh`, nothing is read), any time before the exec.
    /// `interval` in seconds (the `sampling` setting); `network` as the run's sandbox has it.
    public init(paths: CgroupPaths, interval: Double = 0.05, network: NetworkMode = .none, freshGroup: Bool = false) {
        self.paths = paths
        self.interval = max(interval, 0.001)
        self.network = network
        self.snapshot = freshGroup ? Snapshot.fresh(paths: paths) : Snapshot.take(paths: paths)
        self.hostAtStart = HostContention.read()
    }

    /// Starts sampling `rootPID` (the workload, or the sandbox's init holding the run's namespaces).
    /// `origin`: CLOCK_MONOTONIC ns of the workload's exec (sample times count from it); now if nil.
    /// `rootIsInit`: the root is the sandbox's init (a copy of cleanroom), whose memory is not the run's.
    /// `netnsFD`: the run's network namespace, open (`RunStart.netnsFD`); -1: found from rootPID.
    public func start(rootPID: pid_t, origin: UInt64? = nil, rootIsInit: Bool = false, netnsFD: Int32 = -1) {
        precondition(!started && (armed || thread == nil), "Sampler.start called twice")
        self.rootIsInit = rootIsInit
        self.netnsFD = netnsFD
        self.rootPID = rootPID
        self.origin = origin ?? UInt64(Monotonic.nowNS)
        started = true
        if armed { go.signal(); return }
        spawnThread()
    }

    /// Makes the sampler thread ahead of the run (the sandbox calls it while the init sets up): it
    /// names and tunes itself and opens the group's counter files, then waits for `start`. At the
    /// workload's exec there is then only a semaphore to post, instead of a thread to make (and a
    /// second core's worth of set-up) while the workload starts: 0.18–0.2 ms from the exec stamp to
    /// the first reads before (docs/BENCHMARKS.md). `cancel` (or `stop`) lets an armed thread go
    /// that was never started.
    public func arm() {
        precondition(thread == nil && !started, "Sampler.arm after the thread was made")
        armed = true
        spawnThread()
        endFiles = FinalFigures.keep(snapshot)
    }

    /// Ends an armed thread that was never started (the run failed before its exec); nothing
    /// otherwise.
    public func cancel() {
        guard armed, !started, thread != nil else { return }
        cancelled = true
        go.signal()
        finished.wait()
        thread = nil
    }

    private func spawnThread() {
        let t = Thread { [self] in self.run() }
        t.name = "cr-sampler"
        thread = t
        t.start()
    }

    /// Stops sampling and reads the final figures. Call after the workload exited and before its
    /// cgroup is killed or removed.
    public func stop() -> SamplerResult {
        var samples = Samples()
        var figures: [FigureSource: Figures] = [:]
        var selfCPU = 0.0
        var walks = ProcessMemory.Peaks()
        cancel()
        let hostAtEnd = HostContention.read()
        // The group's final counters are read here while the sampler thread wakes and takes its
        // own last reads (other files): the two waits overlap instead of adding up.
        if thread != nil { stopSignal.signal() }
        let cgroupAtEnd = FinalFigures.read(start: snapshot, kept: endFiles)
        endFiles = [:]
        if thread != nil {
            finished.wait()
            if let out = threadOutput { samples = out.samples; figures = out.figures; selfCPU = out.cpu; walks = out.memoryWalks }
            thread = nil
        }
        figures[.cgroup] = cgroupAtEnd
        figures[.host] = HostContention.figures(from: hostAtStart, to: hostAtEnd)
        if network == .host {
            figures[.netns, default: Figures()].missing(.netRxBytes, NetCounter.hostReason)
            figures[.netns, default: Figures()].missing(.netTxBytes, NetCounter.hostReason)
        }
        return SamplerResult(samples: samples, figures: figures, samplerCPUTime: selfCPU,
                             memoryWalks: walks.walks, memoryWalkCPUTime: walks.cost)
    }

    // MARK: - the sampler thread

    /// The kernel's name of the calling thread (/proc/…/task/TID/comm, at most 15 bytes), which
    /// Foundation's Thread.name does not set on Linux (and Glibc does not export
    /// pthread_setname_np to Swift). bench/goals finds the sampler's CPU time by it.
    private static func nameThisThread(_ name: String) {
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }   // no /proc: the thread keeps its process's name
        _ = Array(name.utf8.prefix(15)).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    private func run() {
        Self.nameThisThread("cr-sampler")
        let notTuned = tuneThread ? SamplerThreadTuning.applyToCurrentThread() : ["priority and timer slack (turned off)"]
        let startCPU = Self.threadCPU()
        let counters = snapshot.counters
        let cpuSpec = counters[.cpuTime].spec
        let memSpec = counters[.memoryNow].spec
        let pidsSpec = counters[.pidsNow].spec
        let anonSpec = counters[.anonNow].spec
        let cpuFile = cpuSpec.flatMap { KeptFile($0.path) }
        let memFile = memSpec.flatMap { KeptFile($0.path) }
        let pidsFile = pidsSpec.flatMap { KeptFile($0.path) }
        let faultsSpec = counters[.faultsNow].spec
        // anon and the fault count are lines of the same memory.stat: one read a tick.
        let statPath = anonSpec?.path ?? faultsSpec?.path
        let statFile = statPath.flatMap { KeptFile($0, capacity: 8192) }
        let faultsParse = faultsSpec.flatMap { $0.path == statPath ? $0.parse : nil }
        if armed {
            go.wait()
            if cancelled { finished.signal(); return }
        }
        let wantIO = counters[.diskRead].spec == nil
        let wantHWM = counters[.memoryPeak].spec == nil
        let needTree = cpuFile == nil || memFile == nil || wantIO || wantHWM
            || (pidsFile == nil && counters[.pidsPeak].spec == nil)
        let listing: ProcTree.Listing = counters.procsFile.map { .cgroupProcs($0, root: rootPID) } ?? .descendants(of: rootPID)
        let tree: ProcTree? = needTree ? ProcTree(listing: listing, wantIO: wantIO, wantHWM: wantHWM) : nil
        tree?.memoryExcluded = rootIsInit ? rootPID : nil
        let processMemory = ProcessMemory(listing: listing, rootIsInit: rootIsInit)
        let net: NetCounter? = network == .none ? NetCounter(pid: rootPID, netnsFD: netnsFD) : nil
        let hz = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        let cpuScale = cpuSpec?.scale ?? 1

        var ts: [Double] = [], cpuPct: [Double] = [], memT: [Double] = [], mem: [Double] = []
        // Room for 12.8 s at the default interval; longer runs grow the arrays by doubling (a
        // handful of reallocations in an hour). The series outlive the run in its record and are
        // copied to their size at the end (below).
        let expected = 256
        ts.reserveCapacity(expected); cpuPct.reserveCapacity(expected); mem.reserveCapacity(expected)
        memT.reserveCapacity(expected)
        var maxPids: Int64 = -1
        var maxAnon: Int64 = -1
        var totals = ProcTree.Totals()

        let cpuParse = cpuSpec?.parse ?? KernelText.single
        let anonParse = anonSpec?.parse ?? KernelText.single
        func cpuNow(_ t: ProcTree.Totals?) -> Double? {
            if let f = cpuFile { return f.read(cpuParse).map { Double($0) * cpuScale } }
            if let t = t, t.count > 0 || t.cpuTicks > 0 { return Double(t.cpuTicks) / hz }
            return nil
        }
        // What the processes' memory walk waits on (ProcessMemory.maybeWalk's `changed`): the
        // group's page-fault count moved, or its charge or process count rose, since the last walk.
        // Summed Pss grows only through a fault (a page mapped) or a fork (a page shared with
        // processes outside the run: t of n mappers in the run hold t/n of it, t+1 of n+1 hold
        // more); an exit (t−1 of n−1 ≤ t/n) or a shrinking charge cannot raise it. The charge is
        // there because memory.stat folds per-CPU event counts in lazily (up to 2 s late) while
        // the charge is exact at once: 40 MiB taken in twenty 2 MiB huge-page faults moved the
        // charge but not yet the fault count, and a process that held them for 0.5 s was never
        // walked (the pure-v2 guest check). Without a fault count (no memory.stat, mode none)
        // every tick counts as a change: walks paced by their cost alone.
        processMemory.walkGate = faultsParse == nil ? nil : faultsSpec?.source
        var now: (faults: Int64?, charge: Int64?, pids: Int64?) = (nil, nil, nil)
        var atLastWalk = now
        func readMemoryStat() {
            guard let f = statFile else { return }
            _ = f.read { b -> Bool? in
                if anonSpec != nil, let a = anonParse(b) { maxAnon = max(maxAnon, a) }
                now.faults = faultsParse?(b)
                return true
            }
        }
        func walkIfChanged(at t: UInt64, last: Bool = false) -> Bool {
            func rose(_ v: Int64?, _ before: Int64?) -> Bool { v.map { v in before.map { v > $0 } ?? true } == true }
            let changed = now.faults == nil || now.faults != atLastWalk.faults
                || rose(now.charge, atLastWalk.charge) || rose(now.pids, atLastWalk.pids)
            guard processMemory.maybeWalk(now: t, interval: interval, last: last, changed: changed) else { return false }
            atLastWalk = now
            return true
        }

        let startNanos = UInt64(Monotonic.nowNS)
        let firstT = Double(Int64(startNanos) - Int64(origin)) / 1e9
        var prevT = firstT
        if let t = tree { totals = t.sample() }
        var prevCPU = cpuNow(tree == nil ? nil : totals)
        net?.poll()
        readMemoryStat()
        SpawnTrace.mark("sampler: thread started, first reads taken")
        // No walk here: the first is at the first tick. At exec the workload is mapping its
        // libraries, and smaps_rollup holds its memory map's lock for the length of the walk —
        // ld.so's mmap waited on it (a /bin/true in D state for 0.3 ms under `perf sched`), and
        // a walk of a half-loaded image is no peak of anything (it gave 70–280 KiB, or nothing,
        // for /bin/true).

        var cadence = Cadence(start: startNanos, step: UInt64(interval * 1e9))
        while true {
            let wait = Double(cadence.wait(from: UInt64(Monotonic.nowNS))) / 1e9
            if stopSignal.wait(timeout: .now() + wait) == .success { break }
            let tNanos = UInt64(Monotonic.nowNS)
            // Absolute deadlines: a late wake-up neither shifts the later ticks nor bunches
            // samples; the ticks it skipped are counted.
            cadence.woke(at: tNanos)

            if let t = tree { totals = t.sample() }
            let tSec = Double(Int64(tNanos) - Int64(origin)) / 1e9
            ts.append(tSec)
            let c = cpuNow(tree == nil ? nil : totals)
            if let c = c, let p = prevCPU, tSec > prevT {
                cpuPct.append(max(0, c - p) / (tSec - prevT) * 100)
            }
            prevCPU = c ?? prevCPU
            prevT = tSec
            now.charge = memFile?.read(KernelText.single)
            if let m = now.charge {
                mem.append(Double(m)); memT.append(tSec)
            } else if memFile == nil, tree != nil {
                mem.append(Double(totals.rssPages) * pageSize); memT.append(tSec)
            }
            now.pids = pidsFile?.read(KernelText.single)
            if let p = now.pids {
                maxPids = max(maxPids, p)
            } else if pidsFile == nil, tree != nil {
                maxPids = max(maxPids, Int64(totals.count))
            }
            readMemoryStat()
            if walkIfChanged(at: tNanos) { onMemoryWalk?(processMemory.peaks.walks, tNanos) }
            net?.poll()
            onSample?(ts.count)
        }

        // Final reads on this thread: the tree (a zombie root still answers) and the network
        // namespace this thread may have joined.
        if let t = tree { totals = t.sample() }
        readMemoryStat()
        // The last walk, past the budget: what changed since the walk before would be lost.
        _ = walkIfChanged(at: UInt64(Monotonic.nowNS), last: true)
        var netFigures = Figures(), sampled = Figures(), proc = Figures()
        let intervalText = Units.format(interval, .duration)
        let missed = cadence.missed
        let cadenceText = "\(intervalText) schedule, \(missed) interval\(missed == 1 ? "" : "s") missed"
            + (notTuned.isEmpty ? "" : "; not applied to the sampler thread: " + notTuned.joined(separator: ", "))
        if let net { net.finish(into: &netFigures) }

        if let m = cpuPct.max() {
            sampled.set(.cpuPercentPeak, m, source: "highest of \(cpuPct.count) sampled intervals (\(cadenceText)) of "
                  + (cpuSpec?.source ?? "/proc/PID/stat utime+stime over the tree"))
        } else {
            sampled.missing(.cpuPercentPeak, cpuFile == nil && tree == nil ? "no CPU counter to sample"
                      : "the run was shorter than one sampling interval (\(intervalText))")
        }
        if let avg = TimeWeighted.gaugeMean(t: memT, v: mem) {
            sampled.set(.memoryAvg, avg, source: "time-weighted mean (trapezoids between sample times) of \(mem.count) samples "
                  + "(\(cadenceText)) of " + (memSpec?.source ?? "VmRSS summed over the process tree"))
        } else {
            sampled.missing(.memoryAvg, memFile == nil && tree == nil ? "no memory counter to sample"
                      : "the run was shorter than one sampling interval (\(intervalText))")
        }
        if maxAnon >= 0, let spec = anonSpec {
            sampled.set(.anonPeak, Double(maxAnon), source: "peak of \(ts.count + 2) samples of \(spec.source) (\(cadenceText))")
        } else {
            sampled.missing(.anonPeak, counters[.anonNow].reason ?? "memory.stat could not be read during the run")
        }
        processMemory.figures(into: &proc, what: counters.procsFile == nil ? "the process tree" : "the run's cgroup")
        if wantHWM, totals.hwmSeen {
            proc.set(.memoryPeak, Double(totals.maxHWMKiB) * 1024,
                  source: "max of /proc/PID/status VmHWM over the process tree (largest single process)")
        }
        if counters[.memoryPeak].spec == nil, let m = mem.max() {
            sampled.set(.memoryPeak, m, source: "max of \(mem.count) samples of " + (memSpec?.source ?? "VmRSS over the tree"))
        }
        if counters[.pidsPeak].spec == nil, maxPids >= 0 {
            sampled.set(.pidsPeak, Double(maxPids), source: "max of samples of " + (pidsSpec?.source ?? "the process tree's size"))
        }
        if wantIO, totals.ioSeen {
            let src = "/proc/PID/io over the process tree (sampled; reaped children fold into their parent)"
            proc.set(.diskReadBytes, Double(totals.readBytes), source: src + ": read_bytes")
            proc.set(.diskWriteBytes, Double(max(0, totals.writeBytes)), source: src + ": write_bytes - cancelled_write_bytes")
        }
        if cpuFile == nil, tree != nil, totals.cpuTicks > 0 || totals.count > 0 {
            proc.set(.cpuTime, Double(totals.cpuTicks) / hz,
                     source: "/proc/PID/stat utime+stime+cutime+cstime over the process tree (USER_HZ ticks)")
        }
        let selfCPU = Self.threadCPU() - startCPU
        // Exact-size copies: the record keeps them for the rest of the command, and a reserved
        // buffer's spare room is resident in part (its first and the allocator's next-chunk page).
        // With 4 096 reserved, `run --repeat 400` of /bin/true grew 11–16 KiB a run.
        func fitted(_ a: [Double]) -> [Double] { a.withUnsafeBufferPointer { Array($0) } }
        let samples = Samples(t: fitted(ts), cpuPercent: fitted(cpuPct), memory: fitted(mem),
                              interval: interval, missedIntervals: missed)
        threadOutput = (samples, [.netns: netFigures, .samples: sampled, .procTree: proc], selfCPU, processMemory.peaks)
        finished.signal()
    }

    /// CPU time of the calling thread (user + system), seconds.
    static func threadCPU() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
