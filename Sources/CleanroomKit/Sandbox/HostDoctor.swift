import Foundation
import CSpawn
#if canImport(Glibc)
import Glibc
#endif

/// `cleanroom doctor`: what this host can enforce and measure, each item probed for real
/// (namespaces are created, the seccomp filter is compiled, a sandboxed /bin/true is run).
public struct DoctorReport: Codable, Sendable {
    public struct Check: Codable, Sendable {
        public var area: String
        public var item: String
        /// "ok" | "missing" | "degraded" | "info"
        public var status: String
        public var detail: String
    }
    public var kernel: String
    public var cgroup: String
    public var root: Bool
    public var checks: [Check]
    /// What would be degraded for a workload with the contract's defaults and every limit set.
    public var degraded: [String]

    /// Probes the host.
    public static func probe(host: SandboxHost = .current) -> DoctorReport {
        var checks: [Check] = []
        func add(_ area: String, _ item: String, _ ok: Bool?, _ detail: String) {
            checks.append(Check(area: area, item: item, status: ok == nil ? "info" : (ok! ? "ok" : "missing"), detail: detail))
        }
        add("host", "privileges", host.isRoot, host.isRoot ? "root" : "not root (uid \(geteuid())): user namespaces and delegated cgroups only")
        add("cgroup", "mode", host.mode != .none, "\(host.mode.rawValue); runs are grouped by the \(host.backend.mode.rawValue) backend" + ((host.backendNote ?? host.backendInfo).map { " (\($0))" } ?? ""))
        switch host.backend {
        case let v1 as CgroupV1Backend:
            for c in CgroupV1Backend.controllers {
                let h = v1.hierarchy(c)
                add("cgroup", "v1 \(c)", h != nil, h.map { "hierarchy \($0)" } ?? "not mounted")
            }
            if let u = v1.unifiedMount {
                let psi = SysFS.exists(u + "/cgroup.pressure") || SysFS.exists(u + "/cpu.pressure")
                add("cgroup", "cgroup2 (unified)", true, "\(u): per-run group for PSI and cpu.stat; controllers: \(SysFS.read(u + "/cgroup.controllers")?.trimmingSpaceAndNewlines.nilIfEmpty ?? "none")")
                add("measure", "PSI per run", psi, psi ? "cpu/memory/io.pressure in the run's unified group" : "no pressure files (kernel without CONFIG_PSI or psi=0)")
            }
            let memsw = v1.hierarchy("memory").map { SysFS.exists($0 + "/memory.memsw.limit_in_bytes") } ?? false
            add("limits", "memory without swap", memsw, memsw ? "memory.memsw.limit_in_bytes" : "no memsw (swapaccount=0): swappiness 0 only")
        case let v2 as CgroupV2Backend:
            let avail = v2.available
            for c in CgroupV2Backend.wanted { add("cgroup", "v2 \(c)", avail.contains(c), avail.contains(c) ? "available to \(v2.base)" : "not in \(v2.base)/cgroup.controllers") }
            add("cgroup", "cgroup.kill", SysFS.exists(v2.base + "/cleanroom/cgroup.kill") || SysFS.exists(v2.base + "/cgroup.kill") || kernelAtLeast(5, 14), "atomic kill of a run (5.14+); else freeze and kill")
            add("cgroup", "CLONE_INTO_CGROUP", kernelAtLeast(5, 7), "spawn straight into the run's cgroup (5.7+)")
            add("measure", "PSI per run", SysFS.exists("/proc/pressure/cpu"), "cpu/memory/io.pressure of the run's cgroup")
        default:
            add("cgroup", "backend", false, "none: limits by rlimit only, process tree walked for kills; nothing per run to measure from cgroups")
        }
        add("measure", "PSI (system)", SysFS.exists("/proc/pressure/cpu"), SysFS.exists("/proc/pressure/cpu") ? "/proc/pressure" : "no /proc/pressure")

        let namespaces: [(String, Int32)] = [("net", CSPAWN_NEWNET), ("pid", CSPAWN_NEWPID), ("ipc", CSPAWN_NEWIPC),
                                             ("uts", CSPAWN_NEWUTS), ("mnt", CSPAWN_NEWNS), ("user", CSPAWN_NEWUSER)]
        for (name, flag) in namespaces {
            let flags = host.isRoot || flag == CSPAWN_NEWUSER ? flag : (flag | CSPAWN_NEWUSER)
            let r = cspawn_probe_namespaces(flags)
            add("namespaces", name, r == 0, r == 0 ? "created" + (flags != flag ? " (inside a user namespace)" : "") : "cannot create: \(String(cString: strerror(-r)))")
        }
        let mode = cspawn_seccomp_mode()
        add("seccomp", "filters", mode >= 0, mode >= 0 ? "seccomp filter mode available" : "kernel without CONFIG_SECCOMP_FILTER")
        add("seccomp", "user notification", host.seccompNotify, host.seccompNotify ? "denied calls counted by name" : "denied with EPERM but not counted (kernel < 5.0, or libseccomp < 2.5 or not installed)")
        do {
            let p = try SeccompPolicy.program(for: .default, notify: host.seccompNotify)
            add("seccomp", "default policy", true, "\(p?.length ?? 0) BPF instructions; \(SeccompPolicy.defaultDenied.count) calls denied" + ((p?.unknownNames.isEmpty ?? true) ? "" : ", unknown here: \(p!.unknownNames.joined(separator: " "))"))
        } catch {
            add("seccomp", "default policy", false, "\(error)")
        }

        let sender = WebhookTransport.senderPath()
        add("alerts", "webhook sender", sender != nil, sender.map { "\($0): alerts are delivered" }
            ?? "\(WebhookTransport.senderName) not found in ../libexec/cleanroom/ or beside the executable: alerts would fail (reinstall)")

        // End to end: a real sandboxed /bin/true with every limit.
        // Private scratch (mkdtemp, 0700): a predictable name in a shared /tmp could be planted.
        let out = SysFS.privateTemporaryDirectory(prefix: "cleanroom-doctor") ?? "/nonexistent/cleanroom-doctor"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let limits = Limits(memory: 256 << 20, cpus: 1, pids: 64, diskReadRate: 100_000_000, diskWriteRate: 100_000_000)
        let req = SandboxRequest(command: ["/bin/true"], cwd: FileManager.default.currentDirectoryPath, limits: limits,
                                 settings: SandboxSettings(), timeout: 10, outputDirectory: out)
        let degraded = Sandbox.degradations(for: req, host: host)
        do {
            let r = try Sandbox.run(req, host: host)
            let startup = r.metrics["startup_time"].map { Units.format($0, .duration) } ?? "?"
            add("run", "sandboxed /bin/true", r.outcome == .ok, "outcome \(r.outcome.rawValue), startup \(startup)" + (r.detail.map { ": \($0)" } ?? ""))
        } catch {
            add("run", "sandboxed /bin/true", false, "\(error)")
        }
        checks += DoctorProtections.run(host: host)
        for d in degraded { checks.append(Check(area: "degraded", item: "not enforced", status: "degraded", detail: d)) }
        return DoctorReport(kernel: SandboxHost.kernel, cgroup: host.mode.rawValue, root: host.isRoot, checks: checks, degraded: degraded)
    }

    static func kernelAtLeast(_ major: Int, _ minor: Int) -> Bool {
        let parts = SandboxHost.kernel.split(separator: ".").prefix(2).map { Int($0.prefix { $0.isNumber }) ?? 0 }
        guard parts.count == 2 else { return false }
        return (parts[0], parts[1]) >= (major, minor)
    }

    /// A fixed-width table for terminals and CI logs.
    public func table() -> String {
        var lines = ["cleanroom doctor — kernel \(kernel), cgroup \(cgroup), \(root ? "root" : "not root")", ""]
        let w0 = max(4, checks.map(\.area.count).max() ?? 0), w1 = max(4, checks.map(\.item.count).max() ?? 0)
        func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
        lines.append("\(pad("AREA", w0))  \(pad("ITEM", w1))  \(pad("STATUS", 8))  DETAIL")
        for c in checks { lines.append("\(pad(c.area, w0))  \(pad(c.item, w1))  \(pad(c.status, 8))  \(c.detail)") }
        lines.append("")
        lines.append(degraded.isEmpty ? "Everything the contract asks for is enforced on this host."
                                      : "\(degraded.count) thing(s) would not be enforced (--strict turns this into exit 3).")
        return lines.joined(separator: "\n")
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
