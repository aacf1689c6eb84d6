/// A buffer a file or pipe is read into before its bytes are copied out (a pipe's tail buffer,
/// `BoundedRead`'s result), left uninitialised: a read that returns nothing writes none of its
/// pages. `[UInt8](repeating: 0, count:)` wrote all 16 pages of a 64 KiB buffer first, for every
/// run's `$CLEANROOM_METRICS` read too: 13 page faults a run (`perf record -e page-faults` of
/// `run --repeat 100`; pages malloc had given back, or that the next run's init, a fork of
/// cleanroom, shared copy-on-write).
final class ReadScratch {
    let bytes: UnsafeMutableRawBufferPointer
    init(size: Int = 65536) { bytes = .allocate(byteCount: size, alignment: 16) }
    deinit { bytes.deallocate() }
}
