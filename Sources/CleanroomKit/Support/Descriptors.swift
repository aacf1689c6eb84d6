#if canImport(Glibc)
import Glibc
#endif

/// write(2) on a raw descriptor until every byte is out: the one loop behind cleanroom's own
/// stdout/stderr (`StandardStreams`), report files (`AtomicFile`) and the webhook sender's pipes.
public enum Descriptors {
    /// 0 when all of `buffer` was written; else the errno that stopped it (EINTR is retried).
    public static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Int32 {
        var done = 0
        while done < buffer.count {
            let n = Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            done += n
        }
        return 0
    }
}
