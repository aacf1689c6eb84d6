import Foundation
import CSpawn
#if canImport(Glibc)
import Glibc
#endif

/// The cgroups of one run. Without services: one group (today's layout, no extra cost). With
/// services: a parent group R that never holds a process, the workload's leaf `R/workload` (the
/// init and the workload; the run's limits; what the Sampler reads) and one unlimited leaf
/// `R/svc-NAME` per service.
struct RunGroups {
    var parent: CgroupGroup?
    var workload: CgroupGroup
    var services: [CgroupGroup]

    static func make(_ backend: CgroupBackend, runID: String, limits: Limits, device: BlockDevice?,
                     services: [ServicePlan]) throws -> RunGroups {
        guard !services.isEmpty else {
            return RunGroups(parent: nil, workload: try backend.create(name: runID, limits: limits, device: device), services: [])
        }
        let parent = try backend.createParent(name: runID)
        var made: [CgroupGroup] = []
        do {
            let w = try backend.create(name: runID + "/workload", limits: limits, device: device)
            made.append(w)
            for s in services {
                // Services are not limited: the limits are the workload's, and a service starved
                // by them would make the workload's figures lie. `device` keeps v1 I/O counting on.
                made.append(try backend.create(name: runID + "/svc-" + s.name, limits: Limits(), device: device))
            }
            return RunGroups(parent: parent, workload: w, services: Array(made.dropFirst()))
        } catch {
            for g in made.reversed() { _ = backend.remove(g) }
            _ = backend.remove(parent)
            throw error
        }
    }

    /// Removes the leaves, then the parent; returns what could not be removed.
    func remove(_ backend: CgroupBackend) -> [String] {
        var failed: [String] = []
        for g in services { failed += backend.remove(g) }
        failed += backend.remove(workload)
        if let p = parent { failed += backend.remove(p) }
        return failed
    }
}

/// One service of one run: its process, pipes, captured output and figures.
final class RunService {
    let plan: ServicePlan
    let group: CgroupGroup
    let stdout: TailBuffer
    let stderr: TailBuffer
    var snapshot: Snapshot?
    var pid: pid_t = -1
    var pidfd: Int32 = -1
    var outFD: Int32 = -1, errFD: Int32 = -1, execFD: Int32 = -1
    /// CLOCK_MONOTONIC ns: asked to start, exec'd, ready, exit seen.
    var requestNS: Int64 = 0
    var execNS: Int64?
    var readyNS: Int64?
    var exitNS: Int64?
    /// wait4 status once reaped.
    var status: Int32?
    /// A step before execve failed (`chdir /x: No such file…`).
    var execFailure: String?
    var termSentNS: Int64?
    var sigkilled = false
    /// Output arrived since the last `log` readiness attempt.
    var fresh = true

    init(plan: ServicePlan, group: CgroupGroup, outputLimit: Int) {
        self.plan = plan
        self.group = group
        self.stdout = TailBuffer(capacity: outputLimit)
        self.stderr = TailBuffer(capacity: outputLimit)
    }

    var running: Bool { pid > 0 && status == nil }

    /// Reaps the service if it has exited (it is our child: CLONE_PARENT). True when reaped now.
    @discardableResult
    func reap(block: Bool = false) -> Bool {
        guard pid > 0, status == nil else { return false }
        var st: Int32 = 0
        let r = wait4(pid, &st, block ? 0 : WNOHANG, nil)
        guard r == pid else { return false }
        status = st
        exitNS = Monotonic.nowNS
        if pidfd >= 0 { close(pidfd); pidfd = -1 }
        // Its exec pipe may still hold records (the exec stamp, then why execve failed): every
        // writer is gone now, so reading to EOF cannot block.
        while execFD >= 0 { readExec() }
        return true
    }

    /// Reads what is there on one of its pipes; false at EOF (the fd is closed and forgotten).
    func drain(_ which: Int, scratch: inout [UInt8]) {
        let fd = which == 1 ? outFD : errFD
        guard fd >= 0 else { return }
        let n = scratch.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if n > 0 {
            scratch.withUnsafeBytes { (which == 1 ? stdout : stderr).append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            fresh = true
            return
        }
        if n < 0 && (errno == EINTR || errno == EAGAIN) { return }
        close(fd)
        if which == 1 { outFD = -1 } else { errFD = -1 }
    }

    /// Reads exec-pipe records: the exec stamp, or the failed step; EOF closes it.
    func readExec() {
        guard execFD >= 0 else { return }
        var m = cspawn_msg()
        let n = withUnsafeMutableBytes(of: &m) { Glibc.read(execFD, $0.baseAddress, MemoryLayout<cspawn_msg>.size) }
        if n == MemoryLayout<cspawn_msg>.size {
            if m.kind == CSPAWN_MSG_EXEC { execNS = m.ns }
            if m.kind == CSPAWN_MSG_ERROR {
                let step = withUnsafeBytes(of: m.step) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                let what = withUnsafeBytes(of: m.detail) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                execFailure = "\(step) \(what): \(String(cString: strerror(m.err))) (\(Names.errno(m.err)))"
            }
            return
        }
        if n < 0 && (errno == EINTR || errno == EAGAIN) { return }
        close(execFD); execFD = -1
    }

    /// How it ended, for messages: "exited with code 1", "was killed by SIGSEGV".
    var endText: String {
        guard let st = status else { return "is still running" }
        let sig = st & 0x7f
        return sig == 0 ? "exited with code \((st >> 8) & 0xff)" : "was killed by \(Names.signal(sig))"
    }

    /// The last lines of its stderr (or stdout when stderr is empty), for a failure's detail.
    var outputTail: String {
        func tail(_ b: TailBuffer) -> String {
            let text = String(decoding: b.bytes.suffix(600), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: true).suffix(4)
            var s = lines.joined(separator: " | ")
            if s.count > 300 { s = "…" + s.suffix(300) }
            return s
        }
        let e = tail(stderr)
        if !e.isEmpty { return "; its stderr ends: " + e }
        let o = tail(stdout)
        return o.isEmpty ? "; it wrote nothing" : "; its stdout ends: " + o
    }

    func closeFDs() {
        for fd in [outFD, errFD, execFD, pidfd] where fd >= 0 { close(fd) }
        outFD = -1; errFD = -1; execFD = -1; pidfd = -1
    }

    /// Writes svc-NAME.stdout.txt / .stderr.txt; true when either was cut to the limit.
    @discardableResult
    func writeOutputs(to dir: String) -> Bool {
        FileManager.default.createFile(atPath: dir + "/svc-\(plan.name).stdout.txt", contents: Data(stdout.bytes))
        FileManager.default.createFile(atPath: dir + "/svc-\(plan.name).stderr.txt", contents: Data(stderr.bytes))
        return stdout.truncated || stderr.truncated
    }

    /// Its figures from its own cgroup (end − start), plus cpu_percent over its lifetime
    /// (exec → exit). Call after it stopped, before the group is removed.
    func figures(mode: CgroupPaths.Mode) -> Figures {
        var f = Figures()
        if let snap = snapshot, mode != .none {
            let all = FinalFigures.read(start: snap)
            for m in Metric.serviceMetrics {
                if let v = all.metrics[m.rawValue] { f.set(m, v, source: all.sources[m.rawValue] ?? "") }
                else if let why = all.unmeasured[m.rawValue] { f.missing(m, why) }
            }
        } else {
            for m in Metric.serviceMetrics where m != .cpuPercent {
                f.missing(m, "no cgroup for the service: its figures cannot be separated from the run's")
            }
        }
        if let cpu = f.metrics[Metric.cpuTime.rawValue], let start = execNS, let end = exitNS, end > start {
            f.set(.cpuPercent, cpu / (Double(end - start) / 1e9) * 100, source: "cpu_time / the service's lifetime (exec to exit) × 100")
        } else {
            f.missing(.cpuPercent, f.metrics[Metric.cpuTime.rawValue] == nil
                      ? "no cpu_time: " + (f.unmeasured[Metric.cpuTime.rawValue] ?? "not measured")
                      : "the service never ran")
        }
        return f
    }
}

extension Sandbox {
    /// The namespaces a service joins, in setns order: user first (it grants the rights for the
    /// others), mnt last (after it, /proc is the run's).
    static let serviceNamespaceOrder: [(name: String, flag: Int32)] = [
        ("user", Int32(CSPAWN_NEWUSER)), ("ipc", Int32(CSPAWN_NEWIPC)), ("uts", Int32(CSPAWN_NEWUTS)),
        ("net", Int32(CSPAWN_NEWNET)), ("pid", Int32(CSPAWN_NEWPID)), ("mnt", Int32(CSPAWN_NEWNS)),
    ]

    /// Starts `svc` inside the namespaces of the run whose init is `initPID`. Returns a failure
    /// sentence (the run's `error` detail) or nil once the process exists; exec errors arrive on
    /// its exec pipe.
    func launch(_ svc: RunService, initPID: pid_t, namespaces: Int32, env: [String], program: SeccompProgram?) -> String? {
        let plan = svc.plan
        guard !plan.command.isEmpty else { return "service \"\(plan.name)\" has an empty command" }
        let base = request.cwd
        let cwd = plan.cwd.map { $0.hasPrefix("/") ? $0 : base + "/" + $0 } ?? base
        let searchPath = env.first { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) } ?? ""
        guard let exe = Sandbox.resolve(plan.command[0], path: searchPath, cwd: cwd) else {
            return "service \"\(plan.name)\": command not found: \(plan.command[0]) (searched PATH=\(searchPath))"
        }
        var opened: [Int32] = []
        defer { for fd in opened { close(fd) } }
        func pipePair() -> (Int32, Int32)? {
            var p: [Int32] = [-1, -1]
            guard cspawn_pipe_cloexec(&p) == 0 else { return nil }
            opened += p
            return (p[0], p[1])
        }
        guard let out = pipePair(), let err = pipePair(), let ex = pipePair() else {
            return "service \"\(plan.name)\": pipe2: \(String(cString: strerror(errno)))"
        }
        var nsFDs: [Int32] = [], nsTypes: [Int32] = []
        for (name, flag) in Sandbox.serviceNamespaceOrder where namespaces & flag != 0 {
            let fd = open("/proc/\(initPID)/ns/\(name)", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return "service \"\(plan.name)\": open /proc/\(initPID)/ns/\(name): \(String(cString: strerror(errno)))" }
            opened.append(fd); nsFDs.append(fd); nsTypes.append(flag)
        }
        // The files the service writes "0" to, opened here in the host's mount namespace: v1
        // `tasks` (moving its only thread skips the RCU grace period a `cgroup.procs` move waits
        // for, see Sandbox), the cgroup2 group's `cgroup.procs`.
        let v1Procs = svc.group.procsFiles.filter { $0 != (svc.group.cloneInto ?? "") + "/cgroup.procs" }
        var procs = backend is CgroupV1Backend ? v1Procs.map { String($0.dropLast("cgroup.procs".count)) + "tasks" } : v1Procs
        if let u = svc.group.cloneInto { procs.append(u + "/cgroup.procs") }
        var cgFDs: [Int32] = []
        for f in procs {
            let fd = open(f, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { return "service \"\(plan.name)\": open \(f): \(String(cString: strerror(errno)))" }
            opened.append(fd); cgFDs.append(fd)
        }
        svc.snapshot = Snapshot.take(paths: svc.group.paths)

        var cStrings: [UnsafeMutablePointer<CChar>] = []
        func c(_ s: String) -> UnsafeMutablePointer<CChar> { let p = strdup(s)!; cStrings.append(p); return p }
        defer { for p in cStrings { free(p) } }
        var argv: [UnsafeMutablePointer<CChar>?] = plan.command.map { c($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = env.map { c($0) } + [nil]
        var pid: Int32 = -1
        svc.requestNS = Monotonic.nowNS
        let rc: Int32 = argv.withUnsafeMutableBufferPointer { av in
            envp.withUnsafeMutableBufferPointer { ev in
                nsFDs.withUnsafeBufferPointer { nf in
                    nsTypes.withUnsafeBufferPointer { nt in
                        cgFDs.withUnsafeBufferPointer { cf in
                            var s = cspawn_service()
                            s.path = UnsafePointer(c(exe))
                            s.argv = UnsafePointer(av.baseAddress)
                            s.envp = UnsafePointer(ev.baseAddress)
                            s.cwd = UnsafePointer(c(cwd))
                            s.ns_fds = nf.baseAddress
                            s.ns_types = nt.baseAddress
                            s.nns = Int32(nf.count)
                            s.cgroup_fds = cf.baseAddress
                            s.ncgroups = Int32(cf.count)
                            s.stdout_fd = out.1
                            s.stderr_fd = err.1
                            s.seccomp_filter = program.map { UnsafeRawPointer($0.filter) }
                            s.seccomp_len = program?.length ?? 0
                            s.no_new_privs = 1
                            s.exec_pipe = ex.1
                            return cspawn_service_start(&s, &pid)
                        }
                    }
                }
            }
        }
        guard rc == 0 else {
            // The intermediate may have said which step on the exec pipe.
            svc.execFD = ex.0
            opened.removeAll { $0 == ex.0 }
            close(ex.1); opened.removeAll { $0 == ex.1 }
            svc.readExec()
            let why = svc.execFailure ?? "\(String(cString: strerror(-rc))) (\(Names.errno(-rc)))"
            return "service \"\(plan.name)\" could not be started: \(why)"
        }
        svc.pid = pid
        let pfd = cspawn_pidfd_open(pid)
        svc.pidfd = pfd >= 0 ? pfd : -1
        svc.outFD = out.0; svc.errFD = err.0; svc.execFD = ex.0
        opened.removeAll { $0 == out.0 || $0 == err.0 || $0 == ex.0 }
        (backend as? NoCgroupBackend)?.setRoot(pid, for: svc.group.name)
        return nil
    }

    /// The scrubbed environment of a service: PATH, HOME, LANG, TERM from the host and its own `env`.
    static func serviceEnvironment(_ plan: ServicePlan) -> [String] {
        var e: [String: String] = [:]
        let host = ProcessInfo.processInfo.environment
        for k in ["PATH", "HOME", "LANG", "TERM"] { if let v = host[k] { e[k] = v } }
        if e["PATH"] == nil { e["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" }
        for (k, v) in plan.env { e[k] = v }
        return e.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    }
}
