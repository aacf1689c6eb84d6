import Foundation

// A workload's CPU and memory charts in report.html. Which runs to draw (all, or the median,
// fastest and slowest) and how far to thin them is a policy of its own; drawing is HTMLChart's.

extension HTMLReport {
    /// CPU % and memory over time. Up to `maxOverlaidRuns` measured runs are overlaid with the
    /// median run (by wall time) emphasised; beyond that, the median, fastest and slowest runs.
    static func charts(_ w: WorkloadReport, index i: Int, options: ReportOptions) -> String {
        let withSamples = ReportText.measured(w).filter { ($0.samples?.t.count ?? 0) > 0 }
        guard !withSamples.isEmpty else {
            return "<p class=\"muted\">No time series: no measured run has samples (a run shorter than the sampling interval has none).</p>"
        }
        let byWall = withSamples.sorted { ($0.metrics["wall_time"] ?? 0, $0.index) < ($1.metrics["wall_time"] ?? 0, $1.index) }
        let median = byWall[(byWall.count - 1) / 2]
        var chosen: [(RunRecord, String)]
        var note: String
        // A run that did not end as expected says so in the legend: its line is often the story.
        func label(_ r: RunRecord, _ role: String?) -> String {
            let tags = [role, r.outcome == .ok ? nil : r.outcome.rawValue].compactMap { $0 }
            return "run \(r.index)" + (tags.isEmpty ? "" : " (\(tags.joined(separator: ", ")))")
        }
        if withSamples.count <= options.maxOverlaidRuns {
            chosen = withSamples.map { ($0, label($0, $0.index == median.index ? "median" : nil)) }
            note = withSamples.count == 1 ? "The one measured run with samples." :
                "All \(withSamples.count) measured runs overlaid; the median run by wall time (run \(median.index)) is drawn thicker."
        } else {
            chosen = [(median, label(median, "median"))]
            if let f = byWall.first, f.index != median.index { chosen.append((f, label(f, "fastest"))) }
            if let l = byWall.last, l.index != median.index, l.index != byWall.first?.index { chosen.append((l, label(l, "slowest"))) }
            note = "\(withSamples.count) measured runs: showing the median (run \(median.index)), fastest and slowest by wall time."
        }
        // Keep the whole file small whatever the run count: ≤ maxChartPoints per series, and
        // about 3 × that per chart when many series are overlaid.
        let perSeries = max(100, min(options.maxChartPoints, 3 * options.maxChartPoints / max(1, chosen.count)))
        func series(_ pick: (Samples) -> [Double]) -> [HTMLChart.Series] {
            chosen.enumerated().map { k, pair in
                let (run, label) = pair
                let d = HTMLChart.segmented(t: run.samples!.t, v: pick(run.samples!), interval: run.samples!.interval,
                                            maxPoints: perSeries)
                return HTMLChart.Series(label: label, t: d.t, v: d.v, emphasised: run.index == median.index && chosen.count > 1,
                                        colour: k, breaks: d.breaks)
            }
        }
        let cpu = HTMLChart(id: "w\(i)-cpu", title: "CPU of \(w.name)",
                            description: "CPU use over time, percent of one core, for \(chosen.map(\.1).joined(separator: ", ")).",
                            xLabel: "time since exec (s)", yLabel: "CPU (% of one core)", dimension: .percent,
                            series: series(\.cpuPercent))
        let mem = HTMLChart(id: "w\(i)-mem", title: "Memory of \(w.name)",
                            description: "Memory of the run's cgroup over time, for \(chosen.map(\.1).joined(separator: ", ")).",
                            xLabel: "time since exec (s)", yLabel: "memory", dimension: .bytes,
                            series: series(\.memory))
        var s = "<div class=\"charts\"><figure>\(cpu.render())<figcaption>CPU (% of one core; 100 = one full core)</figcaption></figure>"
        s += "<figure>\(mem.render())<figcaption>Memory of the run's cgroup</figcaption></figure></div>"
        s += "<ul class=\"legend\">"
        for (k, pair) in chosen.enumerated() {
            s += "<li><span class=\"swatch s\(k % 8)\" aria-hidden=\"true\"></span>\(escape(pair.1))</li>"
        }
        let fewest = chosen.map { $0.0.samples!.t.count }.min() ?? 0
        if fewest <= HTMLChart.markSamplesUpTo {
            let most = chosen.map { $0.0.samples!.t.count }.max() ?? 0
            note += " \(fewest == most ? "\(fewest)" : "\(fewest)–\(most)") sample\(most == 1 ? "" : "s") per run: the dots are the samples; the lines only join them."
        }
        let missed = chosen.map { $0.0.samples!.missedIntervals ?? 0 }.reduce(0, +)
        if missed > 0 {
            note += " The sampler missed \(missed) interval\(missed == 1 ? "" : "s") (a busy host): lines break where samples are more than 2 intervals apart."
        }
        s += "</ul><p class=\"muted small\">\(escape(note))</p>"
        return s
    }
}
