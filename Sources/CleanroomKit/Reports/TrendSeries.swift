/// One trend chart of report.html: an aggregate of one metric of one workload (e.g.
/// `median(wall_time)`) in each of the last recorded reports of the history, oldest first,
/// with the current run as the last point. Built by `HistoryStore.reportTrends(for:)`; drawn
/// by `HTMLTrend`. Values are in `unit` (the metric's base unit, or the custom series' unit).
public struct TrendSeries: Sendable, Equatable {
    /// The aggregate of one report (or of this run) for this metric.
    public struct Point: Sendable, Equatable {
        /// The history's id of the recorded report; nil for the current run.
        public var reportID: Int64?
        public var startedAt: String
        public var labels: [String: String]
        public var verdict: String
        public var value: Double
        /// How many values the aggregate is over: measured runs, or observations of a custom metric.
        public var n: Int
        public init(reportID: Int64?, startedAt: String, labels: [String: String], verdict: String, value: Double, n: Int) {
            self.reportID = reportID; self.startedAt = startedAt; self.labels = labels
            self.verdict = verdict; self.value = value; self.n = n
        }
        public var isCurrent: Bool { reportID == nil }
    }

    /// An absolute objective on this very aggregate, drawn as a horizontal line.
    public struct Threshold: Sendable, Equatable {
        public var name: String
        /// As written in slo.json, e.g. `max(memory_peak) <= 96MiB`.
        public var objective: String
        public var value: Double
        public var comparison: Comparison
        public var level: Level
        public init(name: String, objective: String, value: Double, comparison: Comparison, level: Level) {
            self.name = name; self.objective = objective; self.value = value; self.comparison = comparison; self.level = level
        }
        /// True when `v` is on the failing side of this line.
        public func violated(by v: Double) -> Bool { !comparison.holds(v, value) }
    }

    /// Metric key as in report.json: `wall_time`, `custom.latency`, `svc.api.memory_peak`.
    public var metric: String
    /// The aggregate plotted, as written in objectives: `median`, `max`, `p99`, …
    public var aggregate: String
    public var unit: String
    /// Oldest first; the current run, when it has a value, is the last point.
    public var points: [Point]
    public var thresholds: [Threshold]
    /// The `branch` label the history was filtered on; nil when every report counted.
    public var branch: String?
    /// How many recorded reports were looked back over at most.
    public var depth: Int
    /// Why the current run is not the last point (the metric was not measured in it), if so.
    public var currentMissing: String?

    public init(metric: String, aggregate: String, unit: String, points: [Point], thresholds: [Threshold] = [],
                branch: String? = nil, depth: Int = 20, currentMissing: String? = nil) {
        self.metric = metric; self.aggregate = aggregate; self.unit = unit; self.points = points
        self.thresholds = thresholds; self.branch = branch; self.depth = depth; self.currentMissing = currentMissing
    }

    /// `median(wall_time)`.
    public var title: String { "\(aggregate)(\(metric))" }
    /// The points from the history, without the current run.
    public var recorded: [Point] { points.filter { !$0.isCurrent } }
}
