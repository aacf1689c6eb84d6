#if canImport(Glibc)
import Glibc
#endif

/// Plugs the Sampler into a sandboxed run: sampling starts when the workload execs (the run's
/// cgroup is fresh then, so its counters hold only the sandbox's own set-up) and stops once every
/// process of the run has exited, while the cgroup can still be read.
final class SamplerObserver: RunObserver {
    let interval: Double
    let network: NetworkMode
    private var sampler: Sampler?

    init(interval: Double, network: NetworkMode) {
        self.interval = interval
        self.network = network
    }

    func started(_ run: RunStart) {
        let s = Sampler(paths: run.paths, interval: interval, network: network)
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
