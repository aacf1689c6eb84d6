import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The memory people call "RSS", per process, for `rss_peak` and `max_rss`:
/// - `rss_peak`: the peak over walks of the tree's **Pss** summed over its processes
///   (`/proc/PID/smaps_rollup`). Pss splits each page between the processes mapping it, so the
///   sum counts shared libraries once; unlike the cgroup's charge it includes pages first
///   charged to other cgroups (binaries and files already in the page cache).
/// - `max_rss`: the largest `VmHWM` of any single process (`/proc/PID/status`), GNU time's
///   figure. Not wait4's `ru_maxrss`: the kernel folds the spawner's RSS into it at exec.
///
/// smaps_rollup walks the page tables of each process, so its cost grows with the tree's
/// memory; a walk is timed and the next one is scheduled so that walking stays under
/// `cpuBudget` of one core (at most once per sampling interval). With cgroups the sampler also
/// skips walks while the group's page-fault count stands still and its process count does not rise
/// (`MemoryStat.specs`): a tree that settled is not walked again until it moves.
final class ProcessMemory {
    struct Peaks {
        /// Highest summed Pss of a walk, KiB (nil: no walk read a process).
        var pssKiB: Int64?
        /// Highest VmHWM of any process seen, KiB.
        var hwmKiB: Int64?
        var walks = 0
        /// Thread CPU time spent walking, s.
        var cost = 0.0
    }

    /// At most this share of one core is spent in smaps_rollup walks.
    static let cpuBudget = 0.01

    private let listing: ProcTree.Listing
    private let procsFile: KeptFile?
    /// `/proc/PID/status` kept open per process. Not smaps_rollup: opening it takes a reference
    /// to the process's memory map *of that moment*, so a kept fd would go on reading the
    /// image from before an execve (the shell that exec'd the workload) and pin its memory.
    private var statusFiles: [pid_t: KeptFile] = [:]
    private var pids: [Int32] = []
    private(set) var peaks = Peaks()
    private var nextWalk: UInt64 = 0
    /// The counter whose moves (with the process count's) call for a walk, for `sources`
    /// ("cgroup v1 memory.stat total_pgfault"); nil: walks paced by their cost alone.
    var walkGate: String?

    /// The sandbox's PID-1 init when the root is one: a fork of cleanroom that never exec'd, whose
    /// resident set is cleanroom's own pages (7 MiB of VmHWM for a run of `sleep`), not the
    /// workload's. Its children are walked; it is not counted.
    private let excluded: pid_t?

    /// `rootIsInit`: the root is the sandbox's init (known to the sandbox; a readlink of a
    /// non-dumpable init's exe fails without CAP_SYS_PTRACE).
    init(listing: ProcTree.Listing, rootIsInit: Bool = false) {
        self.listing = listing
        let root: pid_t
        switch listing {
        case .cgroupProcs(_, let r): root = r
        case .descendants(let r): root = r
        }
        excluded = rootIsInit || Self.isForkOfSelf(root) ? root : nil
        if case .cgroupProcs(let path, _) = listing { procsFile = KeptFile(path) } else { procsFile = nil }
        pids.reserveCapacity(256)
    }

    /// Walks the tree if something `changed` since the last walk and the budget allows at `now`
    /// (CLOCK_MONOTONIC ns). `last`: the run is ending, so the budget no longer defers a walk —
    /// but an unchanged tree is still not walked again (its Pss cannot have risen since), unless
    /// no walk was taken yet. Whether it walked.
    @discardableResult
    func maybeWalk(now: UInt64, interval: Double, last: Bool = false, changed: Bool = true) -> Bool {
        let due = last ? changed || peaks.walks == 0 : changed && now >= nextWalk
        guard due else { return false }
        let before = Sampler.threadCPU()
        walk()
        let cost = Sampler.threadCPU() - before
        peaks.cost += cost
        peaks.walks += 1
        let gap = max(interval, cost / Self.cpuBudget)
        nextWalk = now + UInt64(gap * 1e9)
        return true
    }

    private func walk() {
        pids.removeAll(keepingCapacity: true)
        switch listing {
        case .cgroupProcs(_, let root):
            pids.append(root)
            _ = procsFile?.read { b -> Bool? in KernelText.pids(b, into: &pids); return true }
        case .descendants(let root):
            // Children of each process's main thread: a walk at a reduced rate, good enough for
            // memory (the CPU and I/O figures of mode none use ProcTree's per-thread listing).
            pids.append(root)
            var i = 0
            while i < pids.count, i < 65536 {
                let pid = pids[i]; i += 1
                _ = SysFS.read("/proc/\(pid)/task/\(pid)/children") { b -> Bool? in
                    KernelText.pids(b, into: &pids); return true
                }
            }
        }
        var pss: Int64 = 0
        var read = false
        var seen = Set<pid_t>()
        for pid in pids where seen.insert(pid).inserted && pid != excluded {
            // A zombie (the exited root) has no memory left: no Pss line, not an error.
            if let p = SysFS.read("/proc/\(pid)/smaps_rollup", KernelText.smapsPss) { pss += p; read = true }
            if statusFiles[pid] == nil { statusFiles[pid] = KeptFile("/proc/\(pid)/status", capacity: 4096) }
            if let h = statusFiles[pid]?.read({ KernelText.keyed($0, "VmHWM") }) {
                peaks.hwmKiB = max(peaks.hwmKiB ?? 0, h)
            }
        }
        for pid in statusFiles.keys where !seen.contains(pid) || pid == excluded { statusFiles[pid] = nil }
        if read { peaks.pssKiB = max(peaks.pssKiB ?? 0, pss) }
    }

    /// Whether `pid` runs cleanroom's own executable (it was cloned from us and has not exec'd).
    static func isForkOfSelf(_ pid: pid_t) -> Bool {
        func target(_ path: String) -> String? {
            var buf = [CChar](repeating: 0, count: 4096)
            let n = readlink(path, &buf, buf.count - 1)
            return n > 0 ? String(decoding: buf.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil
        }
        guard pid > 0, let mine = target("/proc/self/exe"), let theirs = target("/proc/\(pid)/exe") else { return false }
        return mine == theirs
    }

    /// The figures of the walks so far: rss_peak and max_rss with their sources.
    func figures(into f: inout Figures, what: String) {
        let what = what + (excluded != nil ? " (the sandbox's init, a fork of cleanroom, not counted)" : "")
        let gate = walkGate.map { "taken when \($0) moved or the charge or process count rose, " } ?? ""
        let rate = peaks.walks > 0 ? " (\(peaks.walks) walks, \(Int((peaks.cost / Double(peaks.walks) * 1e6).rounded())) µs CPU each, "
            + gate + "paced to stay under \(Int(Self.cpuBudget * 100)) % of a core)" : ""
        if let p = peaks.pssKiB {
            f.set(.rssPeak, Double(p) * 1024, source: "peak of Pss summed over \(what) (/proc/PID/smaps_rollup)" + rate)
        } else {
            // A live process's status has a VmHWM line, a zombie's none: none seen (no walk, or
            // walks that found only exited processes) means every process had exited before a
            // walk reached it.
            f.missing(.rssPeak, peaks.hwmKiB == nil
                      ? "the run's processes had exited before the first walk (walks start one sampling interval after exec)"
                      : "no process of the run could be read in /proc (smaps_rollup needs kernel 4.14 and ptrace access)")
        }
        if let h = peaks.hwmKiB {
            f.set(.maxRSS, Double(h) * 1024, source: "largest /proc/PID/status VmHWM of any single process of \(what), "
                  + "sampled: a process's growth after its last walk is not seen" + rate)
        } else {
            f.missing(.maxRSS, "no process of the run was seen alive in /proc")
        }
    }
}

extension KernelText {
    /// `/proc/PID/smaps_rollup` (or smaps): the `Pss:` line, KiB. `Pss_Anon:` and the other
    /// `Pss_*` lines are other words.
    public static func smapsPss(_ b: Bytes) -> Int64? { keyed(b, "Pss") }
}
