import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The /proc view of a run's processes, for the figures no cgroup gives (mode none, a missing
/// controller, v1 blkio without rules). /proc only shows live processes (and zombies not yet
/// reaped), so the tree is sampled and each process's last values are kept.
///
/// Exited processes are not simply summed: when a process is reaped, the kernel adds its CPU
/// ticks (`cutime`/`cstime`) and I/O (`/proc/PID/io` of the reaper) to the process that reaped
/// it. A vanished process whose parent (or an ancestor, through other vanished processes) is still
/// in the tree is therefore already counted there; only one whose reaper is outside the tree (the
/// root, reaped by the sandbox) keeps its last sampled values. This also counts processes too
/// short-lived to be sampled, as long as something in the tree reaped them.
final class ProcTree {
    /// How the run's processes are found.
    enum Listing {
        /// The cgroup's `cgroup.procs` (every process of the run, whoever its parent), plus `root`:
        /// an exited root is no longer listed there but, as a zombie not yet reaped, still answers
        /// in /proc with everything it reaped folded in.
        case cgroupProcs(String, root: pid_t)
        /// `root` and its descendants through `/proc/PID/task/TID/children` (mode none).
        case descendants(of: pid_t)
    }

    struct Totals {
        /// utime + stime + cutime + cstime, in clock ticks.
        var cpuTicks: Int64 = 0
        var readBytes: Int64 = 0
        var writeBytes: Int64 = 0
        /// Highest VmHWM of any single process seen, KiB.
        var maxHWMKiB: Int64 = 0
        /// Sum of the resident sets of the live processes, pages.
        var rssPages: Int64 = 0
        /// Live processes in this sample.
        var count = 0
        var ioSeen = false
        var hwmSeen = false
    }

    private final class Entry {
        let pid: pid_t
        let stat: KeptFile
        let io: KeptFile?
        let status: KeptFile?
        let children: KeptFile?
        var ppid: pid_t = 0
        var threads: Int64 = 1
        var cpu: Int64 = 0, rd: Int64 = 0, wr: Int64 = 0, rss: Int64 = 0
        var seen = 0

        init?(pid: pid_t, io: Bool, hwm: Bool, children: Bool) {
            guard let stat = KeptFile("/proc/\(pid)/stat", capacity: 1024) else { return nil }
            self.pid = pid
            self.stat = stat
            self.io = io ? KeptFile("/proc/\(pid)/io", capacity: 512) : nil
            self.status = hwm ? KeptFile("/proc/\(pid)/status", capacity: 4096) : nil
            self.children = children ? KeptFile("/proc/\(pid)/task/\(pid)/children", capacity: 1024) : nil
        }
    }

    private let listing: Listing
    private let procsFile: KeptFile?
    private let wantIO: Bool
    private let wantHWM: Bool
    private var entries: [pid_t: Entry] = [:]
    private var generation = 0
    private var pidBuffer: [Int32] = []
    private var retiredCPU: Int64 = 0, retiredRead: Int64 = 0, retiredWrite: Int64 = 0
    private var maxHWM: Int64 = 0
    private var hwmSeen = false, ioSeen = false

    init(listing: Listing, wantIO: Bool, wantHWM: Bool) {
        self.listing = listing
        self.wantIO = wantIO
        self.wantHWM = wantHWM
        if case .cgroupProcs(let path, _) = listing { procsFile = KeptFile(path) } else { procsFile = nil }
        pidBuffer.reserveCapacity(256)
        entries.reserveCapacity(256)
    }

    /// Reads every live process of the run once and returns the run's totals so far.
    func sample() -> Totals {
        generation += 1
        pidBuffer.removeAll(keepingCapacity: true)
        var t = Totals()
        switch listing {
        case .cgroupProcs(_, let root):
            pidBuffer.append(root)
            _ = procsFile?.read { b -> Bool? in KernelText.pids(b, into: &pidBuffer); return true }
            for pid in pidBuffer { visit(pid, &t) }
        case .descendants(let root):
            pidBuffer.append(root)
            var i = 0
            while i < pidBuffer.count {
                let pid = pidBuffer[i]
                i += 1
                guard let e = visit(pid, &t) else { continue }
                appendChildren(of: e)
            }
        }
        retireVanished()
        t.cpuTicks += retiredCPU
        t.readBytes += retiredRead
        t.writeBytes += retiredWrite
        t.maxHWMKiB = maxHWM
        t.ioSeen = ioSeen
        t.hwmSeen = hwmSeen
        return t
    }

    @discardableResult
    private func visit(_ pid: pid_t, _ t: inout Totals) -> Entry? {
        let entry: Entry
        if let e = entries[pid] {
            entry = e
        } else {
            let needsChildren: Bool
            if case .descendants = listing { needsChildren = true } else { needsChildren = false }
            guard let e = Entry(pid: pid, io: wantIO, hwm: wantHWM, children: needsChildren) else { return nil }
            entries[pid] = e
            entry = e
        }
        guard entry.seen != generation else { return nil }   // listed twice
        guard let s = entry.stat.read(KernelText.procStat) else { return nil }   // gone
        entry.seen = generation
        entry.ppid = s.ppid
        entry.threads = s.numThreads
        entry.cpu = s.utime + s.stime + s.cutime + s.cstime
        entry.rss = s.rssPages
        if let io = entry.io, let rw = io.read(Self.ioBytes) {
            entry.rd = rw.read; entry.wr = rw.write
            ioSeen = true
        }
        if let st = entry.status, let hwm = st.read({ KernelText.keyed($0, "VmHWM") }) {
            if hwm > maxHWM { maxHWM = hwm }
            hwmSeen = true
        }
        t.cpuTicks += entry.cpu
        t.readBytes += entry.rd
        t.writeBytes += entry.wr
        t.rssPages += entry.rss
        t.count += 1
        return entry
    }

    /// `/proc/PID/io`: bytes the process (and what it reaped) made the block layer read, and wrote
    /// minus what was truncated away before writeback (`cancelled_write_bytes`).
    struct IOBytes { var read: Int64; var write: Int64 }   // a struct, not a tuple: no per-call tuple metadata

    static func ioBytes(_ b: KernelText.Bytes) -> IOBytes? {
        guard let r = KernelText.keyed(b, "read_bytes"), let w = KernelText.keyed(b, "write_bytes") else { return nil }
        return IOBytes(read: r, write: w - (KernelText.keyed(b, "cancelled_write_bytes") ?? 0))
    }

    /// Children are listed per thread: a multi-threaded parent may have forked from any thread.
    private func appendChildren(of e: Entry) {
        if e.threads <= 1, let c = e.children {
            _ = c.read { b -> Bool? in KernelText.pids(b, into: &pidBuffer); return true }
            return
        }
        guard let tids = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(e.pid)/task") else { return }
        for tid in tids {
            _ = SysFS.read("/proc/\(e.pid)/task/\(tid)/children") { b -> Bool? in
                KernelText.pids(b, into: &pidBuffer); return true
            }
        }
    }

    private func retireVanished() {
        var gone: [pid_t] = []
        for (pid, e) in entries where e.seen != generation { gone.append(pid) }
        guard !gone.isEmpty else { return }
        for pid in gone {
            guard let e = entries[pid] else { continue }
            if !reapedInsideTree(e) {
                retiredCPU += e.cpu; retiredRead += e.rd; retiredWrite += e.wr
            }
        }
        for pid in gone { entries[pid] = nil }
    }

    /// Whether an ancestor still in the tree now carries this process's figures.
    private func reapedInsideTree(_ e: Entry) -> Bool {
        var p = e.ppid
        var hops = 0
        while hops < 64, let parent = entries[p] {
            if parent.seen == generation { return true }
            p = parent.ppid
            hops += 1
        }
        return false
    }
}
