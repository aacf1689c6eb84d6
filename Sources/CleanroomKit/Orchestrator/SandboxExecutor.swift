import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The real RunExecutor: every job in a fresh sandbox (Sandbox stage), measured runs sampled
/// (Sampler stage), custom metrics collected, cpu_percent derived from the kernel's figures.
public final class SandboxExecutor: RunExecutor, @unchecked Sendable {
    let host: SandboxHost
    let strict: Bool

    public init(strict: Bool = false, host: SandboxHost = .current) {
        self.strict = strict
        self.host = host
    }

    public func execute(_ job: RunJob) throws -> RunRecord {
        let w = job.workload
        var request = SandboxRequest(workload: w, outputDirectory: job.outputDirectory,
                                     outputReportPath: job.outputRelative, metricsFile: job.isRun, strict: strict)
        request.command = job.command
        // A `run` command's sandboxes follow one another: each run's cgroups and network
        // namespace are made while the run before it ends (GroupPool, NetnsPool); `finished`
        // removes what the last one made.
        request.runsFollow = true
        // Services start for measured and warmup runs only, not around prepare/setup/teardown.
        if !job.isRun { request.services = [] }
        // A capture file left by an earlier run into the same directory must not pass for this one's.
        OutputRoots.unlink(CaptureCheck.files, in: job.outputDirectory)
        // A `SandboxError` (exit 3) goes up as it is: it renders itself once, with the errno.
        var record: RunRecord
        if job.isRun {
            record = try Self.measuredRun(request, index: job.index, warmup: job.kind == .warmup,
                                          sampling: w.sampling, host: host, metricsFrom: w.metricsFrom)
        } else {
            record = try Sandbox.run(request, index: job.index, host: host)
        }
        try CaptureCheck.verify(&record, directory: job.outputDirectory, relative: job.outputRelative)
        return record
    }

    /// One sandboxed run with everything measured: the Sampler's kernel figures and time series,
    /// the sandbox's own clocks and rusage, cpu_percent (assembled by `FigureAssembler`), and the
    /// custom metrics the workload appended to $CLEANROOM_METRICS. Throws `SandboxError` when the
    /// sandbox could not be set up.
    public static func measuredRun(_ request: SandboxRequest, index: Int = 1, warmup: Bool = false,
                                   sampling: Double = 0.05, host: SandboxHost = .current,
                                   metricsFrom: [MetricsSource] = []) throws -> RunRecord {
        let observer = SamplerObserver(interval: sampling, network: request.settings.network)
        var request = request
        let scrape = PrometheusScrapeSession(sources: metricsFrom)
        if !scrape.isEmpty { request.metricsScrape = scrape }
        var record = try Sandbox.run(request, index: index, warmup: warmup, observer: observer, host: host)
        SpawnTrace.mark("executor: run returned (its trace printed)")
        let metricsFile = request.outputDirectory + "/metrics.jsonl"
        if request.metricsFile {
            let custom = CustomMetrics.parse(contentsOf: metricsFile)
            record.custom = custom.series
            record.customMalformed = custom.malformed
        }
        SpawnTrace.mark("executor: custom metrics read")
        if !metricsFrom.isEmpty {
            // The tools' own outputs (Adapters/), read once the run is over, like $CLEANROOM_METRICS.
            var custom = CustomMetrics(series: record.custom, malformed: record.customMalformed)
            MetricsFrom.collect(metricsFrom, cwd: request.cwd, stdoutPath: request.outputDirectory + "/stdout.txt", into: &custom)
            scrape.merge(into: &custom)
            record.custom = custom.series
            record.customMalformed = custom.malformed
        }
        return record
    }

    public func hostInfo(for workloads: [WorkloadPlan]) -> HostInfo {
        var degraded: [String] = []
        for w in workloads {
            let req = SandboxRequest(workload: w, outputDirectory: "/nonexistent")
            for d in Sandbox.degradations(for: req, host: host) where !degraded.contains(d) { degraded.append(d) }
        }
        return HostInfo(kernel: SandboxHost.kernel, cpus: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))),
                        cgroup: host.mode.rawValue, degraded: degraded)
    }

    public func interruptAll() { Sandbox.tearDownAll() }

    /// The next run's cgroups made ahead after the last run (GroupPool) are removed now, not at exit.
    public func finished() { GroupPool.drain() }
}
