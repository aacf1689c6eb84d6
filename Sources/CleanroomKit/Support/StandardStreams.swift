#if canImport(Glibc)
import Glibc
#endif

/// Progress and trace lines: best effort (a closed stderr must not stop a run).
enum StandardError {
    static func write(_ text: String) { try? StandardStreams.write(text, fd: 2) }
}

/// Writing the command's own output to descriptor 1 or 2 with write(2): unbuffered, and without
/// stdio's global `stdout`/`stderr`, which Swift 6 rejects as shared mutable state. Not `FileHandle.write(_:)`: it traps
/// (a `try!` inside Foundation) when the reader has gone (EPIPE: `cleanroom exec --json … | head`)
/// or the descriptor is closed (EBADF), and cleanroom never traps on its environment. A failed
/// write is an error the caller reports (exit 3: the output was not delivered).
public struct StandardStreamError: Error, CustomStringConvertible {
    public var stream: String
    public var errno: Int32
    public init(stream: String, errno: Int32) { self.stream = stream; self.errno = errno }
    public var description: String {
        let name = String(cString: strerror(errno))
        return "cannot write to standard \(stream): \(name) (errno \(errno))"
    }
}

public enum StandardStreams {
    /// Puts a placeholder on each of descriptors 0, 1 and 2 that cleanroom was started without
    /// (`cleanroom exec --json … >&-`): else the first file cleanroom opens takes the number, and
    /// the report meant for stdout goes into it (a scratch file, a pipe: seen as exit 0 with the
    /// JSON lost). /dev/null opened the wrong way round, so the stream stays unusable as it was:
    /// a write to 1 or 2 (read-only) and a read of 0 (write-only) fail with EBADF, as on a closed
    /// descriptor, and say so. Call first thing, before any thread starts.
    public static func holdClosedDescriptors() {
        for fd: Int32 in 0...2 {
            var st = stat()
            guard fstat(fd, &st) != 0, errno == EBADF else { continue }
            // The lowest free number is `fd`: the ones below it are open by now.
            _ = open("/dev/null", (fd == 0 ? O_WRONLY : O_RDONLY) | O_CLOEXEC)
        }
    }

    public static func write(_ bytes: some Collection<UInt8>, fd: Int32 = 1) throws {
        try Array(bytes).withUnsafeBytes { try write(buffer: $0, fd: fd) }
    }

    /// The string's own UTF-8 storage, not a copy into an Array: that conversion's generic type is
    /// looked up at run time on first use, 3 % of `cleanroom --version`.
    public static func write(_ text: String, fd: Int32 = 1) throws {
        var text = text
        try text.withUTF8 { try write(buffer: UnsafeRawBufferPointer($0), fd: fd) }
    }

    private static func write(buffer buf: UnsafeRawBufferPointer, fd: Int32) throws {
        let stream = fd == 2 ? "error" : "output"
        if fd == 1 { fflush(nil) }   // whatever print() buffered goes first
        let failed = Descriptors.writeAll(fd, buf)
        if failed != 0 { throw StandardStreamError(stream: stream, errno: failed) }
    }
}
