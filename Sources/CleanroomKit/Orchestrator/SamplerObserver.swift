#if canImport(Glibc)
import Glibc
#endif

/// Plugs the Sampler into a sandboxed run: its start snapshot is taken once the run's cgroup exists
/// (before the spawn), sampling starts when the workload execs and stops once every process of the
/// run has exited, while the cgroup can still be read.
final class SamplerObserver: RunObserver {
    let interval: Double
    let network: NetworkMode
    private var sampler: Sampler?

    init(interval: Double, network: NetworkMode) {
        self.interval = interval
        self.network = network
    }

    /// The counters' start snapshot, before the spawn: the run's CPU is then everything its
    /// cgroup used, from which the sandbox's own part (`startup_cpu`) is taken out by name.
    /// The sampler's thread is made here too, ahead of the clone, and waits for the exec.
    func prepare(_ paths: CgroupPaths) {
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
