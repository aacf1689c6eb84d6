/// The cgroup's anonymous memory (`anon_peak`): heap, stacks, private writable mappings — what a
/// program allocated, without the page cache it read or wrote. From `memory.stat`:
/// cgroup v2 `anon`; v1 `total_rss` (this group and its children; `rss` on kernels without the
/// hierarchical line). v1 `rss` counts anonymous pages and swap cache, not tmpfs/shmem — as v2 `anon`.
enum MemoryStat {
    static func anonSpec(v2Dir dir: String, label: String) -> CgroupCounters.Resolved {
        let path = dir + "/memory.stat"
        guard SysFS.read(path, anonV2) != nil else {
            return .absent("\(path) has no anon line")
        }
        return .counter(.init(path: path, parse: anonV2, scale: 1, source: "\(label) memory.stat anon"))
    }

    static func anonSpec(v1Dir dir: String) -> CgroupCounters.Resolved {
        let path = dir + "/memory.stat"
        if SysFS.read(path, { KernelText.keyed($0, "total_rss") }) != nil {
            return .counter(.init(path: path, parse: { KernelText.keyed($0, "total_rss") }, scale: 1,
                                  source: "cgroup v1 memory.stat total_rss"))
        }
        if SysFS.read(path, { KernelText.keyed($0, "rss") }) != nil {
            return .counter(.init(path: path, parse: { KernelText.keyed($0, "rss") }, scale: 1,
                                  source: "cgroup v1 memory.stat rss"))
        }
        return .absent("\(path) has neither total_rss nor rss")
    }

    /// Page faults taken by the group's processes (v2 `pgfault`, v1 `total_pgfault`): every page
    /// that becomes resident in a process's page tables takes a fault (populate and GUP go through
    /// the fault handler too), so while this stands still and the process count does not rise, the
    /// tree's summed Pss cannot have grown — and its walk (the sampler's dearest read) can wait.
    /// The kernel folds these per-CPU counts into memory.stat when enough piled up or every 2 s.
    static func faultsSpec(v2Dir dir: String, label: String) -> CgroupCounters.Resolved {
        faultsSpec(path: dir + "/memory.stat", key: "pgfault", source: "\(label) memory.stat pgfault")
    }

    static func faultsSpec(v1Dir dir: String) -> CgroupCounters.Resolved {
        faultsSpec(path: dir + "/memory.stat", key: "total_pgfault", source: "cgroup v1 memory.stat total_pgfault")
    }

    private static func faultsSpec(path: String, key: StaticString, source: String) -> CgroupCounters.Resolved {
        let parse: (KernelText.Bytes) -> Int64? = { KernelText.keyed($0, key) }
        guard SysFS.read(path, parse) != nil else { return .absent("\(path) has no \(key) line") }
        return .counter(.init(path: path, parse: parse, scale: 1, source: source))
    }

    /// cgroup v2 `memory.stat` `anon` (bytes). `anon_thp` and `file` are other words: `keyed`
    /// matches whole words only.
    static func anonV2(_ b: KernelText.Bytes) -> Int64? { KernelText.keyed(b, "anon") }
}
