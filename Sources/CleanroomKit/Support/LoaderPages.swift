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

    /// The code and read-only data mapped so far, unmapped (CSpawn/startup.c): RSS counts every
    /// page of the executable a process has mapped, and each fault maps a whole large folio or
    /// fault-around window of text, most of it for the command's set-up (argument parsing,
    /// configuration, start-up of the runtime). `run` calls it once everything is read and again
    /// before the reports: what the runs (then the reports) use faults back in from the page cache,
    /// where the pages stay. Peak RSS of `run --repeat 100` 21.1-21.7 -> 17.0-18.3 MiB from a
    /// freshly written binary, 18.8-19.6 -> 16.1-16.7 MiB from one faulted in piece by piece; the
    /// command's time unchanged (docs/BENCHMARKS.md "2026-12-05 evening"). Bytes unmapped, nil
    /// when madvise refused.
    @discardableResult
    public static func releaseText() -> Int? {
        let r = cspawn_release_text()
        return r < 0 ? nil : r
    }
}
