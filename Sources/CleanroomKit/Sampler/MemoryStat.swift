/// The cgroup's anonymous memory (`anon_peak`): heap, stacks, private writable mappings — what a
/// program allocated, without the page cache it read or wrote. From `memory.stat`:
/// cgroup v2 `anon`; v1 `total_rss` (this group and its children; `rss` on kernels without the
/// hierarchical line). v1 `rss` counts anonymous pages and swap cache, not tmpfs/shmem — as v2 `anon`.
enum MemoryStat {
    typealias Resolved = CgroupCounters.Resolved

    /// anon_peak's counter and the walk gate's (`faults`), resolved from one read of the group's
    /// memory.stat: a line missing there is `.absent` with the reason.
    static func specs(v2Dir dir: String, label: String) -> (anon: Resolved, faults: Resolved) {
        let path = dir + "/memory.stat"
        let found = SysFS.read(path) { b in (anonV2(b), KernelText.keyed(b, "pgfault")) }
        return (found?.0 != nil ? .counter(.init(path: path, parse: anonV2, scale: 1, source: "\(label) memory.stat anon"))
                                : .absent("\(path) has no anon line"),
                faults(path, found?.1, key: "pgfault", source: "\(label) memory.stat pgfault"))
    }

    static func specs(v1Dir dir: String) -> (anon: Resolved, faults: Resolved) {
        let path = dir + "/memory.stat"
        let found = SysFS.read(path) { b in
            (KernelText.keyed(b, "total_rss"), KernelText.keyed(b, "rss"), KernelText.keyed(b, "total_pgfault"))
        }
        let anon: Resolved
        if found?.0 != nil {
            anon = .counter(.init(path: path, parse: { KernelText.keyed($0, "total_rss") }, scale: 1,
                                  source: "cgroup v1 memory.stat total_rss"))
        } else if found?.1 != nil {
            anon = .counter(.init(path: path, parse: { KernelText.keyed($0, "rss") }, scale: 1,
                                  source: "cgroup v1 memory.stat rss"))
        } else {
            anon = .absent("\(path) has neither total_rss nor rss")
        }
        return (anon, faults(path, found?.2, key: "total_pgfault", source: "cgroup v1 memory.stat total_pgfault"))
    }

    /// Page faults taken by the group's processes (v2 `pgfault`, v1 `total_pgfault`): every page
    /// that becomes resident in a process's page tables takes a fault (populate and GUP go through
    /// the fault handler too), so while this stands still and the process count does not rise, the
    /// tree's summed Pss cannot have grown — and its walk (the sampler's dearest read) can wait.
    /// The kernel folds these per-CPU counts into memory.stat when enough piled up or every 2 s.
    private static func faults(_ path: String, _ found: Int64?, key: StaticString, source: String) -> Resolved {
        guard found != nil else { return .absent("\(path) has no \(key) line") }
        return .counter(.init(path: path, parse: { KernelText.keyed($0, key) }, scale: 1, source: source))
    }

    /// cgroup v2 `memory.stat` `anon` (bytes). `anon_thp` and `file` are other words: `keyed`
    /// matches whole words only.
    static func anonV2(_ b: KernelText.Bytes) -> Int64? { KernelText.keyed(b, "anon") }
}
