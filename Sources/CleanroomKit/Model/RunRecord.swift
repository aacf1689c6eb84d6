/// One run of a workload as it appears in report.json (`workloads[].runs[]`) and in
/// `cleanroom exec --json`. Every figure in `metrics` was read from the kernel; a figure that
/// could not be measured is absent from `metrics` and listed in `unmeasured` with the reason.
public struct RunRecord: Codable, Sendable, Equatable {
    public var index: Int
    public var warmup: Bool
    public var outcome: Outcome
    /// The workload's exit code, nil when it was killed by a signal or never started.
    public var exitCode: Int?
    /// The terminating signal's name ("SIGKILL"), nil when it exited normally.
    public var signal: String?
    /// A sentence for humans on why the outcome is what it is ("command not found: /nope").
    public var detail: String?
    /// Metric key → value in the metric's base unit (s, B, %, count).
    public var metrics: [String: Double]
    /// Metric key → why it could not be measured on this run.
    public var unmeasured: [String: String]
    /// Metric key → where the figure came from ("cgroup v1 memory.max_usage_in_bytes").
    public var sources: [String: String]
    public var samples: Samples?
    /// Syscall name → how many calls the seccomp filter denied.
    public var seccompDenied: [String: Int]
    /// Custom metric name → every observation the workload reported in this run.
    public var custom: [String: CustomSeries]
    public var customMalformed: CustomMalformed?
    public var output: OutputFiles?
    public var services: [String: ServiceRecord]
    /// The captured output itself, for a run that kept it in memory instead of writing files
    /// (`SandboxRequest.captureInMemory`: `cleanroom exec`); never encoded.
    public var capture: CapturedOutput?

    public init(index: Int, warmup: Bool = false, outcome: Outcome = .ok, exitCode: Int? = nil,
                signal: String? = nil, detail: String? = nil, metrics: [String: Double] = [:],
                unmeasured: [String: String] = [:], sources: [String: String] = [:], samples: Samples? = nil,
                seccompDenied: [String: Int] = [:], custom: [String: CustomSeries] = [:],
                customMalformed: CustomMalformed? = nil, output: OutputFiles? = nil,
                services: [String: ServiceRecord] = [:]) {
        self.index = index; self.warmup = warmup; self.outcome = outcome; self.exitCode = exitCode
        self.signal = signal; self.detail = detail; self.metrics = metrics; self.unmeasured = unmeasured
        self.sources = sources; self.samples = samples; self.seccompDenied = seccompDenied
        self.custom = custom; self.customMalformed = customMalformed; self.output = output
        self.services = services
    }

    enum CodingKeys: String, CodingKey {
        case index, warmup, outcome, signal, detail, metrics, unmeasured, sources, samples, custom, output, services
        case contention
        case exitCode = "exit_code"
        case seccompDenied = "seccomp_denied"
        case customMalformed = "custom_malformed"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        index = try c.decode(Int.self, forKey: .index)
        warmup = try c.decodeIfPresent(Bool.self, forKey: .warmup) ?? false
        outcome = try c.decode(Outcome.self, forKey: .outcome)
        exitCode = try c.decodeIfPresent(Int.self, forKey: .exitCode)
        signal = try c.decodeIfPresent(String.self, forKey: .signal)
        detail = try c.decodeIfPresent(String.self, forKey: .detail)
        metrics = try c.decodeIfPresent([String: Double].self, forKey: .metrics) ?? [:]
        unmeasured = try c.decodeIfPresent([String: String].self, forKey: .unmeasured) ?? [:]
        sources = try c.decodeIfPresent([String: String].self, forKey: .sources) ?? [:]
        samples = try c.decodeIfPresent(Samples.self, forKey: .samples)
        seccompDenied = try c.decodeIfPresent([String: Int].self, forKey: .seccompDenied) ?? [:]
        custom = try c.decodeIfPresent([String: CustomSeries].self, forKey: .custom) ?? [:]
        customMalformed = try c.decodeIfPresent(CustomMalformed.self, forKey: .customMalformed)
        output = try c.decodeIfPresent(OutputFiles.self, forKey: .output)
        services = try c.decodeIfPresent([String: ServiceRecord].self, forKey: .services) ?? [:]
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encode(warmup, forKey: .warmup)
        try c.encode(outcome, forKey: .outcome)
        try c.encode(exitCode, forKey: .exitCode)   // explicit null, as in the contract
        try c.encode(signal, forKey: .signal)
        try c.encodeIfPresent(detail, forKey: .detail)
        try c.encode(metrics, forKey: .metrics)
        if !unmeasured.isEmpty { try c.encode(unmeasured, forKey: .unmeasured) }
        if !sources.isEmpty { try c.encode(sources, forKey: .sources) }
        try c.encodeIfPresent(samples, forKey: .samples)
        if !seccompDenied.isEmpty { try c.encode(seccompDenied, forKey: .seccompDenied) }
        if !custom.isEmpty { try c.encode(custom, forKey: .custom) }
        try c.encodeIfPresent(customMalformed, forKey: .customMalformed)
        try c.encodeIfPresent(output, forKey: .output)
        if !services.isEmpty { try c.encode(services, forKey: .services) }
        try c.encodeIfPresent(contention, forKey: .contention)
    }

    /// Why this run counts as measured on a contended host (`Contention.reason`), nil when it
    /// does not. Derived from `metrics`, so a re-read report says the same; written to
    /// report.json as `"contention"`.
    public var contention: String? { Contention.reason(metrics: metrics) }

    /// The value of a metric for this run: builtin and service metrics from `metrics`
    /// (`exit_code` from the record), custom metrics are series and not answered here.
    public func value(of ref: MetricRef) -> Double? {
        switch ref {
        case .builtin(.exitCode): return exitCode.map(Double.init)
        case .builtin(let m): return metrics[m.rawValue]
        case .service(let svc, let m): return services[svc]?.metrics[m.rawValue]
        case .custom: return nil
        }
    }

    /// Runs of one workload mostly have the same sources and absent reasons word for word: equal
    /// dictionaries take the previous run's storage (copy-on-write, so nothing changes for
    /// either), and the text is kept once instead of ~4 KiB a run.
    public mutating func shareTexts(with previous: RunRecord) {
        if sources == previous.sources { sources = previous.sources }
        if unmeasured == previous.unmeasured { unmeasured = previous.unmeasured }
    }
}

/// The sampler's time series for one run: `t` seconds since exec, CPU % of one core over the
/// interval ending at t, memory bytes of the whole cgroup at t.
public struct Samples: Codable, Sendable, Equatable {
    public var t: [Double]
    public var cpuPercent: [Double]
    public var memory: [Double]
    /// The sampling interval asked for, s. `t` holds the real times, which drift from multiples
    /// of it when the host is loaded; charts break their lines at gaps over 2 intervals.
    public var interval: Double?
    /// Ticks of the schedule that passed without a sample (the sampler thread woke too late).
    public var missedIntervals: Int?

    public init(t: [Double] = [], cpuPercent: [Double] = [], memory: [Double] = [],
                interval: Double? = nil, missedIntervals: Int? = nil) {
        self.t = t; self.cpuPercent = cpuPercent; self.memory = memory
        self.interval = interval; self.missedIntervals = missedIntervals
    }

    enum CodingKeys: String, CodingKey {
        case t, memory, interval
        case cpuPercent = "cpu_percent"
        case missedIntervals = "missed_intervals"
    }
}

/// Every observation of one custom metric in one run, in the base unit of `unit`'s dimension
/// (a workload's `ms` are stored as `s`).
public struct CustomSeries: Codable, Sendable, Equatable {
    public var unit: String
    public var values: [Double]
    public init(unit: String, values: [Double]) { self.unit = unit; self.values = values }
}

public struct CustomMalformed: Codable, Sendable, Equatable {
    public var count: Int
    public var examples: [String]
    public init(count: Int, examples: [String]) { self.count = count; self.examples = examples }
}

/// Captured output, paths relative to the report's output directory.
public struct OutputFiles: Codable, Sendable, Equatable {
    public var stdout: String
    public var stderr: String
    public var truncated: Bool
    public init(stdout: String, stderr: String, truncated: Bool) {
        self.stdout = stdout; self.stderr = stderr; self.truncated = truncated
    }
}

/// Captured output kept in memory: the kept tail of each stream (`output_limit` bytes at most).
public struct CapturedOutput: Sendable, Equatable {
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    public var truncated: Bool
    public init(stdout: [UInt8], stderr: [UInt8], truncated: Bool) {
        self.stdout = stdout; self.stderr = stderr; self.truncated = truncated
    }
}

/// A service's own figures during a run (its own child cgroup).
public struct ServiceRecord: Codable, Sendable, Equatable {
    public var metrics: [String: Double]
    public var unmeasured: [String: String]?
    public var outcome: Outcome?
    public var detail: String?
    /// The service's own CPU and memory over time (its cgroup), t since the workload's exec.
    public var samples: Samples?
    public init(metrics: [String: Double] = [:], unmeasured: [String: String]? = nil,
                outcome: Outcome? = nil, detail: String? = nil, samples: Samples? = nil) {
        self.metrics = metrics; self.unmeasured = unmeasured; self.outcome = outcome; self.detail = detail
        self.samples = samples
    }
}
