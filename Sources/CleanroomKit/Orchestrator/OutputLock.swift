import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Another cleanroom holds the output directory: who, and what to do.
public struct OutputLockError: Error, Equatable, Sendable, CustomStringConvertible {
    public var directory: String
    public var holder: String
    public var waited: Double
    public var description: String {
        "\(directory) is in use by another cleanroom (\(holder)); waited \(CFormat.text("%.0f", waited)) s "
            + "(wait for it to finish, or write to another directory with -o)"
    }
}

/// One writer per output directory: an advisory `flock` on `DIR/.cleanroom.lock`, held until
/// the process exits (the kernel drops it even on SIGKILL, so a crash never leaves it stuck).
/// The file says who holds it (pid, command, start time) for the message a second writer gets.
/// The file itself stays: removing it would let two writers lock two different files.
public final class OutputLock: @unchecked Sendable {
    public static let fileName = ".cleanroom.lock"
    /// How long a second writer waits for the first before giving up (CLEANROOM_LOCK_WAIT, seconds).
    public static var defaultWait: Double {
        ProcessInfo.processInfo.environment["CLEANROOM_LOCK_WAIT"].flatMap(Double.init).map { max(0, min($0, 3600)) } ?? 3
    }

    private let fd: Int32
    private init(fd: Int32) { self.fd = fd }
    deinit { close(fd) }

    /// Takes the lock of `directory` (which must exist), waiting up to `wait` seconds.
    public static func acquire(directory: String, command: String, wait: Double = defaultWait) throws -> OutputLock {
        let path = directory.appendingPathComponentName(fileName)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else {
            throw FileWriteError(path: path, message: "cannot create the lock file: \(String(cString: strerror(errno)))")
        }
        let deadline = Date(timeIntervalSinceNow: wait)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let e = errno
            guard e == EWOULDBLOCK || e == EINTR else {
                close(fd)
                throw FileWriteError(path: path, message: "cannot lock: \(String(cString: strerror(e)))")
            }
            if Date() >= deadline {
                let holder = holderText(fd)
                close(fd)
                throw OutputLockError(directory: directory, holder: holder, waited: wait)
            }
            usleep(100_000)
        }
        let started = Timestamps.iso8601Seconds(Date())
        let text = "pid \(getpid()), cleanroom \(command), started \(started)\n"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
        return OutputLock(fd: fd)
    }

    private static func holderText(_ fd: Int32) -> String {
        var buf = [UInt8](repeating: 0, count: 512)
        let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        let text = n > 0 ? String(decoding: buf[0..<n], as: UTF8.self).trimmingSpaceAndNewlines : ""
        return text.isEmpty ? "holder unknown" : ConsoleText.escape(text)
    }
}
