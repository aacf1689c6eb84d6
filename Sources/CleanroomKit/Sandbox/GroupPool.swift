import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The next run's cgroups made ahead, on another thread, while the run before it ends (its
/// final figures read, its groups removed, its files written): 0.3–0.9 ms of mkdirs and limit
/// writes a run (7 groups on a hybrid host) that sat on the `run` command's critical path
/// between two runs (docs/BENCHMARKS.md). Only for a `run` command's runs, which follow one
/// another (`SandboxRequest.runsFollow`), one run at a time, without services.
///
/// What is made is what the run itself would make: the same `RunGroups.make` with the same
/// limits and devices, a fresh run id, no process in it. A run takes it only when it asks for
/// the same thing (`Key`); anything else removes it and makes its own. Never two runs' groups:
/// the pool holds at most one set, a set is taken at most once. A set nobody takes is removed at
/// the end of the orchestrator's runs (`drain`, through `SandboxExecutor.finished`), on a
/// teardown (`Sandbox.tearDownAll`), and at the latest as the process exits (before the
/// `cleanroom` parents, `Sandbox.removeParentsNow`). A set that could not be made is not
/// retried here: the run makes its own and meets the error itself.
enum GroupPool {
    /// What a run's groups depend on (`Sandbox.makeGroups`): the backend, the limits, and the
    /// working directory (the devices counted and limited are the ones holding it).
    struct Key: Equatable {
        let backend: ObjectIdentifier
        let limits: Limits
        let cwd: String
    }

    private struct Made {
        let key: Key
        let backend: CgroupBackend
        let runID: String
        let groups: RunGroups
    }

    private static let state = NSCondition()
    nonisolated(unsafe) private static var making = false
    nonisolated(unsafe) private static var ready: Made?
    /// Sets handed to runs so far (tests tell the two paths apart by it).
    nonisolated(unsafe) private(set) static var taken = 0

    /// The key of a request whose groups can be made ahead; nil with services (their groups are
    /// a tree made per run) or without cgroups.
    static func key(for request: SandboxRequest, backend: CgroupBackend) -> Key? {
        guard request.services.isEmpty, !(backend is NoCgroupBackend) else { return nil }
        return Key(backend: ObjectIdentifier(backend), limits: request.limits, cwd: request.cwd)
    }

    /// Claims the making of the next set: false when one is ready or being made.
    static func claim() -> Bool {
        state.lock()
        defer { state.unlock() }
        guard ready == nil, !making else { return false }
        making = true
        return true
    }

    /// Makes the set for `request` on the calling thread, which holds the claim.
    static func make(_ key: Key, for request: SandboxRequest, backend: CgroupBackend) {
        let runID = RunID.next()
        let groups = try? Sandbox.makeGroups(backend, request: request, runID: runID)
        state.lock()
        if let groups { ready = Made(key: key, backend: backend, runID: runID, groups: groups) }
        making = false
        state.broadcast()
        state.unlock()
    }

    /// Gives a claim up without making anything (no cgroups here to make a set in).
    static func release() {
        state.lock(); making = false; state.broadcast(); state.unlock()
    }

    /// The set made ahead for `key` (waiting for one being made), or nil: none, or one made for
    /// another request, which is removed now.
    static func take(_ key: Key) -> (runID: String, groups: RunGroups)? {
        guard let made = takeAny() else { return nil }
        guard made.key == key else {
            _ = made.groups.remove(made.backend)
            return nil
        }
        state.lock(); taken += 1; state.unlock()
        return (made.runID, made.groups)
    }

    /// Removes a set nobody took (waiting for one being made).
    static func drain() {
        if let made = takeAny() { _ = made.groups.remove(made.backend) }
    }

    /// Waits until no set is being made (tests look at the tree in between).
    static func settle() {
        state.lock(); defer { state.unlock() }
        waitWhileMaking()
    }

    /// Call with `state` locked.
    private static func waitWhileMaking() {
        while making { state.wait() }
    }

    private static func takeAny() -> Made? {
        state.lock()
        defer { state.unlock() }
        waitWhileMaking()
        let made = ready
        ready = nil
        return made
    }
}

extension Sandbox {
    /// After a run of a `run` command: the next run's groups and network namespace, each made on
    /// a thread of its own while this run's figures are read and its files written. Not while
    /// other runs are live (`--parallel`: their requests differ, a set made for one would be
    /// removed by the other), nor after a teardown.
    func prepareNextRun(joinsMadeNetns: Bool) {
        guard request.runsFollow else { return }
        Sandbox.registryLock.lock()
        let alone = Sandbox.live.count <= 1 && Sandbox.generation == bornIn
        Sandbox.registryLock.unlock()
        guard alone else { return }
        let key = GroupPool.key(for: request, backend: backend)
        let groups = key != nil && GroupPool.claim()
        let netns = joinsMadeNetns && NetnsPool.claim()
        guard groups || netns else { return }
        let request = self.request
        nonisolated(unsafe) let backend = self.backend   // RunGroups.make only creates fresh groups
        // Each on a thread of its own: one after the other they took longer than the end of a
        // run, and the next run waited for the namespace (docs/BENCHMARKS.md).
        if groups, let key { Thread.detachNewThread { GroupPool.make(key, for: request, backend: backend) } }
        if netns { Thread.detachNewThread { NetnsPool.make() } }
    }
}
