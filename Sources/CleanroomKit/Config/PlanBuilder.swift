import Foundation

/// Command-line values that win over both a workload's own keys and `defaults`.
public struct ConfigOverrides: Equatable, Sendable {
    public var `repeat`: Int?
    public var warmup: Int?

    public init(repeat: Int? = nil, warmup: Int? = nil) {
        self.repeat = `repeat`; self.warmup = warmup
    }
}

/// Built-in values when neither a workload nor `defaults` says otherwise (Model/Defaults.swift).
typealias BuiltinDefaults = Defaults

/// Turns the positioned JSON tree into a `Plan`, applying the precedence rules and checking
/// cross-references (objective → workload, `svc.NAME` → service).
struct PlanBuilder {
    let d: ConfigDecoder
    let overrides: ConfigOverrides
    let source: String

    func build(_ root: JSONNode) -> Plan? {
        guard let top = d.object(root, "", allowed: ConfigKeys.top, kind: "top",
                                 example: "a config is a JSON object: {\"version\": 1, \"workloads\": [...]}") else { return nil }
        if let v = top["version"] {
            if let n = d.int(v.value, "version", Int.min...Int.max), n != 1 {
                d.report("version", v.value, "unsupported version \(n)", hint: "this cleanroom reads version 1")
            }
        }
        if let s = top["$schema"] { _ = d.string(s.value, "$schema") }
        var defaults = RunSettings()
        if let node = top["defaults"]?.value {
            defaults = settings(node, "defaults", allowed: ConfigKeys.defaults, kind: "defaults") ?? RunSettings()
        }
        checkOverrides()

        var workloads: [WorkloadPlan] = []
        var workloadNodes: [String: JSONNode] = [:]
        if let node = top["workloads"]?.value {
            if let items = d.array(node, "workloads", example: "e.g. [{\"name\": \"build\", \"command\": [\"swift\", \"build\"]}]") {
                if items.isEmpty {
                    d.report("workloads", node, "no workloads: there is nothing to run",
                             hint: "add one, e.g. {\"name\": \"build\", \"command\": [\"swift\", \"build\"]}")
                }
                for (i, item) in items.enumerated() where !d.saturated {
                    let path = "workloads[\(i)]"
                    guard let w = workload(item, path, defaults: defaults) else { continue }
                    if let first = workloadNodes[w.name] {
                        d.report(path + ".name", item["name"]?.value ?? item, "duplicate workload name \"\(w.name)\"",
                                 hint: "first defined at line \(first.position.line); names must be unique")
                        continue
                    }
                    workloadNodes[w.name] = item
                    workloads.append(w)
                }
            }
        } else {
            d.report("workloads", at: root.position, "missing key \"workloads\"",
                     hint: "add \"workloads\": [{\"name\": \"build\", \"command\": [\"swift\", \"build\"]}]")
        }

        var slos: [SLOPlan] = []
        if let node = top["slos"]?.value, let items = d.array(node, "slos", example: "e.g. [{\"name\": \"Fast\", \"workload\": \"build\", \"objective\": \"max(wall_time) <= 15s\"}]") {
            var seen: [String: Int] = [:]
            for (i, item) in items.enumerated() where !d.saturated {
                let path = "slos[\(i)]"
                guard let s = slo(item, path, workloads: workloads, defaults: defaults) else { continue }
                if let first = seen[s.name] {
                    d.report(path + ".name", item["name"]?.value ?? item, "duplicate objective name \"\(s.name)\"",
                             hint: "already used by slos[\(first)]; names must be unique")
                    continue
                }
                seen[s.name] = i
                slos.append(s)
            }
        }

        var hooks: [WebhookPlan] = []
        if let node = top["alerts"]?.value, let alerts = d.object(node, "alerts", allowed: ConfigKeys.alerts, kind: "alerts",
                                                                  example: "e.g. {\"webhooks\": [...]}") {
            if let wnode = alerts["webhooks"]?.value, let items = d.array(wnode, "alerts.webhooks") {
                for (i, item) in items.enumerated() {
                    if let h = webhook(item, "alerts.webhooks[\(i)]") { hooks.append(h) }
                }
            }
        }
        return Plan(version: 1, workloads: workloads, slos: slos, webhooks: hooks, source: source)
    }

    func checkOverrides() {
        if let r = overrides.repeat, r < 1 {
            d.report("--repeat", at: nil, "--repeat \(r) is out of range", hint: "must be at least 1")
        }
        if let w = overrides.warmup, w < 0 {
            d.report("--warmup", at: nil, "--warmup \(w) is out of range", hint: "must be at least 0")
        }
    }
}
