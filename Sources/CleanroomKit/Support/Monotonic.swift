#if canImport(Glibc)
import Glibc
#endif

/// CLOCK_MONOTONIC: the one clock of cleanroom's own timing (the child side stamps its records
/// with the same clock in C, `cspawn_now_ns`), so stamps from both sides subtract.
enum Monotonic {
    static var nowNS: Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
    static var now: Double { Double(nowNS) / 1e9 }
}
