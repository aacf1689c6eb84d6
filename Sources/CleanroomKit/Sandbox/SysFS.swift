import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The one reader and writer of kernel files (cgroupfs, procfs, sysfs) and of the sandbox's own
/// files, on raw descriptors: Foundation's file APIs hide the errno (EBUSY from rmdir, EINVAL
/// from a rejected limit), which is exactly what a failure must carry (`SystemFailure`).
/// `KeptFile` (Sampler/) is the kept-descriptor variant for the sampling loop.
enum SysFS {
    /// Writes `text` in one write(2) (cgroup files take one value per write).
    /// `create`: for fake cgroup trees in tests, where control files are plain files.
    static func write(_ path: String, _ text: String, create: Bool = false) throws(SystemFailure) {
        let fd = open(path, O_WRONLY | O_CLOEXEC | (create ? (O_CREAT | O_TRUNC) : 0), 0o644)
        guard fd >= 0 else { throw .last("open", path) }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if n < 0 { throw .last("write \"\(text.trimmingSpaceAndNewlines)\" to", path) }
    }

    /// Creates `path` afresh and writes all of `bytes` (the run's captured output).
    static func writeFile(_ path: String, _ bytes: [UInt8]) throws(SystemFailure) {
        // Always a new file: whatever is at the name goes first (a planted symlink is removed, its
        // target untouched), and O_EXCL|O_NOFOLLOW refuses anything planted in between.
        // Under an output root (OutputRoots): the directories on the way are not followed either.
        if let (dir, name) = try OutputRoots.parent(of: path) {
            defer { close(dir) }
            try writeFile(in: dir, name, bytes, path: path)
        } else {
            try writeFile(in: AT_FDCWD, path, bytes, path: path)
        }
    }

    /// `writeFile` of `name` in the open directory `dir` (a run's, from `openMadeDirectory`);
    /// `path` names the file in errors.
    static func writeFile(in dir: Int32, _ name: String, _ bytes: [UInt8], path: String) throws(SystemFailure) {
        unlinkat(dir, name, 0)
        let fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw .last("open", path) }
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 { if errno == EINTR { continue }; throw .last("write", path) }
            done += n
        }
    }

    /// The whole file parsed by `parse`; nil when it cannot be read (or parsed).
    static func read<R>(_ path: String, _ parse: (KernelText.Bytes) -> R?) -> R? {
        guard let bytes = readBytes(path) else { return nil }
        return bytes.withUnsafeBufferPointer { parse($0) }
    }

    /// The whole file as text; nil when it cannot be read.
    static func read(_ path: String) -> String? {
        readBytes(path).map { String(decoding: $0, as: UTF8.self) }
    }

    static func readBytes(_ path: String) -> [UInt8]? {
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
        return out
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// The canonical absolute path (realpath(3)); `path` itself when it cannot be resolved.
    static func realPath(_ path: String) -> String { realPathIfExists(path) ?? path }

    /// realpath(3) of `path`; nil when any part of it does not exist.
    static func realPathIfExists(_ path: String) -> String? {
        guard let r = realpath(path, nil) else { return nil }
        defer { free(r) }
        return String(cString: r)
    }

    /// A regular file this process may execute (what execvp would run; a directory with the x bit is not one).
    static func isExecutableFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && access(path, X_OK) == 0
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// mkdir; an existing directory is fine. Whether this call made it.
    @discardableResult
    static func mkdir(_ path: String) throws(SystemFailure) -> Bool {
        // ENOENT: the `cleanroom` parent was removed (by the last run of another cleanroom process,
        // see `Sandbox.removeParentsNow`) between our mkdir of it and of this child: make it again.
        for _ in 0..<5 {
            if Glibc.mkdir(path, 0o755) == 0 { return true }
            if errno == EEXIST { return false }
            let e = errno
            guard e == ENOENT, let slash = path.lastIndex(of: "/"), slash != path.startIndex else {
                throw SystemFailure("mkdir", path, errno: e)
            }
            if Glibc.mkdir(String(path[..<slash]), 0o755) != 0 && errno != EEXIST && errno != ENOENT {
                throw .last("mkdir", String(path[..<slash]))
            }
        }
        throw SystemFailure("mkdir", path, errno: ENOENT)
    }

    /// A new directory under $TMPDIR (or /tmp) with an unpredictable name, mode 0700 (mkdtemp):
    /// nobody else can have planted it or anything in it. nil when it cannot be made.
    static func privateTemporaryDirectory(prefix: String) -> String? {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((base + "/" + prefix + "-XXXXXX").utf8CString)
        return template.withUnsafeMutableBufferPointer { b -> String? in
            guard let p = mkdtemp(b.baseAddress!) else { return nil }
            return String(cString: p)
        }
    }

    /// mkdir -p, then the directory opened (O_RDONLY): under an output root (OutputRoots) without
    /// following any link on the way. A run creates its files from this descriptor (`writeFile(in:)`)
    /// instead of walking from the root again for each: the walk was three opens per file, a
    /// sixth of a `run --repeat` run's file work (docs/BENCHMARKS.md).
    static func openMadeDirectory(_ path: String) throws(SandboxError) -> Int32 {
        do {
            if let fd = try OutputRoots.openDirectory(path, create: true) { return fd }
            try makeDirectoriesFollowing(path)
        } catch { throw .system(error) }
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(.last("open", path)) }
        return fd
    }

    /// mkdir -p of a path the user gave (its links are theirs).
    static func makeDirectoriesFollowing(_ path: String) throws(SystemFailure) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            // String + String: `+ Substring` is the generic append, whose witness lookup at run
            // time scans the binary's conformance table on every run's first call.
            prefix += "/" + String(part)
            if Glibc.mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw .last("mkdir", prefix) }
        }
        guard isDirectory(path) else { throw SystemFailure("mkdir", path, errno: ENOTDIR) }
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
    static func list(_ dir: String) -> [String] { FileTree.names(in: dir, followingLink: true) ?? [] }

    /// PIDs in a cgroup.procs file.
    static func pids(_ procsFile: String) -> [pid_t] {
        var out: [pid_t] = []
        _ = read(procsFile) { b -> Bool? in KernelText.pids(b, into: &out); return true }
        return out
    }
}
