import Foundation

/// `cleanroom exec`'s flags checked by the very code that checks slo.json (one validation, two
/// front ends): the flags become a one-workload config, PlanBuilder reads it with its units,
/// ranges and hints, and each diagnostic is told back in terms of the flag that caused it.
public enum ExecFlags {
    /// A flag as given: its name (`--memory`), the slo.json key it stands for, and its text.
    public struct Flag: Sendable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) { self.name = name; self.value = value }
    }

    /// slo.json key path (inside the workload) of each flag, and whether a bare number is written
    /// as a JSON number there (a count, or a quantity whose bare number means the base unit).
    static let keys: [String: (path: [String], numeric: Bool)] = [
        "--memory": (["limits", "memory"], true), "--cpus": (["limits", "cpus"], true),
        "--pids": (["limits", "pids"], true),
        "--disk-read-rate": (["limits", "disk_read_rate"], true), "--disk-write-rate": (["limits", "disk_write_rate"], true),
        "--timeout": (["timeout"], true), "--kill-grace": (["kill_grace"], true),
        "--output-limit": (["output_limit"], true), "--sampling": (["sampling"], true),
        "--network": (["sandbox", "network"], false), "--seccomp": (["sandbox", "seccomp"], false),
        "--filesystem": (["sandbox", "filesystem"], false), "--expect-exit": (["expect_exit"], true),
        "--cwd": (["cwd"], false),
    ]

    /// Every problem with the flags, one line each.
    public struct Problems: Error, Sendable { public var lines: [String] }

    /// The workload the flags describe, or one line per problem (`--memory 512: … (hint)`).
    /// `baseDirectory` is what a relative --cwd or seccomp profile path resolves against;
    /// `capAdd` holds the repeatable --cap-add values (`sandbox.capabilities`).
    public static func plan(flags: [Flag], env: [String], command: [String], baseDirectory: String,
                            capAdd: [String] = []) -> Result<WorkloadPlan, Problems> {
        var problems: [String] = []
        var envPairs: [(String, String)] = []
        var envIndex: [String: Int] = [:]
        for e in env {
            guard let eq = e.firstIndex(of: "="), eq != e.startIndex else {
                problems.append("--env \(ConsoleText.escape(e)): expected KEY=VALUE (e.g. --env RUST_LOG=info)")
                continue
            }
            // A repeated KEY: the last one wins, as with `docker run -e`.
            let key = String(e[..<eq]), value = String(e[e.index(after: eq)...])
            if let i = envIndex[key] { envPairs[i].1 = value } else { envIndex[key] = envPairs.count; envPairs.append((key, value)) }
        }
        var workload: [String: Value] = ["name": .string("exec"), "command": .strings(command), "timeout": .null]
        func object(_ key: String) -> [String: Value] {
            if case .object(let o)? = workload[key] { return o } else { return [:] }
        }
        for f in flags {
            guard let k = keys[f.name] else { continue }
            let value: Value = k.numeric && isJSONNumber(f.value) ? .number(f.value) : .string(f.value)
            if k.path.count == 1 { workload[k.path[0]] = value } else {
                var inner = object(k.path[0])
                inner[k.path[1]] = value
                workload[k.path[0]] = .object(inner)
            }
        }
        if !envPairs.isEmpty { workload["env"] = .pairs(envPairs) }
        if !capAdd.isEmpty {
            var inner = object("sandbox")
            inner["capabilities"] = .strings(capAdd)
            workload["sandbox"] = .object(inner)
        }
        var text = "{\"version\": 1, \"workloads\": [" + json(.object(workload)) + "]}"
        // Data(bytes:count:), not the generic Data(_:) over the UTF-8 view: see `joinedText`.
        let data = text.withUTF8 { Data(bytes: $0.baseAddress!, count: $0.count) }
        switch ConfigLoader.load(data: data, path: "exec", baseDirectory: baseDirectory) {
        case .success(let plan) where problems.isEmpty:
            return .success(plan.workloads[0])
        case .success:
            return .failure(Problems(lines: problems))
        case .failure(let errors):
            for d in errors.diagnostics { problems.append(describe(d, flags: flags)) }
            return .failure(Problems(lines: problems))
        }
    }

    /// A diagnostic of the synthetic config in the words of the command line.
    static func describe(_ d: Diagnostic, flags: [Flag]) -> String {
        var path = d.path
        if path.hasPrefix("workloads[0]") { path.removeFirst("workloads[0]".count) }
        if path.hasPrefix(".") { path.removeFirst() }
        var subject = path
        if let (name, _) = keys.first(where: { $0.value.path.joined(separator: ".") == path }) {
            let given = flags.last { $0.name == name }?.value ?? ""
            subject = "\(name) \(ConsoleText.escape(given))"
        } else if path.hasPrefix("command[") {
            let index = Int(path.dropFirst("command[".count).dropLast()) ?? 0
            subject = index == 0 ? "COMMAND" : "argument \(index) of COMMAND"
        } else if path == "command" {
            subject = "COMMAND"
        } else if path.hasPrefix("sandbox.capabilities[") {
            // The config's message already quotes the name given.
            subject = "--cap-add"
        } else if path.hasPrefix("env") {
            subject = "--env " + ConsoleText.escape(String(path.dropFirst(4)))
        }
        return (subject.isEmpty ? "" : subject + ": ") + ConsoleText.escape(d.message) + (d.hint.map { " (\(ConsoleText.escape($0)))" } ?? "")
    }

    /// RFC 8259's number grammar: what may go into the JSON text unquoted.
    static func isJSONNumber(_ s: String) -> Bool {
        var rest = Substring(s).utf8[...]
        func isDigit(_ c: UInt8?) -> Bool { c.map { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } ?? false }
        func digits() -> Int { var n = 0; while isDigit(rest.first) { rest.removeFirst(); n += 1 }; return n }
        if rest.first == UInt8(ascii: "-") { rest.removeFirst() }
        guard isDigit(rest.first) else { return false }
        if rest.first == UInt8(ascii: "0") { rest.removeFirst() } else { _ = digits() }
        if rest.first == UInt8(ascii: ".") {
            rest.removeFirst()
            guard digits() > 0 else { return false }
        }
        if rest.first == UInt8(ascii: "e") || rest.first == UInt8(ascii: "E") {
            rest.removeFirst()
            if rest.first == UInt8(ascii: "+") || rest.first == UInt8(ascii: "-") { rest.removeFirst() }
            guard digits() > 0 else { return false }
        }
        return rest.isEmpty
    }

    /// A value of the synthetic config, as `json` writes it. Not `Any`: casts from `Any` look
    /// protocol conformances up at run time, a scan of the whole binary's table at each first use
    /// (docs/BENCHMARKS.md) — on the path of every `cleanroom exec`.
    enum Value {
        /// RFC 8259 number text, written bare.
        case number(String)
        case string(String)
        case strings([String])
        /// env: in the order typed, repeated keys kept, so the config's own checks see them.
        case pairs([(String, String)])
        case object([String: Value])
        case null
    }

    static func json(_ v: Value) -> String {
        switch v {
        case .number(let text): return text
        case .null: return "null"
        case .string(let s): return ConfigErrors.jsonString(s)
        case .strings(let a): return "[" + a.map(ConfigErrors.jsonString).joinedText(separator: ", ") + "]"
        case .pairs(let pairs):
            return "{" + pairs.map { ConfigErrors.jsonString($0.0) + ": " + ConfigErrors.jsonString($0.1) }.joinedText(separator: ", ") + "}"
        case .object(let o):
            return "{" + o.sorted { $0.key < $1.key }.map { ConfigErrors.jsonString($0.key) + ": " + json($0.value) }.joinedText(separator: ", ") + "}"
        }
    }
}
