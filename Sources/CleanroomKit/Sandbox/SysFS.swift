import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Small, errno-preserving file helpers for cgroupfs / procfs / sysfs. Foundation's file APIs hide
/// the errno (EBUSY from rmdir, EINVAL from a rejected limit), which is exactly what we need to report.
enum SysFS {
    struct Failure: Error, CustomStringConvertible {
        var op: String
        var path: String
        var errno: Int32
        var description: String { "\(op) \(path): \(String(cString: strerror(errno)))" }
    }

    /// Writes `text` in one write(2) (cgroup files take one value per write).
    /// `create`: for fake cgroup trees in tests, where control files are plain files.
    static func write(_ path: String, _ text: String, create: Bool = false) throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC | (create ? (O_CREAT | O_TRUNC) : 0), 0o644)
        guard fd >= 0 else { throw Failure(op: "open", path: path, errno: errno) }
        defer { close(fd) }
        let n = text.utf8CString.withUnsafeBufferPointer { buf -> Int in
            Glibc.write(fd, buf.baseAddress, buf.count - 1)
        }
        if n < 0 { throw Failure(op: "write \"\(text)\" to", path: path, errno: errno) }
    }

    static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 8192)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, 8192) }
            if n < 0 { if errno == EINTR { continue }; return nil }
            if n == 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// mkdir; an existing directory is fine.
    static func mkdir(_ path: String) throws {
        // ENOENT: the `cleanroom` parent was removed (by the last run of another cleanroom process,
        // see `removeEmptyParents`) between our mkdir of it and of this child: make it again.
        for _ in 0..<5 {
            if Glibc.mkdir(path, 0o755) == 0 || errno == EEXIST { return }
            let e = errno
            guard e == ENOENT, let slash = path.lastIndex(of: "/"), slash != path.startIndex else {
                throw Failure(op: "mkdir", path: path, errno: e)
            }
            if Glibc.mkdir(String(path[..<slash]), 0o755) != 0 && errno != EEXIST && errno != ENOENT {
                throw Failure(op: "mkdir", path: String(path[..<slash]), errno: errno)
            }
        }
        throw Failure(op: "mkdir", path: path, errno: ENOENT)
    }

    /// rmdir, retried briefly: a cgroup whose last task is still exiting answers EBUSY for a moment
    /// (usually well under a millisecond): retried after 50 µs, the pause doubling up to 2 ms.
    @discardableResult
    static func rmdirRetrying(_ path: String, for seconds: Double = 2) -> Int32 {
        let deadline = Monotonic.now + seconds
        var pause: UInt32 = 50
        while true {
            if Glibc.rmdir(path) == 0 || errno == ENOENT { return 0 }
            let e = errno
            if e != EBUSY || Monotonic.now > deadline { return e }
            usleep(pause)
            pause = min(pause * 2, 2000)
        }
    }

    /// Entry names of a directory (without `.` and `..`); empty when it cannot be read. readdir(3),
    /// not FileManager: this runs at the start of every run (the sweep) and is ~10× cheaper.
    static func list(_ dir: String) -> [String] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { out.append(name) }
        }
        return out
    }

    /// PIDs in a cgroup.procs file.
    static func pids(_ procsFile: String) -> [pid_t] {
        guard let text = read(procsFile) else { return [] }
        return text.split(separator: "\n").compactMap { pid_t($0) }
    }

    /// The value after `key ` in a flat keyed file (memory.events, memory.oom_control, cgroup.events).
    static func keyed(_ text: String, _ key: String) -> Int64? {
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[0] == key { return Int64(parts[1]) }
        }
        return nil
    }
}

/// CLOCK_MONOTONIC, the clock the child stamps its messages with.
enum Monotonic {
    static var now: Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
    static var nowNS: Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
