import Foundation

// Read the same way for `defaults` and for a workload, so what one accepts the other does too;
// the precedence between them is applied later, in WorkloadConfig.swift.

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

extension PlanBuilder {
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
}
