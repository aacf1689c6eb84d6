import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `cleanroom doctor`'s "protect" rows: each protection of docs/sandbox.md "What the workload
/// sees", checked from inside a real sandboxed run (a shell reading its own /proc), not assumed.
enum DoctorProtections {
    /// One line per protection, "name yes|no detail", printed by the probe inside the run.
    static let probe = """
        mnt() { awk -v p="$1" '$5 == p { print $6 }' /proc/self/mountinfo | tail -n 1; }
        case "$(mnt /sys)" in ro*) echo "sys yes";; *) echo "sys no /sys is $(mnt /sys)";; esac
        case "$(mnt /proc/sys)" in ro*) echo "procsys yes";; *) echo "procsys no /proc/sys is $(mnt /proc/sys)";; esac
        bad=$(grep -E ' - (cgroup|cgroup2) ' /proc/self/mountinfo | awk '$4 != "/" || $6 !~ /^ro/ { print $5 }' | tr '\\n' ' ')
        [ -z "$bad" ] && echo "cgroupfs yes $(grep -cE ' - (cgroup|cgroup2) ' /proc/self/mountinfo)" || echo "cgroupfs no $bad"
        grep -qv ':/$' /proc/self/cgroup && echo "cgroupns no $(grep -v ':/$' /proc/self/cgroup | head -n 1)" || echo "cgroupns yes"
        m=""; for p in /proc/kcore /proc/keys /proc/timer_list; do [ -e $p ] && [ "$(head -c 1 $p 2>/dev/null | wc -c)" != 0 ] && m="$m $p"; done
        [ -z "$m" ] && echo "masked yes" || echo "masked no$m"
        cat /proc/1/environ >/dev/null 2>&1 && echo "init no /proc/1/environ readable" || echo "init yes"
        echo "caps yes $(awk '/^CapBnd/ { print $2 }' /proc/self/status)"
        """

    /// The rows, from the probe's output (nil: the probe did not run).
    static func checks(stdout: String?, host: SandboxHost) -> [DoctorReport.Check] {
        let labels: [(key: String, item: String, ok: String)] = [
            ("caps", "capabilities", "Docker's default set, bounding set"),
            ("cgroupns", "cgroup namespace", "the run's group is / in /proc/self/cgroup"),
            ("sys", "/sys read-only", "the host's /sys mounts read-only in the run"),
            ("cgroupfs", "cgroups visible", "only the run's own groups, read-only, at /sys/fs/cgroup; cgroupfs mounts:"),
            ("procsys", "/proc/sys read-only", "with /proc/sysrq-trigger, /proc/irq, /proc/bus, /proc/fs"),
            ("masked", "masked /proc files", "/proc/kcore, /proc/keys, /proc/timer_list read empty"),
            ("init", "init unreadable", host.isRoot ? "the init's memory, environ and ptrace refused (non-dumpable); argv and environment wiped"
                                                    : "argv and environment wiped"),
        ]
        guard let stdout else {
            return labels.map { DoctorReport.Check(area: "protect", item: $0.item, status: "missing", detail: "the probe run failed") }
        }
        var found: [String: (Bool, String)] = [:]
        for line in stdout.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 2).map(String.init)
            guard parts.count >= 2 else { continue }
            found[parts[0]] = (parts[1] == "yes", parts.count > 2 ? parts[2] : "")
        }
        return labels.map { l in
            guard let (ok, extra) = found[l.key] else {
                return DoctorReport.Check(area: "protect", item: l.item, status: "missing", detail: "not reported by the probe")
            }
            let detail = ok ? l.ok + (extra.isEmpty ? "" : " " + extra) : "not applied: " + extra
            return DoctorReport.Check(area: "protect", item: l.item, status: ok ? "ok" : "missing", detail: detail)
        }
    }

    /// Runs the probe in a sandbox with the contract's defaults and returns the rows.
    static func run(host: SandboxHost) -> [DoctorReport.Check] {
        guard host.canUseNamespaces else {
            return [DoctorReport.Check(area: "protect", item: "mount namespace", status: "missing",
                                       detail: "no namespaces on this host: /sys, /proc and cgroups are the host's")]
        }
        guard let out = SysFS.privateTemporaryDirectory(prefix: "cleanroom-doctor") else { return checks(stdout: nil, host: host) }
        defer { try? FileManager.default.removeItem(atPath: out) }
        let req = SandboxRequest(command: ["/bin/sh", "-c", probe], cwd: "/", limits: Limits(),
                                 settings: SandboxSettings(), timeout: 10, outputDirectory: out)
        guard let r = try? Sandbox.run(req, host: host), r.outcome == .ok else { return checks(stdout: nil, host: host) }
        return checks(stdout: try? String(contentsOfFile: out + "/stdout.txt", encoding: .utf8), host: host)
    }
}
