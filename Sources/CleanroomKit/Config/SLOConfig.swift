import Foundation

// `slos` entries, read after every workload is built: an objective names a workload and
// `svc.NAME` a service, and both must already be known to be checked.

extension PlanBuilder {
    func slo(_ node: JSONNode, _ path: String, workloads: [WorkloadPlan], defaults: RunSettings) -> SLOPlan? {
        guard let o = d.object(node, path, allowed: ConfigKeys.slo, kind: "slo",
                               example: "e.g. {\"name\": \"Fast\", \"workload\": \"build\", \"objective\": \"max(wall_time) <= 15s\"}") else { return nil }
        let before = d.diagnostics.count
        var name: String?
        if let n = o["name"]?.value { name = d.string(n, path + ".name", example: "e.g. \"FirstBuild\"") }
        else { d.report(path + ".name", node, "missing key \"name\"", hint: "e.g. \"name\": \"FirstBuild\"") }
        var workload: String?
        var workloadNode: JSONNode?
        if let n = o["workload"]?.value {
            workloadNode = n
            if let w = d.string(n, path + ".workload", example: "a workload name, or \"*\" for every workload") {
                if w == "*" || workloads.contains(where: { $0.name == w }) {
                    workload = w
                } else {
                    let names = workloads.map(\.name)
                    let hint = ObjectiveParser.closest(w, among: names, maxDistance: max(2, w.count / 3)).map { "did you mean \"\($0)\"?" }
                        ?? (names.isEmpty ? "define it in \"workloads\"" : "workloads: " + names.map { "\"\($0)\"" }.joined(separator: ", ") + ", or \"*\"")
                    d.report(path + ".workload", n, "unknown workload \"\(w)\"", hint: hint)
                }
            }
        } else {
            d.report(path + ".workload", node, "missing key \"workload\"", hint: "a workload name, or \"*\" for every workload")
        }
        var objective: Objective?
        if let n = o["objective"]?.value {
            if let text = d.string(n, path + ".objective", example: "e.g. \"max(wall_time) <= 15s\"") {
                let parsed = ObjectiveParser.parseDetailed(text)
                for e in parsed.errors { d.reportInString(path + ".objective", n, text: text, e) }
                objective = parsed.objective
                if let obj = objective, case .service(let svc, _) = obj.metric, let workload {
                    checkService(svc, workload: workload, workloads: workloads, node: n, text: text, parsed: parsed, path: path + ".objective")
                }
            }
        } else {
            d.report(path + ".objective", node, "missing key \"objective\"", hint: "e.g. \"objective\": \"max(wall_time) <= 15s\"")
        }
        var level = Level.error
        if let n = o["level"]?.value, let l = d.choice(n, path + ".level", Level.allCases.map { ($0.rawValue, $0) }) { level = l }
        var noise = defaults.noise ?? true
        if let n = o["noise"]?.value, let v = d.noise(n, path + ".noise") { noise = v }
        _ = workloadNode
        guard d.diagnostics.count == before, let name, let workload, let objective else { return nil }
        return SLOPlan(name: name, workload: workload, objective: objective, level: level, noise: noise)
    }

    /// `svc.NAME.METRIC` needs a service NAME on the workload (for `*`: on at least one).
    func checkService(_ svc: String, workload: String, workloads: [WorkloadPlan], node: JSONNode, text: String,
                      parsed: ObjectiveParser.Parsed, path: String) {
        let scope = workload == "*" ? workloads : workloads.filter { $0.name == workload }
        let names = Set(scope.flatMap { $0.services.map(\.name) })
        if names.contains(svc) { return }
        let hint: String
        if let c = ObjectiveParser.closest(svc, among: Array(names), maxDistance: 2) { hint = "did you mean svc.\(c)?" }
        else if names.isEmpty { hint = "define it in \(workload == "*" ? "a workload's" : "workload \"\(workload)\"'s") \"services\"" }
        else { hint = "services: " + names.sorted().joined(separator: ", ") }
        let what = workload == "*" ? "no workload has a service \"\(svc)\"" : "workload \"\(workload)\" has no service \"\(svc)\""
        d.reportInString(path, node, text: text, ObjectiveError(message: what, hint: hint, offset: parsed.metricOffset + 4, length: svc.count))
    }
}
