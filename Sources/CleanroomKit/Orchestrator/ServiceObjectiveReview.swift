/// A `svc.NAME.*` objective says nothing on runs where that service failed (never ready, exited
/// early, OOM-killed) or never started (the run failed first): its figures there are of a broken
/// or absent server, and the other runs alone would read PASS on a run that failed. Such an
/// objective is `no_data` with the reason (issue 15; SPEC "services").
public enum ServiceObjectiveReview {
    public static func review(_ r: inout ObjectiveResult, metric: MetricRef, runs: [RunRecord]) {
        guard case .service(let svc, _) = metric else { return }
        let measured = runs.filter { !$0.warmup }
        let broken = measured.compactMap { run -> String? in
            guard let rec = run.services[svc] else {
                return "run \(run.index): the service did not run (\(run.outcome.rawValue)\(run.detail.map { ": " + $0 } ?? ""))"
            }
            guard let o = rec.outcome, o != .ok else { return nil }
            return "run \(run.index): the service failed (\(o.rawValue)\(rec.detail.map { ": " + $0 } ?? ""))"
        }
        guard let first = broken.first else { return }
        r.status = .noData
        r.observed = nil
        r.margin = nil
        r.ci = nil
        r.reason = "service \"\(svc)\" has no figures on \(broken.count) of \(measured.count) measured run"
            + (measured.count == 1 ? "" : "s") + " — " + first
    }
}
