import Foundation
import CSpawn
#if canImport(Glibc)
import Glibc
#endif

/// What starting the services at the gate gave.
struct ServiceStartupResult {
    /// Open the gate: the workload may run.
    var go = true
    /// The run's `error` detail, naming the service and why.
    var failure: String?
    /// The init itself failed a step of the set-up (a mount, `lo`): the sandbox was not built.
    var initFailure: SpawnFailure?
}

/// Services start inside a live run's namespaces, at the gate (docs/sandbox.md "Services"):
/// wait for the init's set-up, then each service in order, each ready before the next.
/// Their shutdown is in ServiceShutdown.swift.
extension Sandbox {
    func startServicesAtGate(_ services: [RunService], execFD: Int32, initPID: pid_t, namespaces: Int32,
                             program: SeccompProgram?) -> ServiceStartupResult {
        var r = ServiceStartupResult()
        switch awaitInitSetup(execFD: execFD) {
        case .ready: break
        case .failed(let f): r.initFailure = f; r.go = false; return r
        case .gone: r.go = false; return r
        }
        r.failure = startServices(services, initPID: initPID, namespaces: namespaces, program: program)
        r.go = r.failure == nil && !isInterrupted
        // metrics_from prometheus (Adapters/): the "before" scrape, services ready, workload not started.
        if r.go { request.metricsScrape?.scrape(.before, initPID: initPID, ownNetwork: namespaces & Int32(CSPAWN_NEWNET) != 0) }
        return r
    }

    enum InitSetup { case ready, failed(SpawnFailure), gone }

    /// Waits for the init to finish the run's set-up (mounts, `lo`) and stop at the gate.
    func awaitInitSetup(execFD: Int32, seconds: Double = 30) -> InitSetup {
        let deadline = Monotonic.now + seconds
        while Monotonic.now < deadline {
            var p = pollfd(fd: execFD, events: Int16(POLLIN), revents: 0)
            let n = poll(&p, 1, 100)
            if n < 0 && errno != EINTR { return .gone }
            if n <= 0 { if isInterrupted { return .gone }; continue }
            switch SpawnMessage.read(execFD) {
            case .message(.setup): return .ready
            case .message(.failure(let f)): return .failed(f)
            case .message, .nothing: continue
            case .eof: return .gone   // the init is gone
            }
        }
        return .gone
    }

    /// Starts the services in the order given, each ready before the next one starts (a later
    /// service may depend on an earlier one). nil when all are ready; else the run's `error`
    /// detail, naming the service and why. Returns nil also when interrupted (the caller sees it).
    func startServices(_ svcs: [RunService], initPID: pid_t, namespaces: Int32, program: SeccompProgram?) -> String? {
        // Readiness sockets are made in the run's network namespace (network: none).
        var netns: Int32 = -1
        if namespaces & Int32(CSPAWN_NEWNET) != 0 {
            netns = open("/proc/\(initPID)/ns/net", O_RDONLY | O_CLOEXEC)
            if netns < 0 { return "services: \(SystemFailure.last("open", "/proc/\(initPID)/ns/net"))" }
        }
        defer { if netns >= 0 { close(netns) } }
        let scratch = ReadScratch()
        var started: [RunService] = []
        for svc in svcs {
            if isInterrupted { return nil }
            let name = svc.plan.name
            let probe = ServiceReadiness(check: svc.plan.ready, netnsFD: netns)
            if let bad = probe.invalid { return "service \"\(name)\": \(bad)" }
            if let f = launch(svc, initPID: initPID, namespaces: namespaces,
                              env: SandboxRequest.serviceEnvironment(svc.plan), program: program) { return f }
            started.append(svc)
            let deadline = Monotonic.now + svc.plan.readyTimeout
            var lastWhy = "no attempt finished"
            var nextProbe = Monotonic.now
            var interval = 0.002   // 2 ms, growing to 25 ms: a fast server is seen fast, a slow one polled gently
            var isLog = false
            if case .log = svc.plan.ready { isLog = true }
            while true {
                let wait = max(0, min(nextProbe, deadline) - Monotonic.now)
                RunService.pump(started, timeout: wait, scratch: scratch)
                if isInterrupted { return nil }
                for s in started {
                    if let f = s.execFailure { return "service \"\(s.plan.name)\": \(f)" }
                    if s.status != nil {
                        let when = s === svc ? "before it was ready" : "while service \"\(name)\" was starting"
                        return "service \"\(s.plan.name)\" \(s.endText) \(when)" + s.outputTail
                    }
                }
                let now = Monotonic.now
                // A log check runs as soon as output arrives; network checks on a short, growing interval.
                if now >= nextProbe || (isLog && svc.fresh) {
                    if !isLog || svc.fresh {
                        svc.fresh = false
                        if let why = probe.attempt(stdout: svc.stdout, stderr: svc.stderr, budget: max(0.05, deadline - now)) {
                            lastWhy = why
                        } else {
                            svc.readyNS = Monotonic.nowNS
                            break
                        }
                    }
                    nextProbe = Monotonic.now + interval
                    interval = min(0.025, interval * 1.5)
                }
                if Monotonic.now >= deadline {
                    return "service \"\(name)\" was not ready within \(Units.format(svc.plan.readyTimeout, .duration)) (\(lastWhy))"
                        + svc.outputTail
                }
            }
        }
        return nil
    }

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
        let name = "service \"\(plan.name)\""
        guard !plan.command.isEmpty else { return "\(name) has an empty command" }
        let cwd = plan.cwd.map { $0.hasPrefix("/") ? $0 : request.cwd + "/" + $0 } ?? request.cwd
        let searchPath = SandboxRequest.searchPath(env)
        guard let exe = Sandbox.resolve(plan.command[0], path: searchPath, cwd: cwd) else {
            return "\(name): command not found: \(plan.command[0]) (searched PATH=\(searchPath))"
        }
        let fds = RunPipes()
        let out: RunPipes.Pair, err: RunPipes.Pair, ex: RunPipes.Pair
        do {
            (out, err, ex) = (try RunPipes.pipe(), try RunPipes.pipe(), try RunPipes.pipe())
            (fds.stdout, fds.stderr, fds.exec) = (out, err, ex)
        } catch { return "\(name): \(error)" }
        var nsFDs: [Int32] = [], nsTypes: [Int32] = []
        for (ns, flag) in Sandbox.serviceNamespaceOrder where namespaces & flag != 0 {
            let fd = open("/proc/\(initPID)/ns/\(ns)", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return "\(name): \(SystemFailure.last("open", "/proc/\(initPID)/ns/\(ns)"))" }
            fds.own(fd); nsFDs.append(fd); nsTypes.append(flag)
        }
        // The files the service writes "0" to, opened here in the host's mount namespace (inside,
        // /sys may be read-only): v1 `tasks`, the cgroup2 group's `cgroup.procs`.
        var cgFDs: [Int32] = []
        for f in svc.group.childJoinFiles(v1: backend is CgroupV1Backend) + (svc.group.cloneInto.map { [$0 + "/cgroup.procs"] } ?? []) {
            let fd = open(f, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { return "\(name): \(SystemFailure.last("open", f))" }
            fds.own(fd); cgFDs.append(fd)
        }
        svc.snapshot = Snapshot.fresh(paths: svc.group.paths)   // its group was made for it (RunGroups)

        let arena = CArena()
        var s = cspawn_service()
        s.path = UnsafePointer(arena.string(exe))
        s.argv = UnsafePointer(arena.strings(plan.command))
        s.envp = UnsafePointer(arena.strings(env))
        s.cwd = UnsafePointer(arena.string(cwd))
        s.ns_fds = UnsafePointer(arena.array(nsFDs))
        s.ns_types = UnsafePointer(arena.array(nsTypes))
        s.nns = Int32(nsFDs.count)
        s.cgroup_fds = UnsafePointer(arena.array(cgFDs))
        s.ncgroups = Int32(cgFDs.count)
        s.stdout_fd = out.write
        s.stderr_fd = err.write
        s.seccomp_filter = program.map { UnsafeRawPointer($0.filter) }
        s.seccomp_len = program?.length ?? 0
        s.no_new_privs = 1
        s.drop_caps = 1
        s.keep_caps = Capabilities.mask(adding: request.settings.capabilities)
        s.exec_pipe = ex.write
        var pid: Int32 = -1
        svc.requestNS = Monotonic.nowNS
        let rc = cspawn_service_start(&s, &pid)
        // The service has its own copies: ours of its ends go now (EOF then means it is gone).
        fds.close(out.write); fds.close(err.write); fds.close(ex.write)
        svc.execFD = ex.read; fds.exec.read = -1
        guard rc == 0 else {
            // The intermediate may have said which step on the exec pipe.
            svc.readExec()
            let why = svc.execFailure ?? SystemFailure("clone", "service", errno: -rc).description
            return "\(name) could not be started: \(why)"
        }
        svc.pid = pid
        let pfd = cspawn_pidfd_open(pid)
        svc.pidfd = pfd >= 0 ? pfd : -1
        svc.outFD = out.read; svc.errFD = err.read
        fds.stdout.read = -1; fds.stderr.read = -1
        (backend as? NoCgroupBackend)?.setRoot(pid, for: svc.group.name)
        return nil
    }
}
