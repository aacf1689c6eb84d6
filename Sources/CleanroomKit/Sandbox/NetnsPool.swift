import Foundation
import CSpawn
#if canImport(Glibc)
import Glibc
#endif

/// One network namespace made ahead of the next run, on another thread: `lo` up, nothing else
/// in it, never used by two runs. Making one is 0.3–0.45 ms of kernel work on this host (every
/// registered protocol's per-namespace set-up) that sat inside the init's `clone3`, on the run's
/// critical path; made ahead it overlaps the command reading its flags (`exec`, through
/// `SandboxPrewarm`) or the previous run's end (`run`: `Sandbox.prepareNextRun`). The init
/// joins it with `setns` instead of `CLONE_NEWNET` (`cspawn_config.netns_fd`).
///
/// Only for root without a user namespace: a run in its own user namespace needs a network
/// namespace owned by that one, which only its clone can make. A namespace that could not be
/// made stops the pool for the process (the clone's own `CLONE_NEWNET` then meets, and reports,
/// the same refusal). An unused namespace goes with its descriptor: at exit at the latest.
enum NetnsPool {
    private static let state = NSCondition()
    nonisolated(unsafe) private static var ready: Int32 = -1
    nonisolated(unsafe) private static var making = false
    nonisolated(unsafe) private static var failed = false
    /// Namespaces handed to runs so far (tests tell the two paths apart by it).
    nonisolated(unsafe) private(set) static var taken = 0

    /// Claims the making of one for a thread that will decide later (`SandboxPrewarm` once the
    /// host is probed, `Sandbox.prepareNextRun`): a `take` meanwhile waits for it. The claim is
    /// then either `make`'s or given back (`release`). False: nothing to claim (one is ready,
    /// being made, or cannot be).
    static func claim() -> Bool {
        state.lock()
        defer { state.unlock() }
        guard ready < 0, !making, !failed else { return false }
        making = true
        return true
    }

    static func release() {
        state.lock()
        making = false
        state.broadcast()
        state.unlock()
    }

    /// Makes one on the calling thread, which holds the claim.
    static func make() {
        let fd = cspawn_netns_make()
        state.lock()
        if fd >= 0 { ready = fd } else { failed = true }
        making = false
        state.broadcast()
        state.unlock()
    }

    /// The namespace made ahead (waiting for one being made), or -1: none was asked for, or it
    /// could not be made. The caller owns the descriptor.
    static func take() -> Int32 {
        state.lock()
        defer { state.unlock() }
        while making { state.wait() }
        let fd = ready
        ready = -1
        if fd >= 0 { taken += 1 }
        return fd
    }
}
