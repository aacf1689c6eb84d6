import Foundation

/// Where `{ "format": "prometheus", "service": "api", "path": "/metrics" }` (or `"url":
/// "http://127.0.0.1:9100/metrics"`) points. With `service`, the port is `port` if given, else the
/// service's readiness port (`ready.tcp`, or the port of `ready.http`).
public struct PrometheusTarget: Equatable, Sendable {
    public var service: String?
    public var url: String
    public init(service: String?, url: String) { self.service = service; self.url = url }
    public var label: String { service.map { "service \($0) \(url)" } ?? url }
}

/// Turns two scrapes of a Prometheus / OpenMetrics endpoint — before and after the workload —
/// into observations (one per run): counters → the increase (`custom.NAME`, a reset counted from 0
/// as Prometheus' `increase` does), gauges and untyped → the value after, histograms →
/// `custom.NAME.p50 .p90 .p99` of the buckets' increase, interpolated as `histogram_quantile` does,
/// plus `.count` and `.sum` (increases), summaries → their own quantiles after (`.p50`…) plus
/// `.count` and `.sum`. Labels other than `le`/`quantile` split the series as tags do:
/// `custom.http_requests_total{code=200}`, `custom.latency_seconds.p99{route=/api}`. Names ending in
/// `_seconds` are in s, `_bytes` in B (also with `_total`, or an OpenMetrics `# UNIT`).
public enum PrometheusScrape {
    public static let format = "prometheus"
    public static let quantiles: [(Double, String)] = [(0.5, "p50"), (0.9, "p90"), (0.99, "p99")]

    public static func observations(before: PrometheusText, after: PrometheusText) -> AdapterOutput {
        var out = AdapterOutput()
        out.malformed = after.malformed.map { "after the workload: \($0)" } + before.malformed.map { "before the workload: \($0)" }
        for fam in after.families {
            let old = before.family(fam.name)
            let unit = unitOf(fam)
            switch fam.kind {
            case .counter:
                for s in fam.samples where !s.name.hasSuffix("_created") {
                    let prev = old?.samples.first { $0.name == s.name && $0.labelKey() == s.labelKey() }?.value ?? 0
                    add(&out, s.name, "", s.labelKey(), s.value >= prev ? s.value - prev : s.value, unit)
                }
            case .gauge, .untyped, .unknown:
                for s in fam.samples { add(&out, s.name, "", s.labelKey(), s.value, unit) }
            case .histogram, .gaugehistogram:
                histogram(fam, old, unit, &out)
            case .summary:
                for s in fam.samples {
                    if let q = s.label("quantile").flatMap(Double.init) {
                        add(&out, fam.name, percentileName(q), s.labelKey(except: ["quantile"]), s.value, unit)
                    } else if s.name == fam.name + "_count" || s.name == fam.name + "_sum" {
                        let prev = old?.samples.first { $0.name == s.name && $0.labelKey() == s.labelKey() }?.value ?? 0
                        let isCount = s.name.hasSuffix("_count")
                        add(&out, fam.name, isCount ? "count" : "sum", s.labelKey(), max(0, s.value - prev), isCount ? "" : unit)
                    }
                }
            case .info, .stateset:
                continue
            }
        }
        return out
    }

    static func add(_ out: inout AdapterOutput, _ name: String, _ measure: String, _ labels: String, _ v: Double, _ unit: String) {
        guard v.isFinite else { return }   // NaN gauges, an empty histogram's quantiles: no observation
        out.observations.append(.init(name: AdapterNames.sanitise(name) + (measure.isEmpty ? "" : "." + measure) + labels, value: v, unit: unit))
    }

    static func histogram(_ fam: PrometheusText.Family, _ old: PrometheusText.Family?, _ unit: String, _ out: inout AdapterOutput) {
        // Group bucket, sum and count samples by their labels other than `le`.
        var series: [String: [PrometheusText.Sample]] = [:]
        var order: [String] = []
        for s in fam.samples {
            let k = s.labelKey(except: ["le"])
            if series[k] == nil { order.append(k) }
            series[k, default: []].append(s)
        }
        for key in order {
            let now = series[key]!
            let prev = old?.samples.filter { $0.labelKey(except: ["le"]) == key } ?? []
            func increase(_ s: PrometheusText.Sample) -> Double {
                let p = prev.first { $0.name == s.name && $0.label("le") == s.label("le") }?.value ?? 0
                return s.value >= p ? s.value - p : s.value
            }
            var buckets: [(le: Double, count: Double)] = []
            for s in now where s.name == fam.name + "_bucket" {
                guard let le = s.label("le").flatMap({ PrometheusText.number(Substring($0)) }) else {
                    out.reject("\(fam.name)\(key): a bucket without a numeric le"); continue
                }
                buckets.append((le, increase(s)))
            }
            buckets.sort { $0.le < $1.le }
            for (q, label) in quantiles {
                if let v = histogramQuantile(q, buckets) { add(&out, fam.name, label, key, v, unit) }
            }
            if let c = now.first(where: { $0.name == fam.name + "_count" }) { add(&out, fam.name, "count", key, increase(c), "") }
            else if let inf = buckets.last, inf.le == .infinity { add(&out, fam.name, "count", key, inf.count, "") }
            if let s = now.first(where: { $0.name == fam.name + "_sum" }) { add(&out, fam.name, "sum", key, increase(s), unit) }
        }
    }

    /// Prometheus' `histogram_quantile` (promql/quantile.go, bucketQuantile) over cumulative buckets
    /// sorted by upper bound: nil without a `+Inf` bucket, with fewer than two buckets, or with no
    /// observations. Linear interpolation inside the bucket the rank falls in, the lowest bucket
    /// starting at 0 (or at its bound, when that is ≤ 0); a rank in the `+Inf` bucket gives the
    /// highest finite bound. Counts that decrease (a scrape torn between buckets) are made monotonic.
    public static func histogramQuantile(_ q: Double, _ cumulative: [(le: Double, count: Double)]) -> Double? {
        guard q >= 0, q <= 1, cumulative.count >= 2, cumulative.last?.le == .infinity else { return nil }
        var b = cumulative
        for i in 1..<b.count where b[i].count < b[i - 1].count { b[i].count = b[i - 1].count }
        let total = b.last!.count
        guard total > 0 else { return nil }
        let rank = q * total
        guard let i = b.firstIndex(where: { $0.count >= rank }) else { return nil }
        if i == b.count - 1 { return b[b.count - 2].le }
        if i == 0 && b[0].le <= 0 { return b[0].le }
        var start = 0.0, below = 0.0
        if i > 0 { start = b[i - 1].le; below = b[i - 1].count }
        let inBucket = b[i].count - below
        guard inBucket > 0 else { return b[i].le }
        return start + (b[i].le - start) * ((rank - below) / inBucket)
    }

    static func percentileName(_ q: Double) -> String {
        let p = q * 100
        return p == p.rounded() ? "p\(Int(p))" : "p\(CFormat.text("%g", p))"
    }

    static func unitOf(_ fam: PrometheusText.Family) -> String {
        if let u = fam.unit { return u == "seconds" ? "s" : u == "bytes" ? "B" : u }
        var n = fam.name
        if n.hasSuffix("_total") { n = String(n.dropLast(6)) }
        if n.hasSuffix("_seconds") { return "s" }
        if n.hasSuffix("_bytes") { return "B" }
        return ""
    }
}
