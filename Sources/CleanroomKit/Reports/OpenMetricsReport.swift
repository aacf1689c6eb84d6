import Foundation

/// metrics.prom (format `openmetrics`): the report's statistics as OpenMetrics gauges, for a
/// Prometheus Pushgateway or node_exporter's textfile collector. Only `gauge` families are used
/// and the OpenMetrics-only lines (`# UNIT`, `# EOF`) are comments to a Prometheus 0.0.4 text
/// parser, so the one file suits both. Values are in base units (seconds, bytes, percent).
///
/// Families (see docs/reports.md):
/// - `cleanroom_<metric>_<unit>{workload,stat}` per contract metric, e.g.
///   `cleanroom_wall_time_seconds{workload="x",stat="median"} 1.23`; `stat` is one of
///   min max mean median stddev p50 p90 p95 p99;
/// - `cleanroom_custom[_<unit>]{workload,metric,stat}` for custom metrics (`unit` label when
///   the workload's unit has no base unit), `cleanroom_svc_<metric>_<unit>{workload,service,stat}`;
/// - `cleanroom_observations{workload,metric}`: how many values each statistic is over;
/// - `cleanroom_runs{workload,outcome}`: measured runs per outcome;
/// - `cleanroom_slo_status{slo,workload,level,status}`: 1 for the objective's status, 0 for the others;
///   `cleanroom_slo_observed` / `_threshold` / `_margin{slo,workload,unit}`;
/// - `cleanroom_verdict{verdict}`: 1 for the verdict, 0 for the others; `cleanroom_host_degraded`.
public enum OpenMetricsReport {
    static let statOrder = ["min", "max", "mean", "median", "stddev", "p50", "p90", "p95", "p99"]

    private struct Family {
        var name: String
        var help: String
        var unit: String?
        var samples: [String] = []
    }

    public static func render(_ report: Report) -> String {
        var families: [Family] = []
        var index: [String: Int] = [:]
        func add(_ name: String, help: String, unit: String?, labels: [(String, String)], value: Double) {
            guard value.isFinite else { return }   // an absent figure stays absent
            if index[name] == nil {
                index[name] = families.count
                families.append(Family(name: name, help: help, unit: unit))
            }
            let lbl = labels.map { "\($0.0)=\"\(labelValue($0.1))\"" }.joined(separator: ",")
            families[index[name]!].samples.append("\(name){\(lbl)} \(ReportText.number(value))")
        }

        for v in Verdict.allCases {
            add("cleanroom_verdict", help: "The run's verdict: 1 for the verdict, 0 for the others.", unit: nil,
                labels: [("verdict", v.rawValue)], value: report.verdict == v ? 1 : 0)
        }
        add("cleanroom_host_degraded", help: "How many requested limits or measurements the host could not provide.",
            unit: nil, labels: [], value: Double(report.host.degraded.count))

        for w in report.workloads {
            let measured = ReportText.measured(w)
            for o in Outcome.allCases {
                add("cleanroom_runs", help: "Measured (non-warmup) runs of each workload by outcome.", unit: nil,
                    labels: [("workload", w.name), ("outcome", o.rawValue)],
                    value: Double(measured.filter { $0.outcome == o }.count))
            }
        }
        for w in report.workloads {
            for key in ReportText.sortedMetricKeys(w.stats.keys) {
                guard let st = w.stats[key], MetricRef(key: key) != nil else { continue }
                add("cleanroom_observations", help: "How many values each metric's statistics are computed over.",
                    unit: nil, labels: [("workload", w.name), ("metric", key)], value: Double(st.n))
            }
        }
        for w in report.workloads {
            for key in ReportText.sortedMetricKeys(w.stats.keys) {
                guard let st = w.stats[key], let ref = MetricRef(key: key) else { continue }
                let dim = ReportText.dimension(ofKey: key, unit: st.unit)
                let (suffix, unit) = unitSuffix(dim)
                var labels: [(String, String)] = [("workload", w.name)]
                let base: String
                let help: String
                switch ref {
                case .builtin(let m):
                    base = "cleanroom_" + sanitize(m.rawValue)
                    help = "\(m.rawValue) over the measured runs, by statistic."
                case .custom(let n):
                    base = "cleanroom_custom"
                    labels.append(("metric", n))
                    if dim == .unknown, let u = st.unit, !u.isEmpty { labels.append(("unit", u)) }
                    help = "Custom metrics the workloads reported, over every observation, by statistic."
                case .service(let svc, let m):
                    base = "cleanroom_svc_" + sanitize(m.rawValue)
                    labels.append(("service", svc))
                    help = "Services' \(m.rawValue) over the measured runs, by statistic."
                }
                let name = base.hasSuffix(suffix) ? base : base + suffix
                let values: [String: Double] = ["min": st.min, "max": st.max, "mean": st.mean, "median": st.median,
                                                "stddev": st.stddev, "p50": st.p50, "p90": st.p90, "p95": st.p95, "p99": st.p99]
                for stat in statOrder {
                    add(name, help: help, unit: unit, labels: labels + [("stat", stat)], value: values[stat]!)
                }
            }
        }
        for s in report.slos {
            let id: [(String, String)] = [("slo", s.name), ("workload", s.workload)]
            for st in ObjectiveStatus.allCases {
                add("cleanroom_slo_status", help: "Each objective's status: 1 for its status, 0 for the others.", unit: nil,
                    labels: id + [("level", s.level.rawValue), ("status", st.rawValue)], value: s.status == st ? 1 : 0)
            }
        }
        for s in report.slos {
            if let o = s.observed {
                add("cleanroom_slo_observed", help: "Each objective's observed aggregate, in the base unit of its metric.",
                    unit: nil, labels: [("slo", s.name), ("workload", s.workload), ("unit", s.unit)], value: o)
            }
        }
        for s in report.slos {
            if let t = s.threshold {
                add("cleanroom_slo_threshold", help: "Each objective's threshold, in the base unit of its metric.",
                    unit: nil, labels: [("slo", s.name), ("workload", s.workload), ("unit", s.unit)], value: t)
            }
        }
        for s in report.slos {
            if let m = s.margin {
                add("cleanroom_slo_margin", help: "Relative distance from the threshold, positive on the passing side.",
                    unit: nil, labels: [("slo", s.name), ("workload", s.workload)], value: m)
            }
        }

        var out = ""
        for f in families where !f.samples.isEmpty {
            out += "# TYPE \(f.name) gauge\n"
            if let u = f.unit { out += "# UNIT \(f.name) \(u)\n" }
            out += "# HELP \(f.name) \(helpText(f.help))\n"
            out += f.samples.joined(separator: "\n") + "\n"
        }
        out += "# EOF\n"
        return out
    }

    /// Name suffix and OpenMetrics unit for a dimension (the family name must end with the unit).
    static func unitSuffix(_ d: Dimension) -> (String, String?) {
        switch d {
        case .duration: return ("_seconds", "seconds")
        case .bytes: return ("_bytes", "bytes")
        case .rate: return ("_bytes_per_second", "bytes_per_second")
        case .percent: return ("_percent", "percent")
        case .count, .unknown: return ("", nil)
        }
    }

    /// A metric-name fragment: `[a-zA-Z0-9_]`, anything else becomes `_`.
    public static func sanitize(_ s: String) -> String {
        var out = String(s.unicodeScalars.map { u -> Character in
            let ok = (u >= "a" && u <= "z") || (u >= "A" && u <= "Z") || (u >= "0" && u <= "9") || u == "_"
            return ok ? Character(u) : "_"
        })
        if out.isEmpty || ("0"..."9").contains(out.unicodeScalars.first!) { out = "_" + out }
        return out
    }

    /// Label value escaping: backslash, double quote, line feed.
    public static func labelValue(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    static func helpText(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }
}
