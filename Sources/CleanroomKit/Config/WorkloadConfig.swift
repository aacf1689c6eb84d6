import Foundation

// One workload entry and the precedence of its counts (command line over the workload over
// `defaults` over built-ins): each figure of a WorkloadPlan is set here, once.

extension PlanBuilder {
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
}
