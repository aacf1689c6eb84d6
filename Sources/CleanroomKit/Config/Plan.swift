/// The resolved plan: slo.json after decoding, validation, unit conversion and the precedence
/// rules (command line over workload keys over `defaults`). Everything downstream of Config
/// works from these typed values only.
public struct Plan: Sendable {
    public var version: Int
    public var workloads: [WorkloadPlan]
    public var slos: [SLOPlan]
    public var webhooks: [WebhookPlan]
    /// The file the plan came from (for messages and reports).
    public var source: String

    public init(version: Int = 1, workloads: [WorkloadPlan], slos: [SLOPlan] = [], webhooks: [WebhookPlan] = [], source: String = "slo.json") {
        self.version = version; self.workloads = workloads; self.slos = slos; self.webhooks = webhooks; self.source = source
    }
}

public struct Limits: Equatable, Sendable, Codable {
    /// Bytes; swap is never allowed on top.
    public var memory: UInt64?
    /// Cores, e.g. 1.5 → a quota of 150 ms per 100 ms period.
    public var cpus: Double?
    public var pids: Int?
    /// Bytes per second on the device that holds `cwd`.
    public var diskReadRate: UInt64?
    public var diskWriteRate: UInt64?

    public init(memory: UInt64? = nil, cpus: Double? = nil, pids: Int? = nil, diskReadRate: UInt64? = nil, diskWriteRate: UInt64? = nil) {
        self.memory = memory; self.cpus = cpus; self.pids = pids; self.diskReadRate = diskReadRate; self.diskWriteRate = diskWriteRate
    }
}

public enum NetworkMode: String, Equatable, Sendable, Codable, CaseIterable { case none, host }

public enum FilesystemMode: String, Equatable, Sendable, Codable, CaseIterable {
    case host
    case privateTmp = "private-tmp"
    case readonly
}

public enum SeccompMode: Equatable, Sendable {
    case `default`, strict, none
    /// An OCI / Docker seccomp JSON profile.
    case profile(path: String)

    public init(_ text: String) {
        switch text {
        case "default": self = .default
        case "strict": self = .strict
        case "none": self = .none
        default: self = .profile(path: text)
        }
    }

    public var name: String {
        switch self {
        case .default: return "default"
        case .strict: return "strict"
        case .none: return "none"
        case .profile(let p): return p
        }
    }
}

public struct SandboxSettings: Equatable, Sendable {
    public var network: NetworkMode
    public var seccomp: SeccompMode
    public var filesystem: FilesystemMode
    /// Capabilities added to Docker's default set (canonical names such as `NET_ADMIN`, or `ALL`).
    public var capabilities: [String]
    public init(network: NetworkMode = .none, seccomp: SeccompMode = .default, filesystem: FilesystemMode = .privateTmp,
                capabilities: [String] = []) {
        self.network = network; self.seccomp = seccomp; self.filesystem = filesystem; self.capabilities = capabilities
    }
}

public enum ReadyCheck: Equatable, Sendable {
    case tcp(port: Int)
    case http(url: String)
    case log(regex: String)
}

public struct ServicePlan: Equatable, Sendable {
    public var name: String
    public var command: [String]
    public var ready: ReadyCheck
    /// Seconds.
    public var readyTimeout: Double
    public var env: [String: String]
    public var cwd: String?
    /// The service's own limits (same keys as a workload's); none by default.
    public var limits: Limits
    public init(name: String, command: [String], ready: ReadyCheck, readyTimeout: Double = Defaults.readyTimeout, env: [String: String] = [:], cwd: String? = nil,
                limits: Limits = Limits()) {
        self.name = name; self.command = command; self.ready = ready; self.readyTimeout = readyTimeout; self.env = env; self.cwd = cwd
        self.limits = limits
    }
}

public struct WorkloadPlan: Equatable, Sendable {
    public var name: String
    public var command: [String]
    /// Absolute path (resolved against the config file's directory).
    public var cwd: String
    /// Extra environment on top of the scrubbed one (PATH, HOME, LANG, TERM).
    public var env: [String: String]
    public var prepare: [String]?
    public var setup: [String]?
    public var teardown: [String]?
    public var repeatCount: Int
    public var warmup: Int
    public var maxRepeat: Int
    /// Seconds; nil = no timeout.
    public var timeout: Double?
    /// Seconds between SIGTERM and SIGKILL.
    public var killGrace: Double
    /// Bytes of stdout / stderr kept (the tail).
    public var outputLimit: Int
    /// Sampling interval in seconds.
    public var sampling: Double
    /// false when `"noise": "off"` applies.
    public var noise: Bool
    public var expectExit: Int
    public var limits: Limits
    public var sandbox: SandboxSettings
    public var services: [ServicePlan]
    /// Benchmark / load-tool outputs and metrics endpoints read into custom metrics (Adapters/).
    public var metricsFrom: [MetricsSource] = []

    public init(name: String, command: [String], cwd: String, env: [String: String] = [:], prepare: [String]? = nil,
                setup: [String]? = nil, teardown: [String]? = nil, repeatCount: Int = Defaults.repeatCount,
                warmup: Int = Defaults.warmup, maxRepeat: Int? = nil, timeout: Double? = Defaults.timeout,
                killGrace: Double = Defaults.killGrace, outputLimit: Int = Defaults.outputLimit,
                sampling: Double = Defaults.sampling, noise: Bool = true, expectExit: Int = Defaults.expectExit, limits: Limits = Limits(),
                sandbox: SandboxSettings = SandboxSettings(), services: [ServicePlan] = []) {
        self.name = name; self.command = command; self.cwd = cwd; self.env = env; self.prepare = prepare
        self.setup = setup; self.teardown = teardown; self.repeatCount = repeatCount; self.warmup = warmup
        self.maxRepeat = maxRepeat ?? 3 * repeatCount; self.timeout = timeout; self.killGrace = killGrace
        self.outputLimit = outputLimit; self.sampling = sampling; self.noise = noise; self.expectExit = expectExit
        self.limits = limits; self.sandbox = sandbox; self.services = services
    }
}

public struct SLOPlan: Equatable, Sendable {
    public var name: String
    /// A workload name, or "*".
    public var workload: String
    public var objective: Objective
    public var level: Level
    /// false when `"noise": "off"` is set on the objective (or in defaults).
    public var noise: Bool
    public init(name: String, workload: String, objective: Objective, level: Level = .error, noise: Bool = true) {
        self.name = name; self.workload = workload; self.objective = objective; self.level = level; self.noise = noise
    }
}

public enum WebhookFormat: String, Equatable, Sendable, CaseIterable { case json, slack }

public struct WebhookPlan: Equatable, Sendable {
    /// Name of the environment variable holding the URL: the URL itself never enters the plan's text output.
    public var urlEnv: String
    public var format: WebhookFormat
    public var secretEnv: String?
    public var on: [Verdict]
    public init(urlEnv: String, format: WebhookFormat = .json, secretEnv: String? = nil, on: [Verdict] = [.fail]) {
        self.urlEnv = urlEnv; self.format = format; self.secretEnv = secretEnv; self.on = on
    }
}
