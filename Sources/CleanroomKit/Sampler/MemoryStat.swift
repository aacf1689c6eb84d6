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

    /// cgroup v2 `memory.stat` `anon` (bytes). `anon_thp` and `file` are other words: `keyed`
    /// matches whole words only.
    static func anonV2(_ b: KernelText.Bytes) -> Int64? { KernelText.keyed(b, "anon") }
}
