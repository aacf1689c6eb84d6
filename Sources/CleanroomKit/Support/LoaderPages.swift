import CSpawn

/// Pages the dynamic loader used once, given back at start-up (CSpawn/startup.c): the static
/// binary's 3 MB relocation table would otherwise count in cleanroom's RSS for the whole run
/// (docs/BENCHMARKS.md "Peak RSS").
public enum LoaderPages {
    /// Bytes released, 0 when there was nothing page-sized, or nil when madvise refused.
    @discardableResult
    public static func release() -> Int? {
        let r = cspawn_release_relocations()
        return r < 0 ? nil : r
    }
}
