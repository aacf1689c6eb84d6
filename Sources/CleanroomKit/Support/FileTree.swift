import CSpawn
#if canImport(Glibc)
import Glibc
#endif

/// `rm -rf` of a directory cleanroom made, with raw system calls and without following links.
///
/// Why not FileManager.removeItem: `cleanroom exec` removes its scratch directory (three files)
/// on every exit, and Foundation's walk was a tenth of the command's CPU after the run
/// (docs/BENCHMARKS.md). The scratch directory is one a workload under `filesystem: host` could
/// fill with anything, so nothing below it is followed: entries are removed relative to their
/// parent's descriptor, subdirectories opened with O_NOFOLLOW, a link removed as itself.
public enum FileTree {
    /// Whether `path` is on a tmpfs (memory: no disk writes to make or remove files there).
    public static func isTmpfs(_ path: String) -> Bool { cspawn_is_tmpfs(path) == 1 }

    /// Removes `path` and everything under it; true when it is gone (or was never there).
    @discardableResult
    public static func remove(_ path: String) -> Bool {
        if unlink(path) == 0 || errno == ENOENT { return true }   // a file or a link at the name
        guard errno == EISDIR else { return false }
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return false }
        empty(fd, depth: 0)
        return rmdir(path) == 0 || errno == ENOENT
    }

    /// The entries of the directory at `path` (not `.` and `..`); nil when it cannot be opened.
    /// A link at `path` is followed only with `followingLink`. readdir(3), not FileManager, whose
    /// listing looks its generic types up by mangled name at its first call (`exec`'s scratch
    /// sweep) and costs ~10× more (`SysFS.list`, the cgroup sweep at every run's start).
    public static func names(in path: String, followingLink: Bool = false) -> [String]? {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (followingLink ? 0 : O_NOFOLLOW))
        guard fd >= 0 else { return nil }
        guard let dir = fdopendir(fd) else { close(fd); return nil }
        defer { closedir(dir) }
        return names(dir)
    }

    /// The entries of an open directory stream, read to its end.
    private static func names(_ dir: OpaquePointer) -> [String] {
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Empties the directory open at `fd` (and closes it). Depth-bounded: a tree deeper than any
    /// path the kernel would resolve is left, not a stack overflow.
    private static func empty(_ fd: Int32, depth: Int) {
        guard let dir = fdopendir(fd) else { close(fd); return }
        defer { closedir(dir) }
        for name in names(dir) {
            if unlinkat(fd, name, 0) == 0 || errno == ENOENT { continue }
            guard errno == EISDIR, depth < 2048 else { continue }
            let sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if sub >= 0 { empty(sub, depth: depth + 1) }
            unlinkat(fd, name, AT_REMOVEDIR)
        }
    }
}
