#if canImport(Glibc)
import Glibc
#endif

/// A stdio stream on descriptor 2 for this module's `fputs` calls. Glibc's `stderr` is a global
/// `var`, which Swift 6 rejects as shared mutable state; this one is made once, unbuffered like
/// stderr (each call reaches the descriptor at once, in order with everything else), and stdio
/// locks each call, so sharing it is safe.
nonisolated(unsafe) let stderr: UnsafeMutablePointer<FILE> = {
    let f = fdopen(2, "w")!
    setvbuf(f, nil, _IONBF, 0)
    return f
}()

