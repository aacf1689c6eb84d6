import CleanroomKit
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `cleanroom exec`'s per-run scratch directory (docs/sandbox.md "Scratch space").
///
/// It used to be `/tmp/cleanroom-exec-<pid>`: a name any local user could predict and plant
/// symlinks at, so that root truncated the file they pointed at. Now each run's directory is made
/// by `mkdtemp` (unpredictable, 0700) inside a parent that only we can write, checked before use
/// (lstat: a real directory, ours, no access for group or others) — a parent somebody else made
/// is refused (exit 3), never used or "fixed"; it is removed again when the run leaves it empty.
/// The name carries the owner's PID and start time
/// (`cr-<pid>-<start>-exec-XXXXXX`, as run cgroups do), so the next `exec` removes what a killed
/// one left behind and nothing of a live one.
enum ExecScratch {
    struct Refused: Error, CustomStringConvertible {
        var description: String
    }

    /// Sweeps dead owners' leftovers, then makes this run's directory; returns its path.
    static func make(environment env: [String: String] = scratchVariables()) throws -> String {
        var attempt = 0
        while true {
            let parent = try privateParent(env)
            sweep(parent)
            var template = Array("\(parent)/cr-\(RunID.ownerPID)-\(RunID.ownerStart)-exec-XXXXXX".utf8CString)
            if template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil { return String(cString: template) }
            // ENOENT: another exec, finishing, removed the parent once it was empty; make it again.
            attempt += 1
            if errno == ENOENT && attempt < 5 { continue }
            throw Refused(description: "cannot make a scratch directory in \(parent): \(String(cString: strerror(errno)))")
        }
    }

    /// The two variables `privateParent` reads, not ProcessInfo's dictionary of the whole
    /// environment (its first use looks generic types up by mangled name, on `exec`'s path).
    static func scratchVariables() -> [String: String] {
        var env: [String: String] = [:]
        for name in ["XDG_RUNTIME_DIR", "TMPDIR"] {
            if let value = getenv(name) { env[name] = String(cString: value) }
        }
        return env
    }

    /// Removes a scratch directory (every exit path of `exec`), and the private parent with it
    /// when nothing else is in it (rmdir refuses otherwise: a concurrent exec's directory stays),
    /// so that an exec leaves nothing behind.
    static func remove(_ dir: String) {
        FileTree.remove(dir)
        // `dir` is make()'s "<parent>/cr-…": its parent is everything before the last slash.
        if let slash = dir.lastIndex(of: "/"), slash != dir.startIndex { _ = rmdir(String(dir[..<slash])) }
    }

    /// `$XDG_RUNTIME_DIR/cleanroom` when the runtime directory is ours and private (per-user by
    /// design: nobody else can make anything there first); else `$TMPDIR/cleanroom-<euid>` when
    /// TMPDIR is set; else `/dev/shm/cleanroom-<euid>` when /dev/shm is a tmpfs fit for it (root's,
    /// sticky); else `/tmp/cleanroom-<euid>`.
    ///
    /// /dev/shm before /tmp: the file lives in memory, where making and removing a directory costs
    /// microseconds, while on a disk mounted with `discard` each `rmdir` was 0.1–0.35 ms — about
    /// 0.55 ms of every `exec` on this project's CI machine (docs/BENCHMARKS.md). The run cannot
    /// see it: in `private-tmp` and `readonly` /dev/shm is a tmpfs of the run's own (the metrics
    /// file is bound back at its path), and in `host` mode it sees the host's /tmp as well.
    static func privateParent(_ env: [String: String]) throws -> String {
        if let runtime = env["XDG_RUNTIME_DIR"], runtime.hasPrefix("/"), problem(with: runtime, following: true) == nil {
            return try ensure(runtime + "/cleanroom")
        }
        var base = "/tmp"
        if let tmpdir = env["TMPDIR"], tmpdir.hasPrefix("/") {
            base = tmpdir
        } else if FileTree.isTmpfs("/dev/shm"), unfit("/dev/shm") == nil {
            return try ensure("/dev/shm/cleanroom-\(geteuid())")
        }
        while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
        if let why = unfit(base) { throw Refused(description: "scratch space: " + why) }
        return try ensure(base + "/cleanroom-\(geteuid())")
    }

    /// Why `base` cannot hold our parent (nil when it can). A parent in a directory others may
    /// rename things in (writable, not sticky) could be swapped for a symlink after it was checked.
    static func unfit(_ base: String) -> String? {
        var st = stat()
        guard stat(base, &st) == 0 else {
            return "\(base): \(String(cString: strerror(errno))) (set TMPDIR to an existing directory)"
        }
        let othersWrite = st.st_mode & (S_IWGRP | S_IWOTH) != 0, sticky = st.st_mode & S_ISVTX != 0
        guard (st.st_uid == 0 || st.st_uid == geteuid()) && (!othersWrite || sticky) else {
            return "\(base) lets other users replace what is in it (mode \(octal(st.st_mode)), "
                + "owner uid \(st.st_uid)); set TMPDIR to a directory that is sticky (like /tmp) or private"
        }
        return nil
    }

    /// mkdir 0700 (an existing one is fine), then the check; a parent somebody else planted is refused.
    static func ensure(_ path: String) throws -> String {
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw Refused(description: "scratch space: mkdir \(path): \(String(cString: strerror(errno)))")
        }
        if let why = problem(with: path, following: false) {
            throw Refused(description: "scratch space: \(path) \(why): another user may have made it to redirect "
                          + "cleanroom's files; remove it, or set TMPDIR to a private directory")
        }
        return path
    }

    /// Why `path` is not a private directory of ours (nil when it is).
    static func problem(with path: String, following: Bool) -> String? {
        var st = stat()
        guard (following ? stat(path, &st) : lstat(path, &st)) == 0 else { return "cannot be read (\(String(cString: strerror(errno))))" }
        if st.st_mode & S_IFMT == S_IFLNK { return "is a symbolic link" }
        if st.st_mode & S_IFMT != S_IFDIR { return "is not a directory" }
        if st.st_uid != geteuid() { return "is owned by uid \(st.st_uid), not \(geteuid())" }
        if st.st_mode & 0o077 != 0 { return "is open to other users (mode \(octal(st.st_mode)), expected 0700)" }
        return nil
    }

    /// Removes the scratch directories of `exec` processes that died without cleaning up
    /// (SIGKILL, a crash): only names this scheme made, only dead owners (PID and start time,
    /// so a reused PID is still dead), only directories of ours — a live sibling's stays.
    @discardableResult
    static func sweep(_ parent: String) -> [String] {
        var removed: [String] = []
        for entry in FileTree.names(in: parent) ?? [] {
            guard entry.contains("-exec-"), RunID.isOurs(entry), !RunID.ownerAlive(entry) else { continue }
            let path = parent + "/" + entry
            var st = stat()
            guard lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFDIR, st.st_uid == geteuid() else { continue }
            FileTree.remove(path)
            removed.append(entry)
        }
        return removed
    }

    static func octal(_ mode: mode_t) -> String { "0" + String(mode & 0o7777, radix: 8) }
}
