import Foundation
import CSpawn
#if canImport(Glibc)
import Glibc
#endif

/// What this host offers the sandbox: cgroup layout, privileges, namespaces, seccomp. Probed once
/// per process (cheap: a few stat/read calls) and shared by `Sandbox` and `cleanroom doctor`.
public final class SandboxHost: @unchecked Sendable {
    public let cgroupRoot: String
    public let mode: CgroupPaths.Mode
    public let isRoot: Bool
    /// Unprivileged user namespaces allowed (needed for namespaces without root).
    public let userNamespaces: Bool
    public let seccompNotify: Bool
    public let backend: CgroupBackend
    /// Why the backend is what it is (for doctor and degraded lists).
    public let backendNote: String?
    /// Where the runs' cgroups live when that is worth saying but nothing is degraded (our own
    /// cgroup in a container, and whether cleanroom moved itself): for doctor, never host.degraded.
    public let backendInfo: String?
    /// Whether the `cleanroom` parents may hold a dead process's groups: false only when the
    /// probe made every one of them itself (v1), so that nothing can have been left in them before
    /// this process began; the first run's leftover scan (`Sandbox.sweepOnce`) is then skipped.
    let parentsMayHoldLeftovers: Bool

    nonisolated(unsafe) private static var cached: SandboxHost?
    private static let lock = NSLock()

    /// The host this process runs on (probed on first use).
    public static var current: SandboxHost {
        lock.lock(); defer { lock.unlock() }
        if let c = cached { return c }
        SpawnTrace.mark("host probe started (first use in this process)")
        // CLEANROOM_CGROUP_ROOT: another cgroup mount to use (a non-standard mount point; or, on a
        // hybrid host, its cgroup2 tree /sys/fs/cgroup/unified to measure the cgroup2-only spawn path).
        let h = SandboxHost(cgroupRoot: getenv("CLEANROOM_CGROUP_ROOT").map { String(cString: $0) } ?? "/sys/fs/cgroup")
        SpawnTrace.mark("host probed")
        cached = h
        return h
    }

    /// `selfCgroupFile`: where our own cgroup is read from (tests point it at a fake file).
    public init(cgroupRoot: String = "/sys/fs/cgroup", selfCgroupFile: String = "/proc/self/cgroup") {
        self.cgroupRoot = cgroupRoot
        isRoot = geteuid() == 0
        let uns = SysFS.read("/proc/sys/kernel/unprivileged_userns_clone")?.trimmingSpaceAndNewlines
        let maxUns = SysFS.read("/proc/sys/user/max_user_namespaces")?.trimmingSpaceAndNewlines
        userNamespaces = uns != "0" && maxUns != "0"
        seccompNotify = cspawn_sc_notify_supported() == 1
        let detected = Self.detect(root: cgroupRoot)
        mode = detected
        var note: String?
        var info: String?
        var picked: CgroupBackend
        var prepared = false
        switch detected {
        case .v2:
            // The root on the host, or our own cgroup when it is ours to manage (a container's
            // cgroup namespace, a delegated cgroup): cleanroom moves itself into a leaf of it first.
            switch CgroupV2Placement.decide(root: cgroupRoot, selfCgroup: SysFS.read(selfCgroupFile), isRoot: isRoot) {
            case let .manage(base, moveSelf):
                do {
                    let b = try CgroupV2Backend.adopting(base: base, moveSelf: moveSelf)
                    picked = b
                    prepared = true
                    if let leaf = b.supervisorLeaf {
                        info = "runs under our own cgroup \(base); cleanroom moved itself into \(leaf) so controllers could be enabled there"
                    } else if base != cgroupRoot {
                        info = "runs under our own cgroup \(base)"
                    }
                } catch {
                    picked = NoCgroupBackend()
                    note = "cgroup2 present but not usable here (\(error))"
                }
            case let .unusable(why):
                picked = NoCgroupBackend()
                note = why
            }
        case .v1, .hybrid:
            if isRoot {
                picked = CgroupV1Backend(root: cgroupRoot, unified: detected == .hybrid ? cgroupRoot + "/unified" : nil)
            } else {
                picked = NoCgroupBackend()
                note = "not root: cgroup v1 hierarchies cannot be written"
            }
        case .none:
            picked = NoCgroupBackend()
            note = "no cgroup filesystem mounted"
        }
        // A read-only or foreign cgroupfs (containers) must degrade, not fail every run: try the
        // one write every run needs (the `cleanroom` parents, controllers enabled) now.
        var chosen: CgroupBackend = picked
        var mayHoldLeftovers = true
        do {
            if let v2 = chosen as? CgroupV2Backend, !prepared { _ = try v2.prepareParent() }
            if let v1 = chosen as? CgroupV1Backend {
                mayHoldLeftovers = false
                for p in v1.parents {
                    let made = try SysFS.mkdir(p)
                    if !made { mayHoldLeftovers = true }   // it was there before this process
                }
            }
        } catch {
            chosen = NoCgroupBackend()
            note = "cgroups present but not usable here (\(error))"
            mayHoldLeftovers = true
        }
        self.backend = chosen
        parentsMayHoldLeftovers = mayHoldLeftovers
        // The probe made the parents: they go when the process exits, whether or not it ran
        // anything (an `exec` whose command is refused, a `doctor` that stops early).
        if !(chosen is NoCgroupBackend) { Sandbox.removeParentsAtExit(chosen) }
        backendNote = note
        backendInfo = note == nil ? info : nil
    }

    /// v2: cgroup2 at the root with controllers; hybrid: v1 controllers plus cgroup2 at unified/;
    /// v1: controllers only; none: nothing mounted.
    public static func detect(root: String) -> CgroupPaths.Mode {
        if SysFS.exists(root + "/cgroup.controllers") { return .v2 }
        let hasV1 = CgroupV1Backend.controllers.contains { SysFS.exists(root + "/" + $0 + "/cgroup.procs") }
        let hasUnified = SysFS.exists(root + "/unified/cgroup.controllers")
        if hasV1 { return hasUnified ? .hybrid : .v1 }
        return .none
    }

    /// Namespaces we can create: all five (plus user when not root) or none.
    public var canUseNamespaces: Bool { isRoot || userNamespaces }

    /// What cannot be enforced for `request` on this host, one sentence each (host.degraded).
    public func degradations(for request: SandboxRequest) -> [String] {
        var out: [String] = []
        if let note = backendNote { out.append("cgroups: " + note) }
        out += backend.limitations(for: request.limits)
        if !canUseNamespaces {
            out.append("namespaces not available (not root and user namespaces disabled): network \(request.settings.network.rawValue), filesystem \(request.settings.filesystem.rawValue), PID/IPC/UTS isolation not enforced")
        }
        out += Protections.degradations(host: self)
        switch request.settings.seccomp {
        case .none: break
        default:
            if !seccompNotify { out.append("seccomp denials are not counted: kernel or libseccomp lacks user notification (denied with EPERM instead)") }
        }
        return out
    }

    /// Kernel release (uname -r).
    public static var kernel: String {
        var u = utsname()
        uname(&u)
        return withUnsafePointer(to: &u.release) { $0.withMemoryRebound(to: CChar.self, capacity: 65) { String(cString: $0) } }
    }
}
