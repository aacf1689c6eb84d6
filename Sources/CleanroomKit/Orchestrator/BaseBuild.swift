import Foundation

/// `cleanroom run --baseline-from DIR`: the base build of the project (e.g. the merge base,
/// checked out and built in DIR) measured in the same job as the head, run for run, alternately.
///
/// Each workload's base variant is the same plan — command, env, limits, sandbox, services —
/// with every working directory moved from the head tree (`root`, the config file's directory)
/// to the same place inside `directory`: a workload with `"cwd": "bench"` runs in `root/bench`
/// for the head and in `DIR/bench` for the base.
public struct BaseBuild: Sendable, Equatable {
    /// The base build's tree (absolute, standardised).
    public var directory: String
    /// The head tree the config's paths are relative to: the config file's directory.
    public var root: String

    public init(directory: String, root: String) {
        self.directory = BaseBuild.standardised(directory)
        self.root = BaseBuild.standardised(root)
    }

    static func standardised(_ p: String) -> String {
        var s = URL(fileURLWithPath: p).standardizedFileURL.path
        while s.count > 1, s.hasSuffix("/") { s.removeLast() }
        return s
    }

    /// `path` (absolute, in the head tree) moved to the same place in the base tree; nil when it is
    /// not inside the head tree.
    public func rebase(_ path: String) -> String? {
        let p = BaseBuild.standardised(path)
        if p == root { return directory }
        let prefix = root == "/" ? "/" : root + "/"
        guard p.hasPrefix(prefix) else { return nil }
        return directory + "/" + p.dropFirst(prefix.count)
    }

    /// The base variant of `w`: every working directory rebased (those outside the head tree stay).
    public func variant(of w: WorkloadPlan) -> WorkloadPlan {
        var b = w
        b.cwd = rebase(w.cwd) ?? w.cwd
        b.services = w.services.map { s in
            var t = s
            t.cwd = s.cwd.map { rebase($0) ?? $0 }
            return t
        }
        return b
    }

    /// What stops the A/B runs before anything runs (exit 2): a workload whose cwd is not inside
    /// the head tree (there is no "same place" in the base tree), or whose base cwd is missing.
    public func problems(_ workloads: [WorkloadPlan]) -> [String] {
        var out: [String] = []
        var isDir: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) || !isDir.boolValue {
            return ["--baseline-from \(directory): no such directory (it holds the base build: e.g. `git worktree add \(directory) $BASE_SHA` and build there)"]
        }
        for w in workloads {
            guard let cwd = rebase(w.cwd) else {
                out.append("workload \(w.name): cwd \(w.cwd) is outside \(root) (the config's directory), so it has no place in --baseline-from \(directory); use a cwd relative to the config")
                continue
            }
            if !FileManager.default.fileExists(atPath: cwd, isDirectory: &isDir) || !isDir.boolValue {
                out.append("workload \(w.name): its base cwd \(cwd) does not exist (is \(directory) a checkout of the same project?)")
            }
        }
        return out
    }
}
