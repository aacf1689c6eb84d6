/// report.html: each service's own CPU and memory over time, beside the workload's charts
/// (a server under load is usually the thing being measured). Drawn from `services[NAME].samples`
/// of the measured runs; up to `maxOverlaidRuns` runs overlaid, else the median run by wall time.
enum HTMLServiceCharts {
    static func render(_ w: WorkloadReport, index i: Int, options: ReportOptions) -> String {
        let measured = ReportText.measured(w)
        let names = Set(measured.flatMap { r in r.services.filter { ($0.value.samples?.t.count ?? 0) > 0 }.map(\.key) }).sorted()
        guard !names.isEmpty else { return "" }
        var s = ""
        for (k, name) in names.enumerated() {
            var runs = measured.filter { ($0.services[name]?.samples?.t.count ?? 0) > 0 }
            if runs.count > options.maxOverlaidRuns {
                let byWall = runs.sorted { ($0.metrics["wall_time"] ?? 0, $0.index) < ($1.metrics["wall_time"] ?? 0, $1.index) }
                runs = [byWall[(byWall.count - 1) / 2]]
            }
            let perSeries = max(100, options.maxChartPoints / max(1, runs.count))
            func series(_ pick: (Samples) -> [Double]) -> [HTMLChart.Series] {
                runs.enumerated().map { c, run in
                    let smp = run.services[name]!.samples!
                    let d = HTMLChart.segmented(t: smp.t, v: pick(smp), interval: smp.interval, maxPoints: perSeries)
                    let failed = run.services[name]?.outcome.map { $0 != .ok } ?? false
                    return HTMLChart.Series(label: "run \(run.index)" + (failed ? " (service failed)" : ""), t: d.t, v: d.v,
                                            emphasised: false, colour: c, breaks: d.breaks)
                }
            }
            let id = "w\(i)-svc\(k)"
            let who = runs.map { "run \($0.index)" }.joined(separator: ", ")
            let cpu = HTMLChart(id: id + "-cpu", title: "CPU of service \(name)", description: "CPU use of service \(name) over time, percent of one core, for \(who).",
                                xLabel: "time since the workload's exec (s)", yLabel: "CPU (% of one core)", dimension: .percent, series: series(\.cpuPercent))
            let mem = HTMLChart(id: id + "-mem", title: "Memory of service \(name)", description: "Memory of service \(name)'s cgroup over time, for \(who).",
                                xLabel: "time since the workload's exec (s)", yLabel: "memory", dimension: .bytes, series: series(\.memory))
            let title = HTMLReport.escape(name)
            s += "<h3>Service <code>\(title)</code></h3><div class=\"charts\">"
            s += "<figure>\(cpu.render())<figcaption>CPU of service \(title) (% of one core)</figcaption></figure>"
            s += "<figure>\(mem.render())<figcaption>Memory of service \(title)'s cgroup</figcaption></figure></div>"
            s += "<ul class=\"legend\">" + runs.enumerated().map { c, r in
                "<li><span class=\"swatch s\(c % 8)\" aria-hidden=\"true\"></span>run \(r.index)</li>"
            }.joined() + "</ul>"
        }
        return s
    }
}
