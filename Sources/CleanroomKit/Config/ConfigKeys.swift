/// The keys each object of slo.json accepts, and the hints for keys that are not there:
/// a near-miss (`repat` → `repeat`), a common synonym (`cmd` → `command`), or a key that is
/// real but belongs in another object (`memory` goes in `limits`).
enum ConfigKeys {
    static let top = ["$schema", "version", "defaults", "workloads", "slos", "alerts"]
    static let defaults = ["repeat", "warmup", "max_repeat", "timeout", "sampling", "kill_grace", "output_limit",
                           "noise", "limits", "sandbox"]
    static let workload = ["name", "command", "cwd", "env", "prepare", "setup", "teardown", "repeat", "warmup",
                           "max_repeat", "timeout", "kill_grace", "output_limit", "sampling", "noise", "expect_exit",
                           "limits", "sandbox", "services", "metrics_from"]
    static let limits = ["memory", "cpus", "pids", "disk_read_rate", "disk_write_rate"]
    static let sandbox = ["network", "seccomp", "filesystem", "capabilities"]
    static let service = ["name", "command", "ready", "ready_timeout", "env", "cwd", "limits"]
    static let ready = ["tcp", "http", "log"]
    static let metricsFrom = ["format", "path", "stdout", "service", "port", "url"]
    static let slo = ["name", "workload", "objective", "level", "noise"]
    static let alerts = ["webhooks"]
    static let webhook = ["url_env", "format", "secret_env", "on"]

    static let synonyms: [String: String] = [
        "cmd": "command", "args": "command", "argv": "command", "run": "command", "exec": "command",
        "dir": "cwd", "workdir": "cwd", "working_directory": "cwd", "directory": "cwd",
        "environment": "env", "vars": "env",
        "repeats": "repeat", "runs": "repeat", "iterations": "repeat", "repetitions": "repeat",
        "warmups": "warmup", "warm_up": "warmup",
        "exit_code": "expect_exit", "expected_exit": "expect_exit", "expect_exit_code": "expect_exit",
        "before": "setup", "after": "teardown",
        "limit": "limits", "resources": "limits",
        "cpu": "cpus", "mem": "memory", "memory_limit": "memory", "max_memory": "memory", "processes": "pids",
        "net": "network", "fs": "filesystem", "caps": "capabilities", "cap_add": "capabilities", "capability": "capabilities",
        "slo": "slos", "objectives": "slos", "workload": "workloads", "webhook": "webhooks", "alert": "alerts",
        "service": "services", "readiness": "ready", "port": "tcp", "url": "url_env", "webhook_url": "url_env",
        "secret": "secret_env", "events": "on", "when": "on", "severity": "level",
        "metricsfrom": "metrics_from", "metrics": "metrics_from", "benchmark_format": "metrics_from", "file": "path",
    ]

    /// Where a key that is valid somewhere else goes, keyed by the object it was found in.
    static func elsewhere(_ key: String, in object: String) -> String? {
        if limits.contains(key), object != "limits" { return "\(key) goes in \"limits\": { \"\(key)\": ... }" }
        if sandbox.contains(key), object != "sandbox" { return "\(key) goes in \"sandbox\": { \"\(key)\": ... }" }
        switch object {
        case "top":
            if defaults.contains(key) { return "\(key) goes in \"defaults\" or on a workload" }
            if workload.contains(key) { return "\(key) goes on a workload, in \"workloads\": [...]" }
            if key == "objective" { return "objectives go in \"slos\": [...]" }
        case "defaults":
            if workload.contains(key) { return "\(key) is set per workload, in \"workloads\": [...]" }
            if slo.contains(key) { return "\(key) goes on an objective, in \"slos\": [...]" }
        case "workload":
            if key == "objective" || key == "level" || key == "objectives" { return "objectives go in the top-level \"slos\": [...]" }
            if key == "ready" || key == "ready_timeout" { return "\(key) goes on a service, in \"services\": [...]" }
        case "slo":
            if key == "metric" || key == "threshold" { return "write the whole objective as \"objective\": \"max(wall_time) <= 15s\"" }
        default: break
        }
        return nil
    }

    /// The hint for an unknown `key` in an object that accepts `allowed`.
    static func hint(for key: String, allowed: [String], in object: String) -> String? {
        let normalized = key.lowercased().replacingOccurrences(of: "-", with: "_").replacingOccurrences(of: " ", with: "_")
        if allowed.contains(normalized) { return "did you mean \"\(normalized)\"?" }
        if let s = synonyms[normalized], allowed.contains(s) { return "did you mean \"\(s)\"?" }
        if let e = elsewhere(normalized, in: object) { return e }
        let limit = key.count <= 4 ? 1 : key.count <= 8 ? 2 : 3
        if let c = ObjectiveParser.closest(normalized, among: allowed.filter { $0 != "$schema" }, maxDistance: limit) {
            return "did you mean \"\(c)\"?"
        }
        return "known keys: " + allowed.joined(separator: ", ")
    }
}
