#if canImport(Glibc)
import Glibc
#endif

/// Plugs the Sampler into a sandboxed run: its thread is made while the run's init sets up,
/// sampling starts when the workload execs and stops once every process of the
/// run has exited, while the cgroup can still be read.
final class SamplerObserver: RunObserver {
    let interval: Double
    let network: NetworkMode
    private var sampler: Sampler?

    init(interval: Double, network: NetworkMode) {
        self.interval = interval
        self.network = network
    }

    private var paths: CgroupPaths?

    /// The run's groups, before the spawn. No start snapshot is read: the groups were made for
    /// this run and the kernel creates every cumulative counter at 0 (`Snapshot.fresh`), so the
    /// run's CPU is still everything its cgroup used, from which the sandbox's own part
    /// (`startup_cpu`) is taken out by name.
    func prepare(_ paths: CgroupPaths) { self.paths = paths }

    /// The counter layout and the sampler's thread, which then waits for the exec: made while
    /// the init sets up (0.2-0.3 ms that were on the critical path before the clone).
    func arm() {
        guard sampler == nil, let paths else { return }
        let s = Sampler(paths: paths, interval: interval, network: network, freshGroup: true)
        s.arm()
        sampler = s
    }

    /// A run that ended before its exec (a failed spawn or set-up) never calls `finished`: its
    /// armed sampler thread is let go with the observer.
    deinit { sampler?.cancel() }

    func started(_ run: RunStart) {
        let s = sampler ?? Sampler(paths: run.paths, interval: interval, network: network)
        s.start(rootPID: run.rootPID, origin: UInt64(max(0, run.at) * 1e9), rootIsInit: run.rootIsInit, netnsFD: run.netnsFD)
        sampler = s
    }

    func finished() -> RunObservation {
        guard let s = sampler else { return RunObservation() }
        sampler = nil
        let r = s.stop()
        return RunObservation(figures: r.figures, samples: r.samples.t.isEmpty ? nil : r.samples)
    }
}
