import Foundation

/// Command-line values that win over both a workload's own keys and `defaults`.
public struct ConfigOverrides: Equatable, Sendable {
    public var `repeat`: Int?
    public var warmup: Int?

    public init(repeat: Int? = nil, warmup: Int? = nil) {
        self.repeat = `repeat`; self.warmup = warmup
    }
}

/// The settings `defaults` and a workload share, as written (nil = not given).
struct RunSettings {
    var repeatCount: Int?
    var warmup: Int?
    var maxRepeat: Int?
    var maxRepeatNode: JSONNode?
    /// `.some(nil)` is an explicit "no timeout".
    var timeout: Double??
    var sampling: Double?
    var killGrace: Double?
    var outputLimit: Int?
    var noise: Bool?
    var limits = Limits()
    var network: NetworkMode?
    var seccomp: SeccompMode?
    var filesystem: FilesystemMode?
    var capabilities: [String]?
}

enum SeccompProfileLimits {
    /// Docker's default profile is about 20 KB.
    static let maxFileSize = 4 << 20
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

    // MARK: - Settings shared by defaults and workloads

    func settings(_ node: JSONNode, _ path: String, allowed: [String], kind: String) -> RunSettings? {
        guard let o = d.object(node, path, allowed: allowed, kind: kind) else { return nil }
        return settings(from: o, path)
    }

    func settings(from o: [String: JSONMember], _ path: String) -> RunSettings {
        var s = RunSettings()
        func p(_ k: String) -> String { path + "." + k }
        if let n = o["repeat"]?.value { s.repeatCount = d.int(n, p("repeat"), 1...100_000) }
        if let n = o["warmup"]?.value { s.warmup = d.int(n, p("warmup"), 0...100_000) }
        if let n = o["max_repeat"]?.value { s.maxRepeat = d.int(n, p("max_repeat"), 1...1_000_000); s.maxRepeatNode = n }
        if let n = o["timeout"]?.value {
            if case .null = n.value {
                s.timeout = .some(nil)
            } else if case .string(let t, _) = n.value, ["none", "off", "never"].contains(t) {
                s.timeout = .some(nil)
            } else if let v = d.quantity(n, p("timeout"), .duration, minimum: 0, exclusiveMinimum: true) {
                s.timeout = .some(v)
            }
        }
        if let n = o["sampling"]?.value {
            if let v = d.quantity(n, p("sampling"), .duration, minimum: 0.001) {
                if v > 3600 { d.report(p("sampling"), n, "sampling every \(Units.format(v, .duration)) would see nothing", hint: "e.g. 50ms") }
                else { s.sampling = v }
            }
        }
        if let n = o["kill_grace"]?.value { s.killGrace = d.quantity(n, p("kill_grace"), .duration, minimum: 0) }
        if let n = o["output_limit"]?.value {
            if let v = d.quantity(n, p("output_limit"), .bytes, minimum: 0) {
                if v > Double(Int32.max) { d.report(p("output_limit"), n, "output_limit \(Units.format(v, .bytes)) is too large", hint: "must be at most 2GiB, e.g. 16MiB") }
                else { s.outputLimit = Int(v) }
            }
        }
        if let n = o["noise"]?.value { s.noise = d.noise(n, p("noise")) }
        if let n = o["limits"]?.value, let l = d.object(n, p("limits"), allowed: ConfigKeys.limits, kind: "limits",
                                                          example: "e.g. {\"memory\": \"1GiB\", \"cpus\": 1.0, \"pids\": 512}") {
            s.limits = limits(l, p("limits"))
        }
        if let n = o["sandbox"]?.value, let sb = d.object(n, p("sandbox"), allowed: ConfigKeys.sandbox, kind: "sandbox",
                                                            example: "e.g. {\"network\": \"none\", \"seccomp\": \"default\", \"filesystem\": \"private-tmp\"}") {
            if let v = sb["network"]?.value { s.network = d.choice(v, p("sandbox.network"), NetworkMode.allCases.map { ($0.rawValue, $0) }) }
            if let v = sb["filesystem"]?.value { s.filesystem = d.choice(v, p("sandbox.filesystem"), FilesystemMode.allCases.map { ($0.rawValue, $0) }) }
            if let v = sb["seccomp"]?.value { s.seccomp = seccomp(v, p("sandbox.seccomp")) }
            if let v = sb["capabilities"]?.value { s.capabilities = capabilities(v, p("sandbox.capabilities")) }
        }
        return s
    }

    func limits(_ o: [String: JSONMember], _ path: String) -> Limits {
        var l = Limits()
        if let n = o["memory"]?.value, let v = d.quantity(n, path + ".memory", .bytes, minimum: 0) {
            if v < 1_048_576 {
                // A bare number is bytes: `"memory": 512` almost always meant 512MiB.
                let hint: String
                if case .number(_, let raw) = n.value, v > 0 { hint = "a bare number is bytes: did you mean \"\(raw)MiB\"? It must be at least 1MiB" } else { hint = "must be at least 1MiB" }
                d.report(path + ".memory", n, "memory limit \(Units.format(v, .bytes)) is too small to run anything", hint: hint)
            } else {
                l.memory = UInt64(v)
            }
        }
        if let n = o["cpus"]?.value {
            switch n.value {
            case .number(let v, let raw):
                if v > 0, v <= 4096 { l.cpus = v } else {
                    d.report(path + ".cpus", n, "cpus \(raw) is out of range", hint: "must be above 0 and at most 4096 cores, e.g. 1.5")
                }
            case .string(let s, _):
                let hint = Double(s).map { "write \($0) without quotes" } ?? "e.g. 1.5 (one and a half cores)"
                d.report(path + ".cpus", n, "expected a number of cores, found a string", hint: hint)
            default:
                d.report(path + ".cpus", n, "expected a number of cores, found \(n.kindName)", hint: "e.g. 1.5")
            }
        }
        if let n = o["pids"]?.value { l.pids = d.int(n, path + ".pids", 1...4_194_304) }
        if let n = o["disk_read_rate"]?.value, let v = d.quantity(n, path + ".disk_read_rate", .rate, minimum: 1) { l.diskReadRate = UInt64(v) }
        if let n = o["disk_write_rate"]?.value, let v = d.quantity(n, path + ".disk_write_rate", .rate, minimum: 1) { l.diskWriteRate = UInt64(v) }
        return l
    }

    /// `default`, `strict`, `none`, or the path of an OCI / Docker seccomp profile (resolved
    /// against the config's directory; it must exist). A near miss of a mode name is an error,
    /// not a path that happens not to exist.
    func seccomp(_ node: JSONNode, _ path: String) -> SeccompMode? {
        guard let s = d.string(node, path, example: "one of: default, strict, none, or a profile path") else { return nil }
        switch s {
        case "default": return .default
        case "strict": return .strict
        case "none": return SeccompMode.none
        default: break
        }
        let looksLikePath = s.contains("/") || s.hasSuffix(".json")
        if !looksLikePath {
            let hint = ObjectiveParser.closest(s, among: ["default", "strict", "none"], maxDistance: 3).map { "did you mean \"\($0)\"?" }
                ?? "one of: default, strict, none, or the path of a seccomp profile (e.g. ./seccomp.json)"
            d.report(path, node, "unknown seccomp mode \"\(s)\"", hint: hint)
            return nil
        }
        let resolved = d.resolve(s)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDir), !isDir.boolValue else {
            d.report(path, node, "seccomp profile not found: \(resolved)", hint: "paths are relative to the config file's directory")
            return nil
        }
        // Read once here with the cap (a FIFO or /dev/zero named as a profile is refused now,
        // with its path, not when the sandbox reads it).
        do {
            _ = try BoundedRead.read(resolved, cap: SeccompProfileLimits.maxFileSize, what: "seccomp profile")
        } catch let e as InputFileError {
            d.report(path, node, "seccomp profile \(resolved): \(e.message)", hint: e.hint)
            return nil
        } catch {
            d.report(path, node, "seccomp profile \(resolved): \(error)")
            return nil
        }
        return .profile(path: resolved)
    }

    // MARK: - Workloads

    func workload(_ node: JSONNode, _ path: String, defaults: RunSettings) -> WorkloadPlan? {
        guard let o = d.object(node, path, allowed: ConfigKeys.workload, kind: "workload",
                               example: "e.g. {\"name\": \"build\", \"command\": [\"swift\", \"build\"]}") else { return nil }
        var name: String?
        if let n = o["name"]?.value {
            name = d.string(n, path + ".name", example: "e.g. \"build\"")
            if name == "*" {
                d.report(path + ".name", n, "\"*\" cannot be a workload name", hint: "in slos, \"*\" means every workload"); name = nil
            }
        } else {
            d.report(path + ".name", node, "missing key \"name\"", hint: "e.g. \"name\": \"build\"")
        }
        var command: [String]?
        if let n = o["command"]?.value { command = d.argv(n, path + ".command") }
        else { d.report(path + ".command", node, "missing key \"command\"", hint: "e.g. \"command\": [\"swift\", \"build\"]") }
        var cwd = d.resolve(".")
        if let n = o["cwd"]?.value { if let s = d.string(n, path + ".cwd", example: "e.g. \".\"") { cwd = d.resolve(s) } }
        var env: [String: String] = [:]
        if let n = o["env"]?.value { if let e = d.env(n, path + ".env") { env = e } }
        var hooks: [String: [String]] = [:]
        for key in ["prepare", "setup", "teardown"] {
            if let n = o[key]?.value { if let a = d.argv(n, path + "." + key) { hooks[key] = a } }
        }
        var expectExit = 0
        if let n = o["expect_exit"]?.value { if let v = d.int(n, path + ".expect_exit", 0...255, what: "an exit code") { expectExit = v } }
        let own = settings(from: o, path)
        let services = o["services"].flatMap { servicesList($0.value, path + ".services") } ?? []
        let metricsFrom = o["metrics_from"].flatMap { metricsFromList($0.value, path + ".metrics_from", services: services) } ?? []

        // With errors elsewhere in the workload, it is still built (from fallbacks) as long as it
        // has a name: objectives that refer to it or its services then get no spurious errors.
        // No plan is ever handed out while any diagnostic exists, so the fallbacks never run.
        let plan = resolve(own: own, defaults: defaults, path: path)
            ?? Counts(repeatCount: 1, warmup: 0, maxRepeat: 1, timeout: nil)
        guard let name else { return nil }
        let argv = command ?? ["false"]
        var built = WorkloadPlan(name: name, command: argv, cwd: cwd, env: env, prepare: hooks["prepare"],
                            setup: hooks["setup"], teardown: hooks["teardown"], repeatCount: plan.repeatCount,
                            warmup: plan.warmup, maxRepeat: plan.maxRepeat, timeout: plan.timeout,
                            killGrace: own.killGrace ?? defaults.killGrace ?? BuiltinDefaults.killGrace,
                            outputLimit: own.outputLimit ?? defaults.outputLimit ?? BuiltinDefaults.outputLimit,
                            sampling: own.sampling ?? defaults.sampling ?? BuiltinDefaults.sampling,
                            noise: own.noise ?? defaults.noise ?? true, expectExit: expectExit,
                            limits: merge(own.limits, over: defaults.limits),
                            sandbox: SandboxSettings(network: own.network ?? defaults.network ?? NetworkMode.none,
                                                     seccomp: own.seccomp ?? defaults.seccomp ?? .default,
                                                     filesystem: own.filesystem ?? defaults.filesystem ?? .privateTmp,
                                                     capabilities: own.capabilities ?? defaults.capabilities ?? []),
                            services: services)
        built.metricsFrom = metricsFrom
        return built
    }

    struct Counts { var repeatCount: Int; var warmup: Int; var maxRepeat: Int; var timeout: Double? }

    /// Precedence: command line over the workload's keys over `defaults` over built-ins.
    func resolve(own: RunSettings, defaults: RunSettings, path: String) -> Counts? {
        let fileRepeat = own.repeatCount ?? defaults.repeatCount ?? BuiltinDefaults.repeatCount
        let repeatCount = overrides.repeat.map { max($0, 1) } ?? fileRepeat
        let warmup = overrides.warmup.map { max($0, 0) } ?? own.warmup ?? defaults.warmup ?? BuiltinDefaults.warmup
        var maxRepeat = 3 * repeatCount
        if let explicit = own.maxRepeat ?? defaults.maxRepeat {
            if explicit < fileRepeat {
                let node = own.maxRepeat != nil ? own.maxRepeatNode : defaults.maxRepeatNode
                let where_ = own.maxRepeat != nil ? path + ".max_repeat" : "defaults.max_repeat"
                d.report(where_, at: node?.position, "max_repeat \(explicit) is below repeat \(fileRepeat) of \(path)",
                         hint: "max_repeat counts all measured runs, so it must be at least repeat")
                return nil
            }
            // A larger --repeat raises the ceiling rather than contradicting the file.
            maxRepeat = max(explicit, repeatCount)
        }
        let timeout: Double? = own.timeout ?? defaults.timeout ?? BuiltinDefaults.timeout
        return Counts(repeatCount: repeatCount, warmup: warmup, maxRepeat: maxRepeat, timeout: timeout)
    }

    /// Limits merge key by key: a workload's `limits.memory` does not drop the default `cpus`.
    func merge(_ own: Limits, over base: Limits) -> Limits {
        Limits(memory: own.memory ?? base.memory, cpus: own.cpus ?? base.cpus, pids: own.pids ?? base.pids,
               diskReadRate: own.diskReadRate ?? base.diskReadRate, diskWriteRate: own.diskWriteRate ?? base.diskWriteRate)
    }

    // MARK: - Services

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

    // MARK: - Objectives

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

    // MARK: - Alerts

    static func validEnvName(_ s: String) -> Bool {
        guard let f = s.first, f.isASCII, f.isLetter || f == "_" else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    func webhook(_ node: JSONNode, _ path: String) -> WebhookPlan? {
        guard let o = d.object(node, path, allowed: ConfigKeys.webhook, kind: "webhook",
                               example: "e.g. {\"url_env\": \"CLEANROOM_WEBHOOK_URL\", \"on\": [\"fail\"]}") else { return nil }
        let before = d.diagnostics.count
        func envName(_ key: String) -> String? {
            guard let n = o[key]?.value, let s = d.string(n, path + "." + key) else { return nil }
            if s.contains("://") {
                d.report(path + "." + key, n, "\(key) names an environment variable, not a URL",
                         hint: "put the URL in an environment variable and name it here, e.g. \"CLEANROOM_WEBHOOK_URL\", so it stays out of files and logs")
                return nil
            }
            guard PlanBuilder.validEnvName(s) else {
                d.report(path + "." + key, n, "\"\(s)\" is not an environment variable name", hint: "letters, digits and _, e.g. \"CLEANROOM_WEBHOOK_URL\"")
                return nil
            }
            return s
        }
        let urlEnv = envName("url_env")
        if o["url_env"] == nil {
            d.report(path + ".url_env", node, "missing key \"url_env\"", hint: "the environment variable holding the URL, e.g. \"url_env\": \"CLEANROOM_WEBHOOK_URL\"")
        }
        let secretEnv = o["secret_env"] != nil ? envName("secret_env") : nil
        var format = WebhookFormat.json
        if let n = o["format"]?.value, let f = d.choice(n, path + ".format", WebhookFormat.allCases.map { ($0.rawValue, $0) }) { format = f }
        var on = BuiltinDefaults.webhookOn
        if let n = o["on"]?.value, let items = d.array(n, path + ".on", example: "e.g. [\"fail\", \"inconclusive\"]") {
            if items.isEmpty { d.report(path + ".on", n, "an empty list never fires", hint: "e.g. [\"fail\"]") }
            var list: [Verdict] = []
            for (i, item) in items.enumerated() {
                if let v = d.choice(item, "\(path).on[\(i)]", Verdict.allCases.map { ($0.rawValue, $0) }) {
                    if !list.contains(v) { list.append(v) }
                }
            }
            on = list
        }
        guard d.diagnostics.count == before, let urlEnv else { return nil }
        return WebhookPlan(urlEnv: urlEnv, format: format, secretEnv: secretEnv, on: on)
    }
}
