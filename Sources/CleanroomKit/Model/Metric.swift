/// The physical dimension of a figure. Units in slo.json are checked against it, so that
/// `max(memory_peak) <= 10s` is an error rather than a silent nonsense comparison.
public enum Dimension: String, Codable, Sendable, CaseIterable {
    case duration   // base unit: seconds
    case bytes      // base unit: bytes
    case rate       // base unit: bytes per second
    case percent    // base unit: percent of one core (100 = one full core)
    case count      // base unit: a plain number
    case unknown    // custom metrics whose unit the workload did not state

    /// The unit figures of this dimension are stored in (report.json, stats).
    public var baseUnit: String {
        switch self {
        case .duration: return "s"
        case .bytes: return "B"
        case .rate: return "B/s"
        case .percent: return "%"
        case .count: return "count"
        case .unknown: return ""
        }
    }
}

/// The per-run metrics of the contract (SPEC "Metrics (per run)"). Raw values are the keys
/// used in report.json, objectives and CSV columns.
public enum Metric: String, Codable, Sendable, CaseIterable {
    case wallTime = "wall_time"
    case startupTime = "startup_time"
    case startupCPU = "startup_cpu"
    case cpuTime = "cpu_time"
    case cpuUser = "cpu_user"
    case cpuSystem = "cpu_system"
    case cpuPercent = "cpu_percent"
    case cpuPercentPeak = "cpu_percent_peak"
    case cpuThrottledTime = "cpu_throttled_time"
    case memoryPeak = "memory_peak"
    case memoryAvg = "memory_avg"
    case rssPeak = "rss_peak"
    case anonPeak = "anon_peak"
    case maxRSS = "max_rss"
    case diskReadBytes = "disk_read_bytes"
    case diskWriteBytes = "disk_write_bytes"
    case netRxBytes = "net_rx_bytes"
    case netTxBytes = "net_tx_bytes"
    case pidsPeak = "pids_peak"
    case cpuPressure = "cpu_pressure"
    case memoryPressure = "memory_pressure"
    case ioPressure = "io_pressure"
    case hostCPUPressure = "host_cpu_pressure"
    case stealTime = "steal_time"
    case exitCode = "exit_code"

    public var dimension: Dimension {
        switch self {
        case .wallTime, .startupTime, .startupCPU, .cpuTime, .cpuUser, .cpuSystem, .cpuThrottledTime,
             .cpuPressure, .memoryPressure, .ioPressure, .hostCPUPressure, .stealTime:
            return .duration
        case .cpuPercent, .cpuPercentPeak:
            return .percent
        case .memoryPeak, .memoryAvg, .rssPeak, .anonPeak, .maxRSS, .diskReadBytes, .diskWriteBytes, .netRxBytes, .netTxBytes:
            return .bytes
        case .pidsPeak, .exitCode:
            return .count
        }
    }

    /// Metrics a service (`svc.NAME.METRIC`) can have: those measured from its own cgroup.
    public static let serviceMetrics: [Metric] = [
        .cpuTime, .cpuUser, .cpuSystem, .cpuPercent, .memoryPeak, .diskReadBytes, .diskWriteBytes, .pidsPeak,
    ]
}

/// What an objective or a report column refers to: a contract metric, a custom metric the
/// workload reported (`custom.NAME`), or a service's metric (`svc.NAME.METRIC`).
public enum MetricRef: Hashable, Codable, Sendable, CustomStringConvertible {
    case builtin(Metric)
    case custom(String)
    case service(String, Metric)

    /// The key as written in slo.json and report.json.
    public var key: String {
        switch self {
        case .builtin(let m): return m.rawValue
        case .custom(let name): return "custom." + name
        case .service(let svc, let m): return "svc.\(svc).\(m.rawValue)"
        }
    }

    public var description: String { key }

    /// Custom metrics carry their own unit; everything else has a fixed dimension.
    public var dimension: Dimension {
        switch self {
        case .builtin(let m), .service(_, let m): return m.dimension
        case .custom: return .unknown
        }
    }

    /// Parses `wall_time`, `custom.request_latency`, `svc.api.memory_peak`. Returns nil for
    /// anything else (the config validator turns that into a diagnostic with a hint).
    public init?(key: String) {
        if key.hasPrefix("custom.") {
            // A tag set (`custom.latency{op=set}`) is put in the order the series names use.
            guard let name = CustomTags.canonical(String(key.dropFirst("custom.".count))), !name.isEmpty else { return nil }
            self = .custom(name)
        } else if key.hasPrefix("svc.") {
            let rest = key.dropFirst("svc.".count)
            guard let dot = rest.lastIndex(of: "."),
                  let m = Metric(rawValue: String(rest[rest.index(after: dot)...])) else { return nil }
            let svc = String(rest[..<dot])
            guard !svc.isEmpty else { return nil }
            self = .service(svc, m)
        } else if let m = Metric(rawValue: key) {
            self = .builtin(m)
        } else {
            return nil
        }
    }

    public init(from decoder: Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        guard let r = MetricRef(key: s) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown metric \(s)"))
        }
        self = r
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(key)
    }
}
