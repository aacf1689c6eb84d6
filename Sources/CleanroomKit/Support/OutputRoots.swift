import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Output directories that a workload may be able to write into, written by cleanroom without
/// following anything the workload planted there.
///
/// Why: with `-o out` inside the workload's cwd, a workload under `filesystem: readonly` (root
/// read-only, only cwd writable) could replace `out/runs/w/2` — the next run's directory — or any
/// directory between, by a symbolic link to a host directory; cleanroom, as root and in the
/// host's view, would then create `stdout.txt`, `metrics.jsonl` or a report there, with content
/// the workload chose. So the output root is opened once, before any workload runs (the user's
/// path, symlinks and all, is trusted then), and every file and directory under it is reached
/// from that descriptor one component at a time with O_NOFOLLOW: a planted link is an error
/// naming the path (exit 3), never a write elsewhere. Paths not under a registered root (tests'
/// scratch directories, history) are written as before.
public enum OutputRoots {
    private struct Root { var components: [Substring]; var fd: Int32; var uses: Int; var real: String }
    nonisolated(unsafe) private static var roots: [Root] = []
    private static let lock = NSLock()

    /// Registers `dir`, an existing directory, as an output root until the matching `release`.
    /// Nothing is created: making the directory is the command's business (and an Orchestrator
    /// driven by a mock executor writes nothing at all).
    public static func trust(_ dir: String) throws(SystemFailure) {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .last("open output directory", dir) }
        let real = SysFS.realPath(absolute(dir))
        lock.lock(); defer { lock.unlock() }
        for path in Set([absolute(dir), real]) {
            let c = components(path)
            if let i = roots.firstIndex(where: { $0.components == c }) { roots[i].uses += 1; continue }
            roots.append(Root(components: c, fd: fcntl(fd, F_DUPFD_CLOEXEC, 0), uses: 1, real: real))
        }
        close(fd)
    }

    /// Found by the spelling `trust` was given and its real path as recorded then: realpath(3)
    /// now would follow a link a workload put in place of the directory, and the root would stay.
    public static func release(_ dir: String) {
        let c = components(absolute(dir))
        lock.lock(); defer { lock.unlock() }
        guard let real = roots.first(where: { $0.components == c })?.real else { return }
        let mine = [c, components(real)]   // the entries `trust` counted this call in
        for i in roots.indices.reversed() where mine.contains(roots[i].components) {
            roots[i].uses -= 1
            if roots[i].uses == 0 { close(roots[i].fd); roots.remove(at: i) }
        }
    }

    /// The directory at `path` opened (O_RDONLY) from its root, each component created when
    /// `create` and refused when it is not a real directory; nil when `path` is under no root.
    /// The caller closes the descriptor.
    static func openDirectory(_ path: String, create: Bool) throws(SystemFailure) -> Int32? {
        let c = components(absolute(path))
        lock.lock()
        guard let root = deepestRoot(c) else { lock.unlock(); return nil }
        var fd = fcntl(root.fd, F_DUPFD_CLOEXEC, 0)
        lock.unlock()
        guard fd >= 0 else { throw .last("dup", path) }
        var walked = "/" + root.components.joined(separator: "/")
        for name in c.dropFirst(root.components.count) {
            walked += "/" + name
            if create, mkdirat(fd, String(name), 0o755) != 0, errno != EEXIST {
                let e = errno; close(fd); throw SystemFailure("mkdir", walked, errno: e)
            }
            let next = openat(fd, String(name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let e = errno
            close(fd)
            // ELOOP/ENOTDIR: a symbolic link or a file where a directory of ours should be.
            guard next >= 0 else { throw SystemFailure("open output directory (not following links)", walked, errno: e) }
            fd = next
        }
        return fd
    }

    /// The directory holding `path` opened from its root and the file's name; nil when `path`
    /// is under no root.
    static func parent(of path: String) throws(SystemFailure) -> (fd: Int32, name: String)? {
        let abs = absolute(path)
        guard let slash = abs.lastIndex(of: "/"), abs.index(after: slash) < abs.endIndex else { return nil }
        let name = String(abs[abs.index(after: slash)...])
        guard name != "..", name != ".", let fd = try openDirectory(String(abs[..<slash]), create: false) else { return nil }
        return (fd, name)
    }

    /// The absolute path without links in it: for a path under a root, the root's real path as it
    /// was when trusted plus the names below it, never realpath(3) of the path now (which follows
    /// whatever a workload planted there); else realpath(3).
    static func realPath(_ path: String) -> String {
        let c = components(absolute(path))
        lock.lock()
        let root = deepestRoot(c)
        lock.unlock()
        guard let root else { return SysFS.realPath(path) }
        let below = c.dropFirst(root.components.count)
        return below.isEmpty ? root.real : root.real + "/" + below.joined(separator: "/")
    }

    /// unlink(2) of each of `names` in `dir`, never following a link on the way there: the
    /// directory is reached once from its root (one walk, not one per file); a directory that is
    /// not there holds nothing to remove.
    public static func unlink(_ names: [String], in dir: String) {
        do {
            if let fd = try openDirectory(dir, create: false) {
                for name in names { unlinkat(fd, name, 0) }
                close(fd)
                return
            }
        } catch { return }   // not there, or a link planted on the way: nothing of ours to remove
        if !isUnderRoot(dir) { for name in names { Glibc.unlink(dir + "/" + name) } }
    }

    /// Call with `lock` held.
    private static func deepestRoot(_ c: [Substring]) -> Root? {
        roots.filter { c.starts(with: $0.components) }.max { $0.components.count < $1.components.count }
    }

    static func isUnderRoot(_ path: String) -> Bool {
        let c = components(absolute(path))
        lock.lock(); defer { lock.unlock() }
        return roots.contains { c.starts(with: $0.components) }
    }

    private static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return FileManager.default.currentDirectoryPath + "/" + path
    }

    /// The path's names, `.` dropped and `..` taken lexically: only the user's part of a path can
    /// hold one (`-o ../out`; cleanroom's own names below the root never do), and the root's
    /// descriptor, not this spelling, is what gets written into. (ConfigDecoder.tidyPath too,
    /// once a path's links are resolved.)
    static func components(_ path: String) -> [Substring] {
        var parts: [Substring] = []
        for p in path.split(separator: "/") where p != "." {
            if p == ".." { _ = parts.popLast() } else { parts.append(p) }
        }
        return parts
    }
}
