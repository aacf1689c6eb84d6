import Foundation

/// Which kernel file holds each figure of a run's cgroup, for whatever layout the host has
/// (cgroup v2, v1, hybrid: v1 controllers + a cgroup2 group for PSI, or none). Resolved once per
/// run, after the sandbox created the cgroup: a counter the layout cannot give is `.absent` with
/// the reason a user will read in `unmeasured`.
///
/// The table of sources per mode is in docs/metrics.md; keep the two in step.
public struct CgroupCounters {
    /// The counters cleanroom reads from a run's cgroup.
    public enum Key: String, CaseIterable, Sendable {
        case cpuTime, cpuUser, cpuSystem, cpuThrottled
        case memoryPeak, memoryNow
        /// Anonymous memory of the group now (memory.stat), sampled for `anon_peak`.
        case anonNow
        /// Page faults of the group's processes so far (memory.stat): the sampler walks the
        /// processes' memory again only after this moved or the charge or process count rose.
        case faultsNow
        case diskRead, diskWrite
        case pidsPeak, pidsNow
        case cpuPressure, memoryPressure, ioPressure
        case oomKills

        /// Counters that accumulate from the cgroup's creation: figures are end − start.
        var isCumulative: Bool {
            switch self {
            case .memoryPeak, .memoryNow, .anonNow, .faultsNow, .pidsPeak, .pidsNow: return false
            default: return true
            }
        }

        /// The contract metric this counter gives, if any (oomKills feeds the outcome, memoryNow
        /// and pidsNow feed the samples).
        var metric: Metric? {
            switch self {
            case .cpuTime: return .cpuTime
            case .cpuUser: return .cpuUser
            case .cpuSystem: return .cpuSystem
            case .cpuThrottled: return .cpuThrottledTime
            case .memoryPeak: return .memoryPeak
            case .diskRead: return .diskReadBytes
            case .diskWrite: return .diskWriteBytes
            case .pidsPeak: return .pidsPeak
            case .cpuPressure: return .cpuPressure
            case .memoryPressure: return .memoryPressure
            case .ioPressure: return .ioPressure
            case .memoryNow, .anonNow, .faultsNow, .pidsNow, .oomKills: return nil
            }
        }
    }

    /// One kernel counter: the file, how to get the number out of it, and the factor to the
    /// metric's base unit (ns → s is 1e-9).
    public struct Spec {
        public let path: String
        public let parse: (KernelText.Bytes) -> Int64?
        public let scale: Double
        /// For `sources`: "cgroup v1 memory.max_usage_in_bytes".
        public let source: String

        public func read() -> Int64? { SysFS.read(path, parse) }
    }

    public enum Resolved {
        case counter(Spec)
        case absent(String)

        public var spec: Spec? { if case .counter(let s) = self { return s } else { return nil } }
        public var reason: String? { if case .absent(let r) = self { return r } else { return nil } }
    }

    public let paths: CgroupPaths
    public private(set) var table: [Key: Resolved] = [:]
    /// A `cgroup.procs` listing every process of the run (nil in mode none).
    public let procsFile: String?

    public subscript(key: Key) -> Resolved { table[key] ?? .absent("not resolved") }

    /// The layout of `paths`, resolved once per place: a run's start snapshot and its OOM count
    /// at the end both need it, and each resolution probes some twenty cgroup files (0.1–0.2 ms
    /// of each run of `run --repeat`). A group made beside an earlier one — each v1 directory
    /// and the cgroup2 directory in the same parent as that group's — has the files that one had:
    /// which files a cgroup directory holds is set by its hierarchy's controllers (v1) or its
    /// parent's `cgroup.subtree_control` (v2), cleanroom's own parents, which the run cannot
    /// reach. Its layout is the earlier one's with the directories swapped. Should a parent's
    /// controllers change between two runs anyway, a counter read from a file that is not there
    /// is absent with that reason, never a wrong figure.
    public static func resolved(_ paths: CgroupPaths) -> CgroupCounters {
        recentLock.lock()
        let known = recent.first { $0.paths == paths }
        let sibling = known == nil ? recent.last { $0.paths.isSibling(of: paths) } : nil
        recentLock.unlock()
        if let known { return known }
        let moved = sibling.flatMap { $0.moved(to: paths) }
        let fresh = moved ?? CgroupCounters(paths: paths)
        recentLock.lock()
        if moved == nil { probedLayouts += 1 }
        recent.append(fresh)
        if recent.count > 4 { recent.removeFirst() }
        recentLock.unlock()
        return fresh
    }
    private static let recentLock = NSLock()
    nonisolated(unsafe) private static var recent: [CgroupCounters] = []
    /// Layouts resolved by probing the files (not reused) in this process: what the tests count.
    nonisolated(unsafe) private(set) static var probedLayouts = 0

    /// Disk: bytes that reached the block layer on behalf of the cgroup. On v1 this depends on
    /// the group itself (blkio counts only on devices with a throttle rule in it), so a reused
    /// layout resolves it again for its own group.
    private static func disk(_ paths: CgroupPaths) -> (read: Resolved, write: Resolved) {
        let usesV1 = paths.mode == .v1 || paths.mode == .hybrid
        func v1(_ controller: String) -> String? { usesV1 ? paths.v1[controller] : nil }
        let unified = paths.mode == .v2 || paths.mode == .hybrid ? paths.unified : nil
        let read: Resolved, write: Resolved
        if let u = unified, paths.mode == .v2, SysFS.exists(u + "/io.stat") {
            // An empty io.stat means no I/O yet: a measured 0, not a missing figure.
            read = .counter(Spec(path: u + "/io.stat", parse: { KernelText.ioStat($0, "rbytes") ?? 0 },
                                 scale: 1, source: "cgroup v2 io.stat rbytes"))
            write = .counter(Spec(path: u + "/io.stat", parse: { KernelText.ioStat($0, "wbytes") ?? 0 },
                                  scale: 1, source: "cgroup v2 io.stat wbytes"))
        } else if let d = v1("blkio") {
            if BlkioInit.hasThrottleRule(cgroupDir: d) {
                let f = d + "/blkio.throttle.io_service_bytes"
                read = .counter(Spec(path: f, parse: { KernelText.blkio($0, "Read") ?? 0 }, scale: 1,
                                     source: "cgroup v1 blkio.throttle.io_service_bytes"))
                write = .counter(Spec(path: f, parse: { KernelText.blkio($0, "Write") ?? 0 }, scale: 1,
                                      source: "cgroup v1 blkio.throttle.io_service_bytes"))
            } else if SysFS.exists(d + "/blkio.io_service_bytes") {
                // CFQ-era kernels count here without any rule.
                let f = d + "/blkio.io_service_bytes"
                read = .counter(Spec(path: f, parse: { KernelText.blkio($0, "Read") ?? 0 }, scale: 1,
                                     source: "cgroup v1 blkio.io_service_bytes"))
                write = .counter(Spec(path: f, parse: { KernelText.blkio($0, "Write") ?? 0 }, scale: 1,
                                      source: "cgroup v1 blkio.io_service_bytes"))
            } else {
                let why = "cgroup v1 blkio counts I/O only on devices with a throttle rule, and the run's group has none"
                read = .absent(why); write = .absent(why)
            }
        } else {
            let why = paths.mode == .v2 ? "the io controller is not enabled for the run's cgroup"
                                        : "no v1 blkio controller group for the run"
            read = .absent(why); write = .absent(why)
        }
        return (read, write)
    }

    private init(paths: CgroupPaths, table: [Key: Resolved], procsFile: String?) {
        self.paths = paths; self.table = table; self.procsFile = procsFile
    }

    /// This layout for the sibling group `other`: every file path re-rooted from this group's
    /// directory to the same controller's directory of `other` (nil if a path lies in none), the
    /// disk counters resolved for `other` itself.
    func moved(to other: CgroupPaths) -> CgroupCounters? {
        var dirs: [(from: String, to: String)] = []
        for (controller, dir) in paths.v1 { guard let to = other.v1[controller] else { return nil }; dirs.append((dir, to)) }
        if let u = paths.unified { guard let to = other.unified else { return nil }; dirs.append((u, to)) }
        // By bytes: String's hasPrefix and dropFirst compare and count Characters.
        func move(_ path: String) -> String? {
            let p = path.utf8
            for d in dirs {
                let n = d.from.utf8.count
                guard p.count > n, p.starts(with: d.from.utf8), p[p.index(p.startIndex, offsetBy: n)] == UInt8(ascii: "/") else { continue }
                return d.to + String(decoding: p.dropFirst(n), as: UTF8.self)
            }
            return nil
        }
        var table: [Key: Resolved] = [:]
        for (key, entry) in self.table where key != .diskRead && key != .diskWrite {
            switch entry {
            case .absent: table[key] = entry
            case .counter(let spec):
                guard let path = move(spec.path) else { return nil }
                table[key] = .counter(Spec(path: path, parse: spec.parse, scale: spec.scale, source: spec.source))
            }
        }
        (table[.diskRead], table[.diskWrite]) = Self.disk(other)
        var procs: String?
        if let p = procsFile { guard let moved = move(p) else { return nil }; procs = moved }
        return CgroupCounters(paths: other, table: table, procsFile: procs)
    }

    public init(paths: CgroupPaths) {
        self.paths = paths
        let usesV1 = paths.mode == .v1 || paths.mode == .hybrid
        let usesUnified = paths.mode == .v2 || paths.mode == .hybrid
        func v1(_ controller: String) -> String? { usesV1 ? paths.v1[controller] : nil }
        let unified = usesUnified ? paths.unified : nil
        let label = paths.mode == .v2 ? "cgroup v2" : "cgroup2"   // "cgroup2" = the unified group of a hybrid host

        if paths.mode == .none {
            procsFile = nil
            for k in Key.allCases { table[k] = .absent(Self.noneReason(k)) }
            return
        }
        procsFile = unified.map { $0 + "/cgroup.procs" }
            ?? ["pids", "memory", "cpuacct", "cpu", "blkio", "freezer"].lazy.compactMap { v1($0) }.first.map { $0 + "/cgroup.procs" }

        // CPU time: v1 cpuacct (ns) first on hybrid/v1 — the controller that owns accounting there;
        // the cgroup2 cpu.stat usage_usec works on hybrid hosts too (basic stats need no controller).
        if let d = v1("cpuacct"), SysFS.exists(d + "/cpuacct.usage") {
            table[.cpuTime] = .counter(Spec(path: d + "/cpuacct.usage", parse: KernelText.single, scale: 1e-9,
                                            source: "cgroup v1 cpuacct.usage"))
            if SysFS.exists(d + "/cpuacct.usage_user") {
                table[.cpuUser] = .counter(Spec(path: d + "/cpuacct.usage_user", parse: KernelText.single, scale: 1e-9,
                                                source: "cgroup v1 cpuacct.usage_user"))
                table[.cpuSystem] = .counter(Spec(path: d + "/cpuacct.usage_sys", parse: KernelText.single, scale: 1e-9,
                                                  source: "cgroup v1 cpuacct.usage_sys"))
            } else {
                // Older kernels: only cpuacct.stat, in USER_HZ ticks (10 ms at 100 Hz).
                let hz = Double(sysconf(Int32(_SC_CLK_TCK)))
                table[.cpuUser] = .counter(Spec(path: d + "/cpuacct.stat", parse: { KernelText.keyed($0, "user") },
                                                scale: 1 / hz, source: "cgroup v1 cpuacct.stat user (USER_HZ ticks)"))
                table[.cpuSystem] = .counter(Spec(path: d + "/cpuacct.stat", parse: { KernelText.keyed($0, "system") },
                                                  scale: 1 / hz, source: "cgroup v1 cpuacct.stat system (USER_HZ ticks)"))
            }
        } else if let u = unified, Self.has(u + "/cpu.stat", key: "usage_usec") {
            for (k, key) in [(Key.cpuTime, "usage_usec"), (.cpuUser, "user_usec"), (.cpuSystem, "system_usec")] {
                table[k] = .counter(Spec(path: u + "/cpu.stat", parse: Self.keyedParser(key), scale: 1e-6,
                                         source: "\(label) cpu.stat \(key)"))
            }
        } else {
            let why = "no cgroup CPU accounting for the run (no cpuacct group, no cgroup2 cpu.stat)"
            table[.cpuTime] = .absent(why); table[.cpuUser] = .absent(why); table[.cpuSystem] = .absent(why)
        }

        // Throttling: only the cpu controller knows it.
        if let d = v1("cpu"), Self.has(d + "/cpu.stat", key: "throttled_time") {
            table[.cpuThrottled] = .counter(Spec(path: d + "/cpu.stat", parse: { KernelText.keyed($0, "throttled_time") },
                                                 scale: 1e-9, source: "cgroup v1 cpu.stat throttled_time"))
        } else if let u = unified, Self.has(u + "/cpu.stat", key: "throttled_usec") {
            table[.cpuThrottled] = .counter(Spec(path: u + "/cpu.stat", parse: { KernelText.keyed($0, "throttled_usec") },
                                                 scale: 1e-6, source: "\(label) cpu.stat throttled_usec"))
        } else {
            table[.cpuThrottled] = .absent(paths.mode == .v2
                ? "the cpu controller is not enabled for the run's cgroup (no throttled_usec in cpu.stat)"
                : "no v1 cpu controller group for the run")
        }

        // Memory: the whole tree's charge, page cache included.
        if let d = v1("memory"), SysFS.exists(d + "/memory.max_usage_in_bytes") {
            table[.memoryPeak] = .counter(Spec(path: d + "/memory.max_usage_in_bytes", parse: KernelText.single,
                                               scale: 1, source: "cgroup v1 memory.max_usage_in_bytes"))
            table[.memoryNow] = .counter(Spec(path: d + "/memory.usage_in_bytes", parse: KernelText.single,
                                              scale: 1, source: "cgroup v1 memory.usage_in_bytes"))
            table[.oomKills] = .counter(Spec(path: d + "/memory.oom_control", parse: { KernelText.keyed($0, "oom_kill") },
                                             scale: 1, source: "cgroup v1 memory.oom_control oom_kill"))
            (table[.anonNow], table[.faultsNow]) = MemoryStat.specs(v1Dir: d)
        } else if let u = unified, SysFS.exists(u + "/memory.current") {
            table[.memoryNow] = .counter(Spec(path: u + "/memory.current", parse: KernelText.single, scale: 1,
                                              source: "\(label) memory.current"))
            table[.memoryPeak] = SysFS.exists(u + "/memory.peak")
                ? .counter(Spec(path: u + "/memory.peak", parse: KernelText.single, scale: 1, source: "\(label) memory.peak"))
                : .absent("no memory.peak on this kernel (before 5.19)")
            table[.oomKills] = .counter(Spec(path: u + "/memory.events", parse: { KernelText.keyed($0, "oom_kill") },
                                             scale: 1, source: "\(label) memory.events oom_kill"))
            (table[.anonNow], table[.faultsNow]) = MemoryStat.specs(v2Dir: u, label: label)
        } else {
            let why = paths.mode == .v2 ? "the memory controller is not enabled for the run's cgroup"
                                        : "no v1 memory controller group for the run"
            table[.memoryPeak] = .absent(why); table[.memoryNow] = .absent(why); table[.oomKills] = .absent(why)
            table[.anonNow] = .absent(why); table[.faultsNow] = .absent(why)
        }

        (table[.diskRead], table[.diskWrite]) = Self.disk(paths)

        // pids: the peak needs pids.peak (kernel 6.1+ on v2; present on v1 here); else sampled.
        let pidsDir = v1("pids") ?? (paths.mode == .v2 ? unified : nil)
        if let d = pidsDir, SysFS.exists(d + "/pids.current") {
            let l = pidsDir == unified ? label : "cgroup v1"
            table[.pidsNow] = .counter(Spec(path: d + "/pids.current", parse: KernelText.single, scale: 1,
                                            source: "\(l) pids.current"))
            table[.pidsPeak] = SysFS.exists(d + "/pids.peak")
                ? .counter(Spec(path: d + "/pids.peak", parse: KernelText.single, scale: 1, source: "\(l) pids.peak"))
                : .absent("no pids.peak on this kernel")
        } else {
            let why = paths.mode == .v2 ? "the pids controller is not enabled for the run's cgroup"
                                        : "no v1 pids controller group for the run"
            table[.pidsNow] = .absent(why); table[.pidsPeak] = .absent(why)
        }

        // PSI: cgroup2 only (v1 has none), per cgroup even without controllers.
        for (k, file) in [(Key.cpuPressure, "cpu.pressure"), (.memoryPressure, "memory.pressure"), (.ioPressure, "io.pressure")] {
            if let u = unified {
                table[k] = SysFS.read(u + "/" + file, KernelText.psiSomeTotal) != nil
                    ? .counter(Spec(path: u + "/" + file, parse: KernelText.psiSomeTotal, scale: 1e-6,
                                    source: "\(label) \(file) some total"))
                    : .absent("no \(file) for the run's cgroup: PSI is disabled on this kernel (CONFIG_PSI off or psi=0)")
            } else {
                table[k] = .absent("cgroup v1 has no pressure-stall (PSI) files and the run has no cgroup2 group")
            }
        }
    }

    static func noneReason(_ k: Key) -> String {
        switch k {
        case .cpuPressure, .memoryPressure, .ioPressure:
            return "no cgroup for the run: pressure stall (PSI) figures exist only per cgroup"
        case .cpuThrottled:
            return "no cgroup for the run: no CPU quota, no throttling counters"
        default:
            return "no cgroup for the run"
        }
    }

    static func keyedParser(_ key: String) -> (KernelText.Bytes) -> Int64? {
        switch key {
        case "usage_usec": return { KernelText.keyed($0, "usage_usec") }
        case "user_usec": return { KernelText.keyed($0, "user_usec") }
        case "system_usec": return { KernelText.keyed($0, "system_usec") }
        default: return { _ in nil }
        }
    }

    /// Whether `file` can be read and has a line starting with `key`.
    static func has(_ file: String, key: String) -> Bool {
        guard let text = SysFS.read(file) else { return false }
        return text.split(separator: "\n").contains { $0.split(separator: " ").first.map(String.init) == key }
    }
}
