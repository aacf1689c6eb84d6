import Foundation

// A workload's `services`: each is a process of its own with its own keys, limits and
// readiness check, validated apart from the workload that starts it.

extension PlanBuilder {
    static func validServiceName(_ s: String) -> Bool {
        !s.isEmpty && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") }
            && s.first!.isLetter
    }

    func servicesList(_ node: JSONNode, _ path: String) -> [ServicePlan]? {
        guard let items = d.array(node, path) else { return nil }
        var out: [ServicePlan] = []
        var seen = Set<String>()
        for (i, item) in items.enumerated() {
            let p = "\(path)[\(i)]"
            guard let s = service(item, p) else { continue }
            if !seen.insert(s.name).inserted {
                d.report(p + ".name", item["name"]?.value ?? item, "duplicate service name \"\(s.name)\"", hint: "names must be unique within a workload")
                continue
            }
            out.append(s)
        }
        return out
    }

    func service(_ node: JSONNode, _ path: String) -> ServicePlan? {
        guard let o = d.object(node, path, allowed: ConfigKeys.service, kind: "service",
                               example: "e.g. {\"name\": \"api\", \"command\": [\"./server\"], \"ready\": {\"tcp\": 8080}}") else { return nil }
        var name: String?
        if let n = o["name"]?.value, let s = d.string(n, path + ".name", example: "e.g. \"api\"") {
            if PlanBuilder.validServiceName(s) { name = s } else {
                d.report(path + ".name", n, "invalid service name \"\(s)\"",
                         hint: "a letter, then letters, digits, _ - . (it is used in metric names like svc.\(s.filter { $0.isLetter || $0.isNumber }).cpu_time)")
            }
        } else if o["name"] == nil {
            d.report(path + ".name", node, "missing key \"name\"", hint: "e.g. \"name\": \"api\"")
        }
        var command: [String]?
        if let n = o["command"]?.value { command = d.argv(n, path + ".command") }
        else { d.report(path + ".command", node, "missing key \"command\"", hint: "e.g. \"command\": [\"./server\", \"--port\", \"8080\"]") }
        var ready: ReadyCheck?
        if let n = o["ready"]?.value { ready = readyCheck(n, path + ".ready") }
        else { d.report(path + ".ready", node, "missing key \"ready\"", hint: "how to tell the service is up: {\"tcp\": 8080}, {\"http\": \"http://127.0.0.1:8080/health\"} or {\"log\": \"listening\"}") }
        var readyTimeout = BuiltinDefaults.readyTimeout
        var ok = true
        if let n = o["ready_timeout"]?.value { if let v = d.quantity(n, path + ".ready_timeout", .duration, minimum: 0, exclusiveMinimum: true) { readyTimeout = v } else { ok = false } }
        var env: [String: String] = [:]
        if let n = o["env"]?.value { if let e = d.env(n, path + ".env") { env = e } else { ok = false } }
        var cwd: String?
        if let n = o["cwd"]?.value { if let s = d.string(n, path + ".cwd") { cwd = d.resolve(s) } else { ok = false } }
        var svcLimits = Limits()
        if let n = o["limits"]?.value {
            if let l = d.object(n, path + ".limits", allowed: ConfigKeys.limits, kind: "limits",
                                example: "e.g. {\"memory\": \"256MiB\", \"cpus\": 0.5}") {
                svcLimits = limits(l, path + ".limits")
            } else { ok = false }
        }
        guard ok, let name, let command, let ready else {
            // Keep the name so that objectives on svc.NAME are not also reported as unknown.
            return name.map { ServicePlan(name: $0, command: ["false"], ready: .tcp(port: 1)) }
        }
        return ServicePlan(name: name, command: command, ready: ready, readyTimeout: readyTimeout, env: env, cwd: cwd, limits: svcLimits)
    }

    func readyCheck(_ node: JSONNode, _ path: String) -> ReadyCheck? {
        guard let o = d.object(node, path, allowed: ConfigKeys.ready, kind: "ready",
                               example: "e.g. {\"tcp\": 8080}") else { return nil }
        guard o.count == 1, let (key, m) = o.first else {
            d.report(path, node, o.isEmpty ? "ready needs one check" : "ready takes exactly one check, found \(o.count)",
                     hint: "one of {\"tcp\": PORT}, {\"http\": \"URL\"}, {\"log\": \"REGEX\"}")
            return nil
        }
        let p = path + "." + key
        switch key {
        case "tcp":
            return d.int(m.value, p, 1...65535, what: "a TCP port").map { .tcp(port: $0) }
        case "http":
            guard let s = d.string(m.value, p, example: "e.g. \"http://127.0.0.1:8080/health\"") else { return nil }
            guard let u = URL(string: s), let scheme = u.scheme, ["http", "https"].contains(scheme.lowercased()), u.host != nil else {
                d.report(p, m.value, "\"\(s)\" is not an http:// or https:// URL", hint: "e.g. \"http://127.0.0.1:8080/health\"")
                return nil
            }
            return .http(url: s)
        default:
            guard let s = d.string(m.value, p, example: "e.g. \"listening on\"") else { return nil }
            do {
                _ = try NSRegularExpression(pattern: s)
            } catch {
                d.report(p, m.value, "invalid regular expression \"\(s)\"", hint: "ICU regex syntax; escape ( [ . * + ? with \\\\")
                return nil
            }
            return .log(regex: s)
        }
    }
}
