import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Why an input file (config, report, profile) was not read: what is wrong and what would be right.
public struct InputFileError: Error, Equatable, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var hint: String?
    /// The errno of the failed open, when an open failed (ENOENT: there is no such file).
    public var errno: Int32?
    public init(path: String, message: String, hint: String? = nil, errno: Int32? = nil) {
        self.path = path; self.message = message; self.hint = hint; self.errno = errno
    }
    public var description: String { message + (hint.map { " (\($0))" } ?? "") }
}

/// Reads every input with its size cap enforced while reading, not from `stat` (which says 0
/// for /dev/zero, a FIFO or a /proc file): at most `cap` bytes are ever held. Only regular files
/// are read; a FIFO, a character device or a socket gets a clear error instead of a hang.
public enum BoundedRead {
    public static func read(_ path: String, cap: Int, what: String) throws -> [UInt8] {
        let (fd, size) = try openRegular(path, what: what, followingLinks: true)
        defer { close(fd) }
        var out = [UInt8]()
        out.reserveCapacity(min(size, cap) + 1)
        try readAll(fd, path, into: &out, upTo: cap + 1)
        if out.count > cap {
            throw InputFileError(path: path, message: "is larger than the maximum of \(Units.format(Double(cap), .bytes)) for a \(what)",
                                 hint: "is this the right file?")
        }
        return out
    }

    /// At most `limit` bytes of a file the workload had the last word on (its `$CLEANROOM_METRICS`,
    /// a `metrics_from` output), read once the run is over. Only a regular file: a FIFO planted at
    /// the path would otherwise block the open or the read for ever (no writer is left), and a
    /// device would be read as data. `followingLinks` false: a symbolic link at the path is refused
    /// too (ELOOP), where cleanroom made the file itself.
    public static func prefix(_ path: String, upTo limit: Int, what: String, followingLinks: Bool) throws -> [UInt8] {
        let (fd, size) = try openRegular(path, what: what, followingLinks: followingLinks)
        defer { close(fd) }
        var out = [UInt8]()
        out.reserveCapacity(min(size, limit))
        try readAll(fd, path, into: &out, upTo: limit)
        return out
    }

    /// An open descriptor of `path` and its size, when it is a regular file.
    static func openRegular(_ path: String, what: String, followingLinks: Bool) throws -> (Int32, Int) {
        // O_NONBLOCK: opening a FIFO with no writer must not block; regular files ignore it.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | (followingLinks ? 0 : O_NOFOLLOW))
        guard fd >= 0 else {
            let e = errno
            switch e {
            case ENOENT: throw InputFileError(path: path, message: "no such file", hint: "check the path", errno: e)
            case EACCES, EPERM: throw InputFileError(path: path, message: "permission denied", hint: "make it readable by this user", errno: e)
            case EISDIR: throw InputFileError(path: path, message: "is a directory", hint: "name the \(what) file inside it", errno: e)
            case ELOOP where !followingLinks:
                throw InputFileError(path: path, message: "is a symbolic link, not the file cleanroom made", hint: "not followed", errno: e)
            default: throw InputFileError(path: path, message: "cannot open: \(String(cString: strerror(e)))", errno: e)
            }
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            close(fd)
            throw InputFileError(path: path, message: "cannot stat: \(String(cString: strerror(e)))")
        }
        let kind = st.st_mode & S_IFMT
        guard kind == S_IFREG else {
            close(fd)
            if kind == S_IFDIR { throw InputFileError(path: path, message: "is a directory", hint: "name the \(what) file inside it") }
            let noun = kind == S_IFIFO ? "a FIFO (named pipe)" : kind == S_IFCHR ? "a character device"
                : kind == S_IFSOCK ? "a socket" : kind == S_IFBLK ? "a block device" : "not a regular file"
            throw InputFileError(path: path, message: "is \(noun), not a regular file",
                                 hint: "cleanroom reads a \(what) only from a regular file; save it to one first")
        }
        return (fd, max(Int(st.st_size), 0))
    }

    /// Appends what `fd` holds to `out`, stopping at EOF or once `out` holds `limit` bytes.
    public static func readAll(_ fd: Int32, _ path: String, into out: inout [UInt8], upTo limit: Int) throws {
        let scratch = ReadScratch()
        defer { withExtendedLifetime(scratch) {} }   // its memory is used through `chunk` below
        let chunk = scratch.bytes
        while out.count < limit {
            let want = min(chunk.count, limit - out.count)
            let n = Glibc.read(fd, chunk.baseAddress, want)
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw InputFileError(path: path, message: "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
        }
    }
}
