/// report.json (`schema: "cleanroom/report@1"`), SPEC "Report". The one document every other
/// format is rendered from, and what `check`, `compare`, `report` and `merge` read back.
public struct Report: Codable, Sendable, Equatable {
    public static let schemaID = "cleanroom/report@1"

    public var schema: String = Report.schemaID
    public var verdict: Verdict
    public var startedAt: String
    public var finishedAt: String
    public var host: HostInfo
    public var workloads: [WorkloadReport]
    public var slos: [ObjectiveResult]
    public var alerts: [AlertResult]
    /// Additions to the contract: `--label`s, how runs were scheduled, shard, config file.
    public var labels: [String: String]
    public var parallel: Int?
    public var shard: String?
    public var config: String?
    public var cleanroomVersion: String?
    /// Report or capture files that could not be written (the verdict is then `error`).
    public var outputErrors: [String]?

    public init(verdict: Verdict, startedAt: String, finishedAt: String, host: HostInfo,
                workloads: [WorkloadReport] = [], slos: [ObjectiveResult] = [], alerts: [AlertResult] = [],
                labels: [String: String] = [:], parallel: Int? = nil, shard: String? = nil,
                config: String? = nil, cleanroomVersion: String? = nil) {
        self.verdict = verdict; self.startedAt = startedAt; self.finishedAt = finishedAt; self.host = host
        self.workloads = workloads; self.slos = slos; self.alerts = alerts; self.labels = labels
        self.parallel = parallel; self.shard = shard; self.config = config; self.cleanroomVersion = cleanroomVersion
    }

    enum CodingKeys: String, CodingKey {
        case schema, verdict, host, workloads, slos, alerts, labels, parallel, shard, config
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case cleanroomVersion = "cleanroom_version"
        case outputErrors = "output_errors"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schema = try c.decode(String.self, forKey: .schema)
        verdict = try c.decode(Verdict.self, forKey: .verdict)
        startedAt = try c.decode(String.self, forKey: .startedAt)
        finishedAt = try c.decode(String.self, forKey: .finishedAt)
        host = try c.decode(HostInfo.self, forKey: .host)
        workloads = try c.decodeIfPresent([WorkloadReport].self, forKey: .workloads) ?? []
        slos = try c.decodeIfPresent([ObjectiveResult].self, forKey: .slos) ?? []
        alerts = try c.decodeIfPresent([AlertResult].self, forKey: .alerts) ?? []
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        parallel = try c.decodeIfPresent(Int.self, forKey: .parallel)
        shard = try c.decodeIfPresent(String.self, forKey: .shard)
        config = try c.decodeIfPresent(String.self, forKey: .config)
        cleanroomVersion = try c.decodeIfPresent(String.self, forKey: .cleanroomVersion)
        outputErrors = try c.decodeIfPresent([String].self, forKey: .outputErrors)
    }
}

public struct HostInfo: Codable, Sendable, Equatable {
    public var kernel: String
    public var cpus: Int
    /// "v2" | "v1" | "hybrid" | "none"
    public var cgroup: String
    /// One sentence per thing that was asked for and not enforced or not measurable on this host.
    public var degraded: [String]
    public init(kernel: String, cpus: Int, cgroup: String, degraded: [String] = []) {
        self.kernel = kernel; self.cpus = cpus; self.cgroup = cgroup; self.degraded = degraded
    }
}

public struct WorkloadReport: Codable, Sendable, Equatable {
    public var name: String
    public var command: [String]
    public var runs: [RunRecord]
    /// Metric key → statistics over the measured (non-warmup) runs; custom metrics over all observations.
    public var stats: [String: Stats]
    /// Why the workload could not run as planned (a failed `setup` or `teardown`); an addition.
    public var error: String?
    /// `--baseline-from DIR`: the base build's runs, measured in this job, interleaved ABBA with `runs`
    /// (additions; docs/statistics.md "A/B in one job").
    public var baseRuns: [RunRecord]?
    /// `--baseline-from DIR`: the directory the base runs ran in (the workload's cwd inside DIR).
    public var baseCwd: String?
    /// Per metric: the run-to-run noise of this workload and the smallest change its runs can decide.
    public var noise: [String: NoiseFigure]?
    public init(name: String, command: [String], runs: [RunRecord] = [], stats: [String: Stats] = [:], error: String? = nil) {
        self.name = name; self.command = command; self.runs = runs; self.stats = stats; self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case name, command, runs, stats, error, noise
        case baseRuns = "base_runs", baseCwd = "base_cwd"
    }
}

/// A workload's noise on one metric (docs/statistics.md "Noise of a workload").
public struct NoiseFigure: Codable, Sendable, Equatable {
    /// Coefficient of variation of the measured runs (sample stddev / mean), in percent.
    public var cv: Double
    public var n: Int
    /// The smallest relative change (percent) a comparison at `n` runs a side can tell from none:
    /// the half-width of the 95 % interval of the change in medians (≈ 1.96 · 1.25 · cv · √(2/n)).
    public var smallestChange: Double
    /// The same at the workload's `max_repeat`.
    public var smallestChangeAtMaxRepeat: Double?
    public init(cv: Double, n: Int, smallestChange: Double, smallestChangeAtMaxRepeat: Double?) {
        self.cv = cv; self.n = n; self.smallestChange = smallestChange; self.smallestChangeAtMaxRepeat = smallestChangeAtMaxRepeat
    }
    enum CodingKeys: String, CodingKey {
        case cv, n
        case smallestChange = "smallest_change", smallestChangeAtMaxRepeat = "smallest_change_at_max_repeat"
    }
}

public struct Stats: Codable, Sendable, Equatable {
    public var n: Int
    public var min: Double
    public var max: Double
    public var mean: Double
    public var median: Double
    public var stddev: Double
    public var p50: Double
    public var p90: Double
    public var p95: Double
    public var p99: Double
    public var unit: String?
    public init(n: Int, min: Double, max: Double, mean: Double, median: Double, stddev: Double,
                p50: Double, p90: Double, p95: Double, p99: Double, unit: String? = nil) {
        self.n = n; self.min = min; self.max = max; self.mean = mean; self.median = median
        self.stddev = stddev; self.p50 = p50; self.p90 = p90; self.p95 = p95; self.p99 = p99; self.unit = unit
    }
}

public struct ObjectiveResult: Codable, Sendable, Equatable {
    public var name: String
    public var workload: String
    public var objective: String
    public var level: Level
    public var observed: Double?
    public var threshold: Double?
    public var unit: String
    public var status: ObjectiveStatus
    /// Relative distance from the threshold, positive on the passing side: e.g. 0.913 when
    /// max(wall_time) = 1.3 s against <= 15 s.
    public var margin: Double?
    /// 95 % bootstrap confidence interval of the aggregate, when noise was judged.
    public var ci: [Double]?
    public var runsAdded: Int?
    /// Why the status is what it is when the numbers alone do not say (no baseline, no runs).
    public var reason: String?
    /// A baseline objective: the change from the baseline judged (an addition, docs/statistics.md).
    public var change: ChangeRecord?
    /// A baseline objective: which baseline was used (SPEC "Report").
    public var baseline: BaselineRecord?
    /// The custom metric this result is about when the objective names a glob
    /// (`custom.BM_*.real_time` gives one result per matching metric); nil otherwise.
    public var metric: String?
    public init(name: String, workload: String, objective: String, level: Level, observed: Double?,
                threshold: Double?, unit: String, status: ObjectiveStatus, margin: Double? = nil,
                ci: [Double]? = nil, runsAdded: Int? = nil, reason: String? = nil) {
        self.name = name; self.workload = workload; self.objective = objective; self.level = level
        self.observed = observed; self.threshold = threshold; self.unit = unit; self.status = status
        self.margin = margin; self.ci = ci; self.runsAdded = runsAdded; self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case name, workload, objective, level, observed, threshold, unit, status, margin, ci, reason, change, baseline, metric
        case runsAdded = "runs_added"
    }

    /// Every key is written, a missing value as null (SPEC "Report": "every key of an objective
    /// result is present"), so a `no_data` result still has `threshold` and `margin`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name); try c.encode(workload, forKey: .workload)
        try c.encode(objective, forKey: .objective); try c.encode(level, forKey: .level)
        try c.encode(observed, forKey: .observed); try c.encode(threshold, forKey: .threshold)
        try c.encode(unit, forKey: .unit); try c.encode(status, forKey: .status)
        try c.encode(margin, forKey: .margin); try c.encode(ci, forKey: .ci)
        try c.encode(runsAdded, forKey: .runsAdded); try c.encode(reason, forKey: .reason)
        try c.encode(change, forKey: .change); try c.encode(baseline, forKey: .baseline)
        try c.encode(metric, forKey: .metric)
    }
}

/// The change a baseline objective judged: head aggregate against the baseline's, with the
/// interval of the change over both samples.
public struct ChangeRecord: Codable, Sendable, Equatable {
    /// "%" for `baseline ± N%`, else the metric's unit.
    public var unit: String
    public var value: Double
    /// 95 % interval of `value` (bootstrap over both samples); nil when noise was not judged.
    public var ci: [Double]?
    /// The change the objective allows (signed, in `unit`): 5 for `baseline + 5%`.
    public var allowed: Double
    public var headN: Int
    public var baseN: Int
    public init(unit: String, value: Double, ci: [Double]?, allowed: Double, headN: Int, baseN: Int) {
        self.unit = unit; self.value = value; self.ci = ci; self.allowed = allowed; self.headN = headN; self.baseN = baseN
    }
    enum CodingKeys: String, CodingKey {
        case unit, value, ci, allowed
        case headN = "head_n", baseN = "base_n"
    }
}

/// Where a baseline came from (SPEC "Report"): `file` (a saved report), `history` (recorded
/// reports), or `ab` (base runs measured in the same job, `--baseline-from`).
public struct BaselineRecord: Codable, Sendable, Equatable {
    public var source: String
    /// The report file, the history's report ids, or the base build's directory.
    public var reports: [String]
    /// The baseline's aggregate (same aggregate and unit as `observed`).
    public var value: Double?
    /// How many values of the baseline were used (runs; observations for custom metrics).
    public var n: Int?
    public init(source: String, reports: [String], value: Double? = nil, n: Int? = nil) {
        self.source = source; self.reports = reports; self.value = value; self.n = n
    }
}

public struct AlertResult: Codable, Sendable, Equatable {
    /// The webhook's host only: URLs and secrets never reach reports.
    public var target: String
    public var format: String
    /// "delivered" | "failed" | "pending"
    public var status: String
    public var attempts: Int
    public var error: String?
    /// The HTTP status of the last answer, when there was one (a 3xx is `failed`: never followed).
    public var httpStatus: Int?
    public init(target: String, format: String, status: String, attempts: Int, error: String? = nil,
                httpStatus: Int? = nil) {
        self.target = target; self.format = format; self.status = status; self.attempts = attempts; self.error = error
        self.httpStatus = httpStatus
    }

    enum CodingKeys: String, CodingKey {
        case target, format, status, attempts, error
        case httpStatus = "http_status"
    }
}
