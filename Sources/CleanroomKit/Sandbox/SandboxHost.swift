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

    nonisolated(unsafe) private static var cached: SandboxHost?
    private static let lock = NSLock()

    /// The host this process runs on (probed on first use).
    public static var current: SandboxHost {
        lock.lock(); defer { lock.unlock() }
        if let c = cached { return c }
        let h = SandboxHost()
        cached = h
        return h
    }

    public init(cgroupRoot: String = "/sys/fs/cgroup") {
        self.cgroupRoot = cgroupRoot
        isRoot = geteuid() == 0
        let uns = SysFS.read("/proc/sys/kernel/unprivileged_userns_clone")?.trimmingCharacters(in: .whitespacesAndNewlines)
        let maxUns = SysFS.read("/proc/sys/user/max_user_namespaces")?.trimmingCharacters(in: .whitespacesAndNewlines)
        userNamespaces = uns != "0" && maxUns != "0"
        seccompNotify = cspawn_sc_notify_supported() == 1
        let detected = Self.detect(root: cgroupRoot)
        mode = detected
        var note: String?
        let picked: CgroupBackend
        switch detected {
        case .v2:
            if isRoot {
                picked = CgroupV2Backend(base: cgroupRoot)
            } else if let own = Self.ownDelegatedCgroup(root: cgroupRoot),
                      SysFS.pids(own + "/cgroup.procs").isEmpty || !(SysFS.read(own + "/cgroup.subtree_control") ?? "").isEmpty {
                // Usable only when controllers can be enabled below it: no processes in it
                // (no-internal-processes), or controllers already enabled by whoever delegated it.
                picked = CgroupV2Backend(base: own)
                note = "not root: using the delegated cgroup \(own)"
            } else if let own = Self.ownDelegatedCgroup(root: cgroupRoot) {
                picked = NoCgroupBackend()
                note = "not root: the delegated cgroup \(own) holds processes (cleanroom itself), so no controllers can be enabled below it; moving cleanroom into a leaf of it is not built yet"
            } else {
                picked = NoCgroupBackend()
                note = "not root and no writable (delegated) cgroup2 subtree: runs are not in cgroups"
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
        do {
            if let v2 = chosen as? CgroupV2Backend { _ = try v2.prepareParent() }
            if let v1 = chosen as? CgroupV1Backend { for p in v1.parents { try SysFS.mkdir(p) } }
        } catch {
            chosen = NoCgroupBackend()
            note = "cgroups present but not usable here (\(error))"
        }
        self.backend = chosen
        backendNote = note
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

    /// Our own cgroup2 directory when we may create children in it (systemd delegation, CI runners).
    static func ownDelegatedCgroup(root: String) -> String? {
        guard let text = SysFS.read("/proc/self/cgroup") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("0::") {
            let dir = root + String(line.dropFirst(3))
            if access(dir, W_OK) == 0 && access(dir + "/cgroup.subtree_control", W_OK) == 0 { return dir }
        }
        return nil
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
