import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Why a file could not be written, naming the path and the system's reason.
public struct FileWriteError: Error, Equatable, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String
    public init(path: String, message: String) { self.path = path; self.message = message }
    public var description: String { "\(path): \(message)" }
}

/// Writes files so that a reader sees either the old content or the new one, never a torn
/// file: the bytes go to a temporary file in the same directory (so `rename` stays on one
/// file system and is atomic), are fsync'ed, and the temporary file is renamed over the
/// destination; the directory is fsync'ed so the rename itself survives a crash.
public enum AtomicFile {
    /// Writes `data` to `path` atomically. On any failure the temporary file is removed and
    /// the destination is left as it was.
    public static func write(_ data: Data, to path: String, permissions: mode_t = 0o644) throws {
        let under: (fd: Int32, name: String)?
        do { under = try OutputRoots.parent(of: path) } catch {
            throw FileWriteError(path: path, message: "\(error)")
        }
        if let (dir, name) = under {
            defer { close(dir) }
            return try write(data, in: dir, name: name, path: path, permissions: permissions)
        }
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        let base = url.lastPathComponent
        var template = Array("\(dir)/.\(base).tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw FileWriteError(path: path, message: "cannot create a file in \(dir): \(errnoText())") }
        let tmp = String(cString: template)
        var ok = false
        defer {
            if !ok { unlink(tmp) }
        }
        do {
            defer { close(fd) }
            try writeAll(fd, data, path: path)
            // mkstemp creates 0600; reports are meant to be read by others (CI artifacts).
            if fchmod(fd, permissions) != 0 { throw FileWriteError(path: path, message: "chmod failed: \(errnoText())") }
            if fsync(fd) != 0 { throw FileWriteError(path: path, message: "fsync failed: \(errnoText())") }
        }
        if rename(tmp, path) != 0 {
            throw FileWriteError(path: path, message: "cannot replace the file: \(errnoText())")
        }
        ok = true
        syncDirectory(dir)
    }

    /// The same under an output root (OutputRoots): the temporary file and the rename relative to
    /// the directory's descriptor, so no link planted on the way is followed.
    private static func write(_ data: Data, in dir: Int32, name: String, path: String, permissions: mode_t) throws {
        var fd: Int32 = -1
        var tmp = ""
        for _ in 0..<16 where fd < 0 {
            tmp = ".\(name).tmp-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd < 0 && errno != EEXIST { break }
        }
        guard fd >= 0 else { throw FileWriteError(path: path, message: "cannot create a file beside it: \(errnoText())") }
        var ok = false
        defer { if !ok { unlinkat(dir, tmp, 0) } }
        do {
            defer { close(fd) }
            try writeAll(fd, data, path: path)
            if fchmod(fd, permissions) != 0 { throw FileWriteError(path: path, message: "chmod failed: \(errnoText())") }
            if fsync(fd) != 0 { throw FileWriteError(path: path, message: "fsync failed: \(errnoText())") }
        }
        if renameat(dir, tmp, dir, name) != 0 {
            throw FileWriteError(path: path, message: "cannot replace the file: \(errnoText())")
        }
        ok = true
        _ = fsync(dir)
    }

    /// Writes a UTF-8 string atomically.
    public static func write(_ text: String, to path: String, permissions: mode_t = 0o644) throws {
        try write(Data(text.utf8), to: path, permissions: permissions)
    }

    /// Creates `path` and its parents as directories if missing; a clear error when something
    /// in the way is a file or cannot be created. Returns without touching an existing directory.
    public static func ensureDirectory(_ path: String) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            guard isDir.boolValue else { throw FileWriteError(path: path, message: "exists and is not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            // Foundation's message varies by platform; say what the kernel says instead.
            let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
            var parentIsDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: parent, isDirectory: &parentIsDir), !parentIsDir.boolValue {
                throw FileWriteError(path: path, message: "cannot create the directory: \(parent) is not a directory")
            }
            throw FileWriteError(path: path, message: "cannot create the directory: \(error.localizedDescription)")
        }
    }

    /// Checks that new files can be created in `dir` (before any is written, so an unwritable
    /// output directory fails before a single report file is touched).
    public static func checkWritable(_ dir: String) throws {
        if access(dir, W_OK | X_OK) != 0 {
            throw FileWriteError(path: dir, message: "directory is not writable: \(errnoText())")
        }
    }

    private static func writeAll(_ fd: Int32, _ data: Data, path: String) throws {
        let failed = data.withUnsafeBytes { Descriptors.writeAll(fd, $0) }
        if failed != 0 {
            throw FileWriteError(path: path, message: "write failed: \(String(cString: strerror(failed)))")
        }
    }

    private static func syncDirectory(_ dir: String) {
        let fd = open(dir, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { return }
        _ = fsync(fd)   // best effort: some file systems refuse fsync on directories
        close(fd)
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
