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

    /// The entries of the directory at `path` (not `.` and `..`), the directory itself not
    /// followed if it is a link; nil when it cannot be opened. FileManager's listing looks its
    /// generic types up by mangled name at its first call (`exec`'s scratch sweep).
    public static func names(in path: String) -> [String]? {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        return names(fd)
    }

    /// The entries of the directory open at `fd`, which is closed.
    private static func names(_ fd: Int32) -> [String]? {
        guard let dir = fdopendir(fd) else { close(fd); return nil }
        defer { closedir(dir) }
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
        // Listed through a duplicate: `names` closes what it reads, the removals below need `fd`.
        let listed = dup(fd)
        defer { close(fd) }
        guard listed >= 0, let names = names(listed) else { return }
        for name in names {
            if unlinkat(fd, name, 0) == 0 || errno == ENOENT { continue }
            guard errno == EISDIR, depth < 2048 else { continue }
            let sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if sub >= 0 { empty(sub, depth: depth + 1) }
            unlinkat(fd, name, AT_REMOVEDIR)
        }
    }
}
