import Foundation

/// Small shared pieces of every writer: metric order, units for humans, numbers for machines.
enum ReportText {
    /// Sorts metric keys in the contract's order (SPEC "Metrics (per run)"), then custom
    /// metrics by name, then service metrics by service and the contract's order, then anything else.
    static func sortedMetricKeys<S: Sequence>(_ keys: S) -> [String] where S.Element == String {
        Array(Set(keys)).sorted { orderKey($0) < orderKey($1) }
    }

    private static let builtinIndex: [String: Int] = {
        var d: [String: Int] = [:]
        for (i, m) in Metric.allCases.enumerated() { d[m.rawValue] = i }
        return d
    }()

    private struct OrderKey: Comparable {
        var group: Int; var name: String; var index: Int
        static func < (a: OrderKey, b: OrderKey) -> Bool {
            (a.group, a.name, a.index) < (b.group, b.name, b.index)
        }
    }

    private static func orderKey(_ key: String) -> OrderKey {
        switch MetricRef(key: key) {
        case .builtin(let m)?: return OrderKey(group: 0, name: "", index: builtinIndex[m.rawValue] ?? 0)
        case .custom(let n)?: return OrderKey(group: 1, name: n, index: 0)
        case .service(let s, let m)?: return OrderKey(group: 2, name: s, index: builtinIndex[m.rawValue] ?? 0)
        case nil: return OrderKey(group: 3, name: key, index: 0)
        }
    }

    /// The dimension a stored unit string stands for ("s" → duration); nil for a custom unit.
    static func dimension(ofUnit unit: String?) -> Dimension? {
        switch unit {
        case "s": return .duration
        case "B": return .bytes
        case "B/s": return .rate
        case "%": return .percent
        case "count", "": return .count
        default: return nil
        }
    }

    /// The dimension of a metric key, from the contract or from the stats' stated unit.
    static func dimension(ofKey key: String, unit: String?) -> Dimension {
        if let ref = MetricRef(key: key), ref.dimension != .unknown { return ref.dimension }
        return dimension(ofUnit: unit) ?? .unknown
    }

    /// A value for humans: `1.23s`, `12.0MiB`, `85%`; a custom unit is appended as written.
    static func human(_ value: Double, unit: String?) -> String {
        guard value.isFinite else { return "—" }
        if let d = dimension(ofUnit: unit) { return Units.format(value, d) }
        let n = Units.format(value, .count)
        return unit.map { "\(n) \($0)" } ?? n
    }

    static func human(_ value: Double, dimension: Dimension, unit: String? = nil) -> String {
        guard value.isFinite else { return "—" }
        if dimension == .unknown { return human(value, unit: unit) }
        return Units.format(value, dimension)
    }

    /// An objective's observed value, threshold or CI bound, in the unit family its threshold was
    /// written in: `<= 200MB` shows `268MB vs 200MB`, not `256MiB vs 191MiB`.
    /// Where a baseline objective's baseline came from and the change judged, in one line:
    /// "baseline 279.7 ms (file main/report.json, 5 runs); change +8.3% [+2.1%, +14.0%], allowed +5%".
    public static func baselineLine(_ s: ObjectiveResult) -> String? {
        guard let b = s.baseline else { return nil }
        let source: String = {
            switch b.source {
            case "history": return "history reports " + (b.reports.isEmpty ? "—" : b.reports.joined(separator: ", "))
            case "ab": return "measured in this job from " + (b.reports.first ?? "the base build")
            default: return b.source + (b.reports.isEmpty ? "" : " " + b.reports.joined(separator: ", "))
            }
        }()
        var line = "baseline \(objectiveValue(b.value, s)) (\(source)"
        if let n = b.n { line += ", n=\(n)" }
        line += ")"
        if let c = s.change {
            func v(_ x: Double) -> String {
                c.unit == "%" ? CFormat.text("%+.1f%%", x) : (x >= 0 ? "+" : "−") + human(abs(x), unit: c.unit)
            }
            line += "; change \(v(c.value))"
            if let ci = c.ci, ci.count == 2 { line += " [\(v(ci[0])), \(v(ci[1]))]" }
            line += ", allowed \(v(c.allowed)), \(c.headN) v \(c.baseN)"
        }
        return line
    }

    static func objectiveValue(_ v: Double?, _ s: ObjectiveResult) -> String {
        guard let v, v.isFinite else { return "—" }
        let d = dimension(ofUnit: s.unit)
        if d == .bytes || d == .rate, let t = s.threshold, isDecimalRound(t) {
            return decimalBytes(v, rate: d == .rate)
        }
        return human(v, unit: s.unit)
    }

    /// True for 200e6 (200MB) but not for 268435456 (256MiB) nor 256000 (also 250KiB).
    static func isDecimalRound(_ t: Double) -> Bool {
        guard t >= 1000, t.isFinite else { return false }
        var k = 1000.0, b = 1024.0
        while t / (k * 1000) >= 1 { k *= 1000; b *= 1024 }
        let dec = (t / k).rounded() == t / k
        let bin = (t / b).rounded() == t / b
        return dec && !bin
    }

    static func decimalBytes(_ v: Double, rate: Bool) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var x = v, k = 0
        while abs(x) >= 1000, k < units.count - 1 { x /= 1000; k += 1 }
        let n = Units.format(x, .count)
        return n + units[k] + (rate ? "/s" : "")
    }

    /// Margin as a signed percentage: 0.913 → "+91.3%".
    static func margin(_ m: Double?) -> String {
        guard let m, m.isFinite else { return "—" }
        return CFormat.text("%+.1f%%", m * 100)
    }

    /// A number for machines: integers without a fraction, otherwise the shortest text that
    /// reads back to the same Double. Never "nan"/"inf" (callers skip those).
    static func number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }

    /// A run's value for a column key: builtin and service metrics, `exit_code`, and the mean /
    /// count of a custom metric's observations (`custom.NAME.mean`, `custom.NAME.n`).
    static func runValue(_ run: RunRecord, key: String) -> Double? {
        if let ref = MetricRef(key: key) { return run.value(of: ref) ?? run.metrics[key] }
        return run.metrics[key]
    }

    /// The runs that are measured (not warmup), in order.
    static func measured(_ w: WorkloadReport) -> [RunRecord] { w.runs.filter { !$0.warmup } }

    /// "2 failed, 1 warning, 1 inconclusive, 5 passed" over the objectives; a `warn`-level
    /// objective that failed is a warning, since it does not fail the gate.
    static func objectiveCounts(_ slos: [ObjectiveResult]) -> String {
        func count(_ f: (ObjectiveResult) -> Bool) -> Int { slos.filter(f).count }
        let failed = count { $0.status == .fail && $0.level == .error }
        let warnings = count { $0.status == .fail && $0.level == .warn }
        let parts: [(Int, String, String)] = [
            (failed, "failed", "failed"), (warnings, "warning", "warnings"),
            (count { $0.status == .inconclusive }, "inconclusive", "inconclusive"),
            (count { $0.status == .noData }, "no data", "no data"), (count { $0.status == .pass }, "passed", "passed"),
        ]
        let texts = parts.filter { $0.0 > 0 }.map { "\($0.0) \($0.0 == 1 ? $0.1 : $0.2)" }
        return texts.isEmpty ? "no objectives" : texts.joined(separator: ", ")
    }

    /// Objectives in the order a reader wants them: failing (gate) first, then inconclusive,
    /// warnings (failed `warn` objectives), no data, passing; within each, the smallest margin
    /// (furthest past or closest to the line) first.
    static func objectivesByUrgency(_ slos: [ObjectiveResult]) -> [ObjectiveResult] {
        func rank(_ o: ObjectiveResult) -> Int {
            switch o.status {
            case .fail: return o.level == .error ? 0 : 2
            case .inconclusive: return 1
            case .noData: return 3
            case .pass: return 4
            }
        }
        return slos.enumerated().sorted { a, b in
            let ra = rank(a.element), rb = rank(b.element)
            if ra != rb { return ra < rb }
            let ma = a.element.margin ?? .infinity, mb = b.element.margin ?? .infinity
            if ma != mb { return ma < mb }
            return a.offset < b.offset
        }.map(\.element)
    }

    /// One line per workload with runs measured under host contention:
    /// "build: 2 of 3 runs (run 1: host CPU pressure from other tasks 34 % …)".
    static func contentionLines(_ r: Report) -> [String] {
        r.workloads.compactMap { w in
            let measured = w.runs.filter { !$0.warmup }
            let flagged = measured.filter { $0.contention != nil }
            guard let first = flagged.first else { return nil }
            return "\(w.name): \(flagged.count) of \(measured.count) run\(measured.count == 1 ? "" : "s") "
                + "(run \(first.index): \(first.contention!))"
        }
    }

    /// One-line explanation of a verdict.
    static func verdictSentence(_ r: Report) -> String {
        let failedRuns = r.workloads.reduce(0) { $0 + $1.runs.filter { !$0.warmup && $0.outcome != .ok }.count }
        var s = ReportText.objectiveCounts(r.slos)
        if failedRuns > 0 { s += "; \(failedRuns) run\(failedRuns == 1 ? "" : "s") did not end as expected" }
        return s
    }
}
