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
