import Foundation

/// Inline SVG line charts for report.html: no script, no external resource, colours from the
/// page's CSS variables (so light and dark mode both work), a `<title>`/`<desc>` for screen readers.
struct HTMLChart {
    struct Series {
        var label: String
        var t: [Double]
        var v: [Double]
        /// Drawn thicker and on top: the run the reader should look at first.
        var emphasised: Bool
        /// Index into the palette (`s0`…`s7` CSS classes).
        var colour: Int
        /// Indices of `t` where a new line starts: the sampler missed more than 2 intervals
        /// before that sample, so nothing measured joins it to the previous one.
        var breaks: Set<Int> = []
    }

    var id: String
    var title: String
    var description: String
    var xLabel: String
    var yLabel: String
    var dimension: Dimension
    var series: [Series]

    static let width = 640.0, height = 240.0
    /// Series with at most this many points get a dot on every sample.
    static let markSamplesUpTo = 24
    static let left = 58.0, right = 14.0, top = 12.0, bottom = 40.0

    /// Keeps at most `maxPoints` points: per bucket the lowest and the highest value in time
    /// order, so spikes and the peak survive (a plain stride would step over a memory peak).
    static func downsample(t: [Double], v: [Double], maxPoints: Int) -> (t: [Double], v: [Double]) {
        let n = min(t.count, v.count)
        guard n > maxPoints, maxPoints >= 4 else { return (Array(t.prefix(n)), Array(v.prefix(n))) }
        let buckets = maxPoints / 2
        var ot: [Double] = [], ov: [Double] = []
        ot.reserveCapacity(maxPoints); ov.reserveCapacity(maxPoints)
        for b in 0..<buckets {
            let lo = b * n / buckets, hi = (b + 1) * n / buckets
            guard hi > lo else { continue }
            var iMin = lo, iMax = lo
            for i in lo..<hi {
                if v[i] < v[iMin] { iMin = i }
                if v[i] > v[iMax] { iMax = i }
            }
            for i in (iMin == iMax ? [iMin] : [min(iMin, iMax), max(iMin, iMax)]) {
                ot.append(t[i]); ov.append(v[i])
            }
        }
        return (ot, ov)
    }

    /// Splits a sampled series where consecutive samples are more than 2 intervals apart, then
    /// downsamples each piece (its share of `maxPoints`), so a line is never drawn across a gap
    /// in the measurements. `interval` nil: the median spacing of the samples.
    static func segmented(t: [Double], v: [Double], interval: Double?, maxPoints: Int)
        -> (t: [Double], v: [Double], breaks: Set<Int>) {
        let n = min(t.count, v.count)
        guard n > 1 else { return (Array(t.prefix(n)), Array(v.prefix(n)), []) }
        let step = interval ?? {
            let d = (1..<n).map { t[$0] - t[$0 - 1] }.sorted()
            return d[d.count / 2]
        }()
        var starts = [0]
        if step > 0 { for i in 1..<n where t[i] - t[i - 1] > 2 * step { starts.append(i) } }
        var ot: [Double] = [], ov: [Double] = [], breaks: Set<Int> = []
        for (k, a) in starts.enumerated() {
            let b = k + 1 < starts.count ? starts[k + 1] : n
            let share = max(4, maxPoints * (b - a) / n)
            let d = downsample(t: Array(t[a..<b]), v: Array(v[a..<b]), maxPoints: share)
            if k > 0 { breaks.insert(ot.count) }
            ot += d.t; ov += d.v
        }
        return (ot, ov, breaks)
    }

    /// Axis ticks from 0 to at least `max` with a 1-2-2.5-5 step.
    static func niceTicks(max: Double, count: Int = 5) -> [Double] {
        guard max > 0, max.isFinite else { return [0, 1] }
        let raw = max / Double(count)
        let mag = pow(10, floor(log10(raw)))
        let norm = raw / mag
        let step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10) * mag
        var ticks: [Double] = [0]
        while ticks.last! < max * (1 - 1e-9) { ticks.append(Double(ticks.count) * step) }
        return ticks
    }

    /// `%.1f` without String(format:), which is slow on Linux and this runs for every point
    /// (an exact tie may round the other way: a tenth of a pixel).
    static func oneDecimal(_ d: Double) -> String {
        let tenths = Int((d * 10).rounded())
        let neg = tenths < 0
        let a = abs(tenths)
        return (neg ? "-" : "") + String(a / 10) + "." + String(a % 10)
    }

    static func tickText(_ v: Double) -> String {
        if v == v.rounded() { return String(Int64(v)) }
        var s = CFormat.text(abs(v) < 1 ? "%.3f" : "%.2f", v)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    /// For a bytes axis: the binary unit that keeps tick numbers short.
    static func byteScale(_ max: Double) -> (Double, String) {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var scale = 1.0, k = 0
        while max / scale >= 1024, k < units.count - 1 { scale *= 1024; k += 1 }
        return (scale, units[k])
    }

    func render() -> String {
        let W = Self.width, H = Self.height
        let pw = W - Self.left - Self.right, ph = H - Self.top - Self.bottom
        let tMax = series.flatMap(\.t).filter(\.isFinite).max() ?? 0
        let vMax = series.flatMap(\.v).filter(\.isFinite).max() ?? 0
        var scale = 1.0, yUnit = yLabel
        if dimension == .bytes {
            let (s, u) = Self.byteScale(vMax)
            scale = s; yUnit = "\(yLabel) (\(u))"
        }
        let xt = Self.niceTicks(max: tMax > 0 ? tMax : 1)
        let yt = Self.niceTicks(max: vMax > 0 ? vMax / scale : 1, count: 4)
        let xTop = xt.last!, yTop = yt.last! * scale
        func x(_ t: Double) -> Double { Self.left + t / xTop * pw }
        func y(_ v: Double) -> Double { Self.top + ph - v / yTop * ph }
        func f(_ d: Double) -> String { Self.oneDecimal(d) }

        var s = "<svg class=\"chart\" viewBox=\"0 0 \(Int(W)) \(Int(H))\" role=\"img\" aria-labelledby=\"\(id)-t \(id)-d\">"
        s += "<title id=\"\(id)-t\">\(HTMLReport.escape(title))</title>"
        s += "<desc id=\"\(id)-d\">\(HTMLReport.escape(description))</desc>"
        s += "<g class=\"grid\">"
        for v in yt { s += "<line x1=\"\(f(Self.left))\" x2=\"\(f(W - Self.right))\" y1=\"\(f(y(v * scale)))\" y2=\"\(f(y(v * scale)))\"/>" }
        s += "</g><g class=\"ticks\">"
        for v in yt {
            s += "<text x=\"\(f(Self.left - 6))\" y=\"\(f(y(v * scale) + 4))\" text-anchor=\"end\">\(Self.tickText(v))</text>"
        }
        for t in xt {
            s += "<text x=\"\(f(x(t)))\" y=\"\(f(H - Self.bottom + 16))\" text-anchor=\"middle\">\(Self.tickText(t))</text>"
        }
        s += "</g>"
        s += "<line class=\"axis\" x1=\"\(f(Self.left))\" x2=\"\(f(W - Self.right))\" y1=\"\(f(Self.top + ph))\" y2=\"\(f(Self.top + ph))\"/>"
        s += "<line class=\"axis\" x1=\"\(f(Self.left))\" x2=\"\(f(Self.left))\" y1=\"\(f(Self.top))\" y2=\"\(f(Self.top + ph))\"/>"
        s += "<text class=\"label\" x=\"\(f(Self.left + pw / 2))\" y=\"\(f(H - 6))\" text-anchor=\"middle\">\(HTMLReport.escape(xLabel))</text>"
        s += "<text class=\"label\" transform=\"translate(13 \(f(Self.top + ph / 2))) rotate(-90)\" text-anchor=\"middle\">\(HTMLReport.escape(yUnit))</text>"
        // Emphasised series last, so they are drawn on top.
        for sr in series.sorted(by: { !$0.emphasised && $1.emphasised }) {
            let n = min(sr.t.count, sr.v.count)
            if n == 1 {   // a single sample: a dot, since a polyline of one point draws nothing
                s += "<circle class=\"dot s\(sr.colour % 8)\" cx=\"\(f(x(sr.t[0])))\" cy=\"\(f(y(sr.v[0])))\" r=\"3\"/>"
                continue
            }
            // One polyline per stretch without a gap; a stretch of one sample is a dot.
            var pieces: [[Int]] = [[]]
            for i in 0..<n {
                if sr.breaks.contains(i), !pieces[pieces.count - 1].isEmpty { pieces.append([]) }
                if sr.t[i].isFinite && sr.v[i].isFinite { pieces[pieces.count - 1].append(i) }
            }
            for piece in pieces where !piece.isEmpty {
                if piece.count == 1 {
                    s += "<circle class=\"dot s\(sr.colour % 8)\" cx=\"\(f(x(sr.t[piece[0]])))\" cy=\"\(f(y(sr.v[piece[0]])))\" r=\"2.6\"/>"
                    continue
                }
                var pts = ""
                pts.reserveCapacity(piece.count * 12)
                for i in piece {
                    if !pts.isEmpty { pts += " " }
                    pts += f(x(sr.t[i])) + "," + f(y(sr.v[i]))
                }
                s += "<polyline class=\"line s\(sr.colour % 8)\(sr.emphasised ? " em" : "")\" points=\"\(pts)\"><title>\(HTMLReport.escape(sr.label))</title></polyline>"
            }
            // A short run has few samples: mark them, so two points joined by a line are not
            // read as a measured slope between them.
            if n <= Self.markSamplesUpTo {
                for i in 0..<n where sr.t[i].isFinite && sr.v[i].isFinite {
                    s += "<circle class=\"dot s\(sr.colour % 8)\" cx=\"\(f(x(sr.t[i])))\" cy=\"\(f(y(sr.v[i])))\" r=\"\(sr.emphasised ? "2.6" : "2")\"/>"
                }
            }
        }
        s += "</svg>"
        return s
    }
}
