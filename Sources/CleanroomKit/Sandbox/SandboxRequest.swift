import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Everything one sandboxed run needs. Values are already parsed (bytes, seconds).
public struct SandboxRequest: Sendable {
    /// argv; `command[0]` is looked up in the scrubbed PATH unless it contains a `/`.
    public var command: [String]
    /// Absolute working directory.
    public var cwd: String
    /// Extra environment on top of the scrubbed one (PATH, HOME, LANG, TERM from the host).
    public var env: [String: String]
    public var limits: Limits
    public var settings: SandboxSettings
    /// Seconds from exec; nil = none.
    public var timeout: Double?
    /// Seconds between SIGTERM and SIGKILL.
    public var killGrace: Double
    /// Bytes of stdout and of stderr kept (the tail).
    public var outputLimit: Int
    /// Where stdout.txt, stderr.txt (and metrics.jsonl) are written; created if missing.
    public var outputDirectory: String
    /// How `RunRecord.output` names the directory (relative to the report directory,
    /// e.g. "runs/build/1"); nil = `outputDirectory` as given.
    public var outputReportPath: String?
    /// Exit code that means `ok`.
    public var expectExit: Int
    /// Create `metrics.jsonl` in `outputDirectory`, named by `$CLEANROOM_METRICS`: a path every
    /// process of the run can open and append to, in every filesystem mode (no inherited fd).
    public var metricsFile: Bool
    /// Refuse to run (throw `SandboxError.notEnforced`) when anything asked for cannot be enforced.
    public var strict: Bool
    /// Hostname inside the run's UTS namespace.
    public var hostname: String
    /// Servers the workload needs, started in this order inside the run's namespaces (each ready
    /// before the next starts, all before the workload), stopped after it (docs/sandbox.md "Services").
    public var services: [ServicePlan]
    /// `metrics_from` Prometheus endpoints, scraped once the services are ready and again when the
    /// workload has exited (Adapters/PrometheusScrapeSession); nil when there are none.
    public var metricsScrape: PrometheusScrapeSession?
    /// More runs follow this one (a `run` command's executor): the next run's cgroups and network
    /// namespace are made while this one ends (`Sandbox.prepareNextRun`). Whoever sets it removes
    /// what was made and not taken (`SandboxExecutor.finished`; at exit at the latest).
    public var runsFollow = false
    /// Keep the captured stdout and stderr in the record (`RunRecord.capture`) instead of writing
    /// stdout.txt and stderr.txt: `cleanroom exec`, which prints them and keeps no files.
    public var captureInMemory = false

    public init(command: [String], cwd: String = FileManager.default.currentDirectoryPath, env: [String: String] = [:],
                limits: Limits = Limits(), settings: SandboxSettings = SandboxSettings(), timeout: Double? = nil,
                killGrace: Double = Defaults.killGrace, outputLimit: Int = Defaults.outputLimit, outputDirectory: String,
                outputReportPath: String? = nil, expectExit: Int = Defaults.expectExit, metricsFile: Bool = false,
                strict: Bool = false, hostname: String = Defaults.hostname, services: [ServicePlan] = []) {
        self.command = command; self.cwd = cwd; self.env = env; self.limits = limits; self.settings = settings
        self.timeout = timeout; self.killGrace = killGrace; self.outputLimit = outputLimit
        self.outputDirectory = outputDirectory; self.outputReportPath = outputReportPath
        self.expectExit = expectExit; self.metricsFile = metricsFile; self.strict = strict; self.hostname = hostname
        self.services = services
    }

    /// A workload's run as the orchestrator would make it.
    public init(workload w: WorkloadPlan, outputDirectory: String, outputReportPath: String? = nil,
                metricsFile: Bool = true, strict: Bool = false) {
        self.init(command: w.command, cwd: w.cwd, env: w.env, limits: w.limits, settings: w.sandbox,
                  timeout: w.timeout, killGrace: w.killGrace, outputLimit: w.outputLimit,
                  outputDirectory: outputDirectory, outputReportPath: outputReportPath, expectExit: w.expectExit,
                  metricsFile: metricsFile, strict: strict, services: w.services)
    }

    /// The scrubbed environment as `KEY=VALUE` strings.
    func environment(metricsPath: String?) -> [String] {
        var extra = env
        if let metricsPath { extra["CLEANROOM_METRICS"] = metricsPath }
        return Self.scrubbedEnvironment(extra)
    }

    /// The scrubbed environment of a service: the same base and its own `env`.
    static func serviceEnvironment(_ plan: ServicePlan) -> [String] { scrubbedEnvironment(plan.env) }

    /// PATH, HOME, LANG, TERM from the host (PATH defaulted when it has none), then `extra`.
    static func scrubbedEnvironment(_ extra: [String: String]) -> [String] {
        var e: [String: String] = [:]
        // getenv for the four, not ProcessInfo's dictionary of the whole environment, built anew
        // at each call (40 µs of every run's set-up).
        for k in ["PATH", "HOME", "LANG", "TERM"] { if let v = getenv(k) { e[k] = String(cString: v) } }
        if e["PATH"] == nil { e["PATH"] = Defaults.path }
        for (k, v) in extra { e[k] = v }
        return e.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    }

    /// The PATH of a `KEY=VALUE` environment ("" when it has none).
    static func searchPath(_ env: [String]) -> String {
        env.first { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) } ?? ""
    }
}

/// Where a run's processes and files are, handed to a `RunObserver` when the workload has started.
public struct RunStart: Sendable {
    /// The run's cgroup directories (the Sampler's input).
    public var paths: CgroupPaths
    /// Host PID of the run's root process: the PID-1 init whose child is the workload (or the
    /// workload itself when no PID namespace could be made). Everything of the run descends from it.
    public var rootPID: pid_t
    /// The root is the run's init (a copy of cleanroom that only reaps): its own memory is not the run's.
    public var rootIsInit: Bool
    /// CLOCK_MONOTONIC seconds at the workload's execve (t = 0 of samples).
    public var at: Double
    /// metrics.jsonl the workload appends custom metrics to, when asked for.
    public var metricsFile: String?
    public var runID: String
    /// The run's network namespace, open (-1: none of its own). Opened before the init becomes
    /// non-dumpable, after which /proc/<init>/ns/net is out of reach without CAP_SYS_PTRACE;
    /// valid until the observer's `finished()` returns.
    public var netnsFD: Int32 = -1
}

/// What an observer measured over a run: figures by source (the sandbox adds its clocks and
/// rusage, and `FigureAssembler` picks one per metric) and the time series.
public struct RunObservation: Sendable {
    public var figures: [FigureSource: Figures]
    public var samples: Samples?
    public init(figures: [FigureSource: Figures] = [:], samples: Samples? = nil) {
        self.figures = figures; self.samples = samples
    }
}

/// The hook the Sampler plugs into a run. `started` is called on the run's thread as the
/// workload execs (stamped just before execve); `finished` after every process of the run is
/// dead but before its cgroup is removed (final cgroup counters are complete and still readable).
public protocol RunObserver: AnyObject {
    /// The run's cgroup exists with its limits and nothing is spawned yet: the moment for start
    /// snapshots of its counters (so they count the whole run, set-up included).
    func prepare(_ paths: CgroupPaths)
    /// Make what `started` will need (a thread, open counter files). With an init this is
    /// called once the gate is open, while the init makes the mounts on the other core, so it is
    /// off the run's critical path; without one, just before the clone (the workload execs at
    /// once). Always before `started`.
    func arm()
    func started(_ run: RunStart)
    func finished() -> RunObservation
}

extension RunObserver {
    public func prepare(_ paths: CgroupPaths) {}
    public func arm() {}
}
