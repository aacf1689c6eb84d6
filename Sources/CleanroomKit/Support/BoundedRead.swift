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
    public init(path: String, message: String, hint: String? = nil) { self.path = path; self.message = message; self.hint = hint }
    public var description: String { message + (hint.map { " (\($0))" } ?? "") }
}

/// Reads every input with its size cap enforced while reading, not from `stat` (which says 0
/// for /dev/zero, a FIFO or a /proc file): at most `cap` bytes are ever held. Only regular files
/// are read; a FIFO, a character device or a socket gets a clear error instead of a hang.
public enum BoundedRead {
    public static func read(_ path: String, cap: Int, what: String) throws -> [UInt8] {
        // O_NONBLOCK: opening a FIFO with no writer must not block; regular files ignore it.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else {
            let e = errno
            switch e {
            case ENOENT: throw InputFileError(path: path, message: "no such file", hint: "check the path")
            case EACCES, EPERM: throw InputFileError(path: path, message: "permission denied", hint: "make it readable by this user")
            case EISDIR: throw InputFileError(path: path, message: "is a directory", hint: "name the \(what) file inside it")
            default: throw InputFileError(path: path, message: "cannot open: \(String(cString: strerror(e)))")
            }
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw InputFileError(path: path, message: "cannot stat: \(String(cString: strerror(errno)))")
        }
        let kind = st.st_mode & S_IFMT
        if kind == S_IFDIR {
            throw InputFileError(path: path, message: "is a directory", hint: "name the \(what) file inside it")
        }
        guard kind == S_IFREG else {
            let noun = kind == S_IFIFO ? "a FIFO (named pipe)" : kind == S_IFCHR ? "a character device"
                : kind == S_IFSOCK ? "a socket" : kind == S_IFBLK ? "a block device" : "not a regular file"
            throw InputFileError(path: path, message: "is \(noun), not a regular file",
                                 hint: "cleanroom reads a \(what) only from a regular file; save it to one first")
        }
        var out = [UInt8]()
        out.reserveCapacity(min(max(Int(st.st_size), 0), cap) + 1)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw InputFileError(path: path, message: "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            if out.count + n > cap {
                throw InputFileError(path: path, message: "is larger than the maximum of \(Units.format(Double(cap), .bytes)) for a \(what)",
                                     hint: "is this the right file?")
            }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }
}
