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
}

/// Samples a running workload from a dedicated thread at a fixed interval (default 50 ms):
/// kept fds read with pread, preallocated buffers, no per-sample allocation on the cgroup path.
///
/// The sandbox drives it through `RunObserver` (Orchestrator/SamplerObserver.swift): created and
/// started when the workload execs, stopped once every process of the run has exited and before
/// the run's cgroup is removed; the sandbox adds its clocks and rusage in `FigureAssembler`.
public final class Sampler: @unchecked Sendable {   // its thread hands results over through semaphores
    public let paths: CgroupPaths
    public let interval: Double
    public let network: NetworkMode
    public let snapshot: Snapshot

    private let stopSignal = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private var thread: Thread?
    private var rootPID: pid_t = 0
    private var rootIsInit = false
    private var origin: UInt64 = 0
    // Written by the sampler thread before `finished` is signalled, read after.
    private var threadOutput: (samples: Samples, figures: [FigureSource: Figures], cpu: Double)?

    /// Takes the start snapshot of the run's cgroup: call after creating it, before spawning.
    /// `interval` in seconds (the `sampling` setting); `network` as the run's sandbox has it.
    public init(paths: CgroupPaths, interval: Double = 0.05, network: NetworkMode = .none) {
        self.paths = paths
        self.interval = max(interval, 0.001)
        self.network = network
        self.snapshot = Snapshot.take(paths: paths)
    }

    /// Starts sampling `rootPID` (the workload, or the sandbox's init holding the run's namespaces).
    /// `origin`: CLOCK_MONOTONIC ns of the workload's exec (sample times count from it); now if nil.
    /// `rootIsInit`: the root is the sandbox's init (a copy of cleanroom), whose memory is not the run's.
    public func start(rootPID: pid_t, origin: UInt64? = nil, rootIsInit: Bool = false) {
        self.rootIsInit = rootIsInit
        precondition(thread == nil, "Sampler.start called twice")
        self.rootPID = rootPID
        self.origin = origin ?? UInt64(Monotonic.nowNS)
        let t = Thread { [self] in self.run() }
        t.name = "cleanroom-sampler"
        thread = t
        t.start()
    }

    /// Stops sampling and reads the final figures. Call after the workload exited and before its
    /// cgroup is killed or removed.
    public func stop() -> SamplerResult {
        var samples = Samples()
        var figures: [FigureSource: Figures] = [:]
        var selfCPU = 0.0
        if thread != nil {
            stopSignal.signal()
            finished.wait()
            if let out = threadOutput { samples = out.samples; figures = out.figures; selfCPU = out.cpu }
            thread = nil
        }
        figures[.cgroup] = FinalFigures.read(start: snapshot)
        if network == .host {
            figures[.netns, default: Figures()].missing(.netRxBytes, NetCounter.hostReason)
            figures[.netns, default: Figures()].missing(.netTxBytes, NetCounter.hostReason)
        }
        return SamplerResult(samples: samples, figures: figures, samplerCPUTime: selfCPU)
    }

    // MARK: - the sampler thread

    private func run() {
        let startCPU = Self.threadCPU()
        let counters = snapshot.counters
        let cpuSpec = counters[.cpuTime].spec
        let memSpec = counters[.memoryNow].spec
        let pidsSpec = counters[.pidsNow].spec
        let cpuFile = cpuSpec.flatMap { KeptFile($0.path) }
        let memFile = memSpec.flatMap { KeptFile($0.path) }
        let pidsFile = pidsSpec.flatMap { KeptFile($0.path) }
        let wantIO = counters[.diskRead].spec == nil
        let wantHWM = counters[.memoryPeak].spec == nil
        let needTree = cpuFile == nil || memFile == nil || wantIO || wantHWM
            || (pidsFile == nil && counters[.pidsPeak].spec == nil)
        let tree: ProcTree? = needTree
            ? ProcTree(listing: counters.procsFile.map { .cgroupProcs($0, root: rootPID) } ?? .descendants(of: rootPID),
                       wantIO: wantIO, wantHWM: wantHWM)
            : nil
        tree?.memoryExcluded = rootIsInit ? rootPID : nil
        let net: NetCounter? = network == .none ? NetCounter(pid: rootPID) : nil
        let hz = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        let cpuScale = cpuSpec?.scale ?? 1

        var ts: [Double] = [], cpuPct: [Double] = [], mem: [Double] = []
        let expected = 4096
        ts.reserveCapacity(expected); cpuPct.reserveCapacity(expected); mem.reserveCapacity(expected)
        var maxPids: Int64 = -1
        var totals = ProcTree.Totals()

        let cpuParse = cpuSpec?.parse ?? KernelText.single
        func cpuNow(_ t: ProcTree.Totals?) -> Double? {
            if let f = cpuFile { return f.read(cpuParse).map { Double($0) * cpuScale } }
            if let t = t, t.count > 0 || t.cpuTicks > 0 { return Double(t.cpuTicks) / hz }
            return nil
        }

        let startNanos = UInt64(Monotonic.nowNS)
        var prevT = Double(Int64(startNanos) - Int64(origin)) / 1e9
        if let t = tree { totals = t.sample() }
        var prevCPU = cpuNow(tree == nil ? nil : totals)
        net?.poll()

        let step = UInt64(interval * 1e9)
        var next = startNanos + step
        while true {
            let now = UInt64(Monotonic.nowNS)
            let wait = next > now ? Double(next - now) / 1e9 : 0
            if stopSignal.wait(timeout: .now() + wait) == .success { break }
            let tNanos = UInt64(Monotonic.nowNS)
            // A late wake-up (loaded host) skips the missed ticks rather than bunching samples.
            next += step
            while next <= tNanos { next += step }

            if let t = tree { totals = t.sample() }
            let tSec = Double(Int64(tNanos) - Int64(origin)) / 1e9
            ts.append(tSec)
            let c = cpuNow(tree == nil ? nil : totals)
            if let c = c, let p = prevCPU, tSec > prevT {
                cpuPct.append(max(0, c - p) / (tSec - prevT) * 100)
            }
            prevCPU = c ?? prevCPU
            prevT = tSec
            if let f = memFile, let m = f.read(KernelText.single) {
                mem.append(Double(m))
            } else if memFile == nil, tree != nil {
                mem.append(Double(totals.rssPages) * pageSize)
            }
            if let f = pidsFile, let p = f.read(KernelText.single) {
                maxPids = max(maxPids, p)
            } else if pidsFile == nil, tree != nil {
                maxPids = max(maxPids, Int64(totals.count))
            }
            net?.poll()
        }

        // Final reads on this thread: the tree (a zombie root still answers) and the network
        // namespace this thread may have joined.
        if let t = tree { totals = t.sample() }
        var netFigures = Figures(), sampled = Figures(), proc = Figures()
        let intervalText = Units.format(interval, .duration)
        if let net { net.finish(into: &netFigures) }

        if let m = cpuPct.max() {
            sampled.set(.cpuPercentPeak, m, source: "highest of \(cpuPct.count) sampled \(intervalText) intervals of "
                  + (cpuSpec?.source ?? "/proc/PID/stat utime+stime over the tree"))
        } else {
            sampled.missing(.cpuPercentPeak, cpuFile == nil && tree == nil ? "no CPU counter to sample"
                      : "the run was shorter than one sampling interval (\(intervalText))")
        }
        if !mem.isEmpty {
            sampled.set(.memoryAvg, mem.reduce(0, +) / Double(mem.count),
                  source: "mean of \(mem.count) samples of " + (memSpec?.source ?? "VmRSS summed over the process tree"))
        } else {
            sampled.missing(.memoryAvg, memFile == nil && tree == nil ? "no memory counter to sample"
                      : "the run was shorter than one sampling interval (\(intervalText))")
        }
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
        threadOutput = (Samples(t: ts, cpuPercent: cpuPct, memory: mem),
                        [.netns: netFigures, .samples: sampled, .procTree: proc], selfCPU)
        finished.signal()
    }

    /// CPU time of the calling thread (user + system), seconds.
    static func threadCPU() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
