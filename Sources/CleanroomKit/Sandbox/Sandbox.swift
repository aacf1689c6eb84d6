import Foundation
import CSpawn
#if canImport(Glibc)
import Glibc
#endif

/// Runs one command in a fresh cgroup, fresh namespaces and a seccomp filter, waits for it on the
/// calling thread (one poll loop: output pipes, exec/status pipes, seccomp notifications, the
/// init's pidfd, deadlines), decides the outcome from kernel facts, and removes every trace.
///
/// `run` throws only when the sandbox could not be set up (exit 3); everything the workload does
/// — including not existing — is an outcome in the returned record.
public final class Sandbox {
    // MARK: public API

    /// Runs `request` once. `index`/`warmup` are copied into the record. `observer` (the Sampler)
    /// is told when the workload started and asked for its figures once everything has exited.
    public static func run(_ request: SandboxRequest, index: Int = 1, warmup: Bool = false,
                           observer: RunObserver? = nil, host: SandboxHost = .current) throws -> RunRecord {
        SpawnTrace.mark("Sandbox.run called (host probed)")
        sweepOnce(host)
        SpawnTrace.mark("leftovers scanned (any sweep runs in the background)")
        defer { SpawnTrace.flush("run \(index)") }
        let sandbox = Sandbox(request: request, host: host, observer: observer)
        return try sandbox.execute(index: index, warmup: warmup)
    }

    /// What `request` asks for that this host cannot enforce (for `host.degraded`; with `strict`
    /// a non-empty list makes `run` throw `SandboxError.notEnforced`).
    public static func degradations(for request: SandboxRequest, host: SandboxHost = .current) -> [String] {
        var out = host.degradations(for: request)
        if request.limits.diskReadRate != nil || request.limits.diskWriteRate != nil, host.backend.mode != .none {
            let (dev, why) = BlockDevice.holding(request.cwd)
            if dev == nil, let why { out.append("disk rate limits not enforced: \(why)") }
        }
        return unique(out)
    }

    /// Kills every live run of this process now (the CLI's SIGINT/SIGTERM handler calls this).
    /// Each run's own thread then sees its init exit, cleans up and returns outcome `killed`.
    public static func tearDownAll() {
        registryLock.lock()
        // Runs still setting up (not registered yet) see the new generation when they register.
        generation += 1
        let runs = Array(live.values)
        registryLock.unlock()
        for r in runs { r.interrupt() }
    }

    /// Number of runs in progress in this process.
    public static var liveCount: Int { registryLock.lock(); defer { registryLock.unlock() }; return live.count }

    /// Removes cgroups left by cleanroom processes that died (their owner PID is in the name).
    @discardableResult
    public static func sweepLeftovers(host: SandboxHost = .current) -> [String] {
        sweepLock.lock(); defer { sweepLock.unlock() }
        return host.backend.sweepLeftovers()
    }

    // MARK: registry

    static let registryLock = NSLock()
    nonisolated(unsafe) static var live: [ObjectIdentifier: Sandbox] = [:]
    nonisolated(unsafe) static var swept = false
    nonisolated(unsafe) static var generation = 0

    static let sweepLock = NSLock()

    /// The first run of a process sweeps the leftovers of dead cleanroom processes. The scan for
    /// them is cheap (readdir of the `cleanroom/` parents); killing and removing them is not, and
    /// runs on a thread of its own: it only ever touches groups whose owner is dead (never this
    /// process's), so the run need not wait for it.
    static func sweepOnce(_ host: SandboxHost) {
        registryLock.lock()
        let first = !swept
        swept = true
        registryLock.unlock()
        guard first else { return }
        let backend = host.backend
        guard backend.hasLeftovers() else { return }
        Thread.detachNewThread {
            sweepLock.lock(); defer { sweepLock.unlock() }
            _ = backend.sweepLeftovers()
        }
    }

    // MARK: one run

    let request: SandboxRequest
    let host: SandboxHost
    let backend: CgroupBackend
    weak var observer: RunObserver?
    let stateLock = NSLock()
    var group: CgroupGroup?
    var rootPID: pid_t = -1
    var interrupted = false

    /// The teardown generation when this run was asked for.
    let bornIn: Int

    init(request: SandboxRequest, host: SandboxHost, observer: RunObserver?) {
        Sandbox.registryLock.lock(); bornIn = Sandbox.generation; Sandbox.registryLock.unlock()
        self.request = request
        self.host = host
        self.backend = host.backend
        self.observer = observer
    }

    func interrupt() {
        stateLock.lock()
        interrupted = true
        let pid = rootPID, g = group
        stateLock.unlock()
        if pid > 0 { kill(pid, SIGKILL) }
        if let g { backend.killAll(g) }
    }

    static func unique(_ list: [String]) -> [String] {
        var seen = Set<String>()
        return list.filter { seen.insert($0).inserted }
    }

    /// Finds `name` in PATH as execvp would; nil when nothing executable is there.
    static func resolve(_ name: String, path: String, cwd: String) -> String? {
        if name.contains("/") { return name }
        for dir in path.split(separator: ":", omittingEmptySubsequences: false) {
            let d = dir.isEmpty ? cwd : (dir.hasPrefix("/") ? String(dir) : cwd + "/" + dir)
            let candidate = d + "/" + name
            var st = stat()
            if stat(candidate, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }

    func execute(index: Int, warmup: Bool) throws -> RunRecord {
        let t0 = Monotonic.nowNS
        let req = request
        guard !req.command.isEmpty else { throw SandboxError.setup("empty command") }
        var degraded = Sandbox.degradations(for: req, host: host)
        if req.strict && !degraded.isEmpty { throw SandboxError.notEnforced(degraded) }
        SpawnTrace.mark("degradations listed")

        do {
            try FileManager.default.createDirectory(atPath: req.outputDirectory, withIntermediateDirectories: true)
        } catch {
            throw SandboxError.setup("output directory \(req.outputDirectory): \(error.localizedDescription)")
        }
        let reportDir = req.outputReportPath ?? req.outputDirectory
        let outputFiles = OutputFiles(stdout: reportDir + "/stdout.txt", stderr: reportDir + "/stderr.txt", truncated: false)
        let metricsPath = req.metricsFile ? req.outputDirectory + "/metrics.jsonl" : nil
        let env = req.environment(metricsPath: metricsPath)
        let searchPath = env.first { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) } ?? ""

        var record = RunRecord(index: index, warmup: warmup, outcome: .error)
        record.output = outputFiles

        guard SysFS.isDirectory(req.cwd) else {
            record.detail = "chdir \(req.cwd): not an existing directory"
            writeOutputs(TailBuffer(capacity: 0), TailBuffer(capacity: 0))
            return record
        }
        guard let exe = Sandbox.resolve(req.command[0], path: searchPath, cwd: req.cwd) else {
            record.detail = "command not found: \(req.command[0]) (searched PATH=\(searchPath))"
            writeOutputs(TailBuffer(capacity: 0), TailBuffer(capacity: 0))
            return record
        }

        SpawnTrace.mark("output dir, env, PATH lookup")
        let program: SeccompProgram?
        do { program = try SeccompPolicy.program(for: req.settings.seccomp, notify: host.seccompNotify) } catch {
            throw SandboxError.setup("\(error)")
        }
        // Services get the same policy without a listener: their denials are refused, not counted.
        let services = req.services
        var serviceProgram: SeccompProgram?
        if !services.isEmpty {
            guard host.canUseNamespaces else {
                record.detail = "services need the run's own namespaces, which this host cannot create"
                writeOutputs(TailBuffer(capacity: 0), TailBuffer(capacity: 0))
                return record
            }
            do { serviceProgram = try SeccompPolicy.program(for: req.settings.seccomp, notify: false) } catch {
                throw SandboxError.setup("\(error)")
            }
        }

        SpawnTrace.mark("seccomp compiled")
        // The cgroup, with its limits.
        let runID = RunID.next()
        let needDevice = req.limits.diskReadRate != nil || req.limits.diskWriteRate != nil || backend is CgroupV1Backend
        let device = needDevice ? BlockDevice.holding(req.cwd).0 : nil
        // With services: R (no process) → R/workload (limits; the init and the workload) + R/svc-NAME.
        let groups: RunGroups
        do { groups = try RunGroups.make(backend, runID: runID, limits: req.limits, device: device, services: services) } catch {
            throw SandboxError.setup("cgroup \(runID): \(error)")
        }
        let group = groups.workload
        SpawnTrace.mark("cgroups created with limits")
        defer {
            // The last run of this process leaves no `cleanroom` parent behind (this defer runs
            // after the registry's, so `live` no longer holds this run).
            Sandbox.registryLock.lock(); let lastRun = Sandbox.live.isEmpty; Sandbox.registryLock.unlock()
            if lastRun { backend.removeEmptyParents() }
        }
        degraded = Sandbox.unique(degraded + group.degraded)
        if req.strict && !degraded.isEmpty {
            _ = groups.remove(backend)
            throw SandboxError.notEnforced(degraded)
        }

        // Pipes: output, exec (child → us: exec time or the failed step), status (init → us), seccomp fd.
        var fds: [Int32] = []
        func pipePair() throws -> (Int32, Int32) {
            var p: [Int32] = [-1, -1]
            guard cspawn_pipe_cloexec(&p) == 0 else { throw SandboxError.setup("pipe2: \(String(cString: strerror(errno)))") }
            fds += p
            return (p[0], p[1])
        }
        var spawned = false
        defer {
            for fd in fds where fd >= 0 { close(fd) }
            if !spawned { _ = groups.remove(backend) }
        }
        let out = try pipePair(), err = try pipePair(), execP = try pipePair(), statusP = try pipePair()
        var sock: [Int32] = [-1, -1]
        let wantNotify = program?.usesNotify == true
        if wantNotify {
            guard socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &sock) == 0 else {
                throw SandboxError.setup("socketpair: \(String(cString: strerror(errno)))")
            }
            fds += sock
        }
        var metricsFD: Int32 = -1
        if let mp = metricsPath {
            metricsFD = open(mp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o644)
            guard metricsFD >= 0 else { throw SandboxError.setup("open \(mp): \(String(cString: strerror(errno)))") }
            fds.append(metricsFD)
        }

        // Namespaces: all of ours when we may; a user namespace makes them possible without root.
        var ns: Int32 = 0
        if host.canUseNamespaces {
            ns = Int32(CSPAWN_NEWPID | CSPAWN_NEWIPC | CSPAWN_NEWUTS | CSPAWN_NEWNS)
            if req.settings.network == .none { ns |= Int32(CSPAWN_NEWNET) }
            if !host.isRoot { ns |= Int32(CSPAWN_NEWUSER) }
        }
        let fsMode: Int32 = {
            switch req.settings.filesystem {
            case .host: return CSPAWN_FS_HOST
            case .privateTmp: return CSPAWN_FS_PRIVATE_TMP
            case .readonly: return CSPAWN_FS_READONLY
            }
        }()
        let cwdInTmp = req.cwd == "/tmp" || req.cwd.hasPrefix("/tmp/")

        // rlimits stand in for cgroup limits on the `none` backend.
        var rlimits: [cspawn_rlimit] = []
        if backend.mode == .none {
            if let m = req.limits.memory { rlimits.append(cspawn_rlimit(resource: Int32(CSPAWN_RLIMIT_AS), cur: rlim_t(m), max: rlim_t(m))) }
            if let p = req.limits.pids { rlimits.append(cspawn_rlimit(resource: Int32(CSPAWN_RLIMIT_NPROC), cur: rlim_t(p), max: rlim_t(p))) }
        }

        // C strings live until cspawn_start returns (the child has its own copy of memory after clone).
        var cStrings: [UnsafeMutablePointer<CChar>] = []
        func c(_ s: String) -> UnsafeMutablePointer<CChar> { let p = strdup(s)!; cStrings.append(p); return p }
        defer { for p in cStrings { free(p) } }
        var argv: [UnsafeMutablePointer<CChar>?] = req.command.map { c($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = env.map { c($0) } + [nil]
        let uidMap = (!host.isRoot && host.canUseNamespaces) ? c("\(geteuid()) \(geteuid()) 1") : nil
        let gidMap = (!host.isRoot && host.canUseNamespaces) ? c("\(getegid()) \(getegid()) 1") : nil

        // With an init, the workload is forked only once the parent opens the gate: that is
        // where services are started, inside the run's namespaces, before the workload.
        let useInit = (ns & Int32(CSPAWN_NEWPID)) != 0
        let gate = useInit ? try pipePair() : (-1, -1)

        var cloneFD: Int32 = -1
        if let dir = group.cloneInto {
            cloneFD = open(dir, CSPAWN_O_PATH | O_DIRECTORY | O_CLOEXEC)
            if cloneFD >= 0 { fds.append(cloneFD) }
        }

        var result = cspawn_result(pid: -1, pidfd: -1)
        let startT = Monotonic.nowNS
        func spawn(procs: [String], cgroupFD: Int32) -> Int32 {
            var procsC: [UnsafePointer<CChar>?] = procs.map { UnsafePointer(c($0)) } + [nil]
            return argv.withUnsafeMutableBufferPointer { av in
                envp.withUnsafeMutableBufferPointer { ev in
                    procsC.withUnsafeMutableBufferPointer { pc in
                        rlimits.withUnsafeBufferPointer { rl in
                            var cfg = cspawn_config()
                            cfg.path = UnsafePointer(c(exe))
                            cfg.argv = UnsafePointer(av.baseAddress)
                            cfg.envp = UnsafePointer(ev.baseAddress)
                            cfg.cwd = UnsafePointer(c(req.cwd))
                            cfg.namespaces = ns
                            cfg.use_init = (ns & Int32(CSPAWN_NEWPID)) != 0 ? 1 : 0
                            cfg.fs_mode = (ns & Int32(CSPAWN_NEWNS)) != 0 ? fsMode : CSPAWN_FS_HOST
                            cfg.cwd_in_tmp = cwdInTmp ? 1 : 0
                            cfg.mount_proc = 1
                            cfg.loopback_up = 1
                            cfg.hostname = UnsafePointer(c(req.hostname))
                            cfg.cgroup_procs = procs.isEmpty ? nil : UnsafePointer(pc.baseAddress)
                            cfg.cgroup_fd = cgroupFD
                            cfg.stdout_fd = out.1
                            cfg.stderr_fd = err.1
                            cfg.metrics_fd = metricsFD
                            cfg.seccomp_filter = program.map { UnsafeRawPointer($0.filter) }
                            cfg.seccomp_len = program?.length ?? 0
                            cfg.seccomp_listener = wantNotify ? 1 : 0
                            cfg.notify_sock = wantNotify ? sock[1] : -1
                            cfg.exec_pipe = execP.1
                            cfg.status_pipe = statusP.1
                            cfg.rlimits = rl.baseAddress
                            cfg.nrlimits = Int32(rl.count)
                            cfg.no_new_privs = 1
                            cfg.gate_fd = gate.0
                            cfg.uid_map = uidMap.map { UnsafePointer($0) }
                            cfg.gid_map = gidMap.map { UnsafePointer($0) }
                            cfg.announce_setup = services.isEmpty ? 0 : 1
                            cfg.linger = services.isEmpty ? 0 : 1
                            cfg.trace = SpawnTrace.enabled ? 1 : 0
                            return cspawn_start(&cfg, &result)
                        }
                    }
                }
            }
        }
        SpawnTrace.mark("pipes + config ready, clone")
        // Joining: cgroup2 groups by CLONE_INTO_CGROUP (no RCU wait). v1 groups by the child itself,
        // before anything else: it writes "0" to each group's `tasks` file, moving its only thread,
        // i.e. the whole process. Since Linux 6.1 moving the calling thread skips the global
        // cgroup_threadgroup_rwsem, whose first write-lock after idle waits for an RCU grace period
        // (7-16 ms here, and the kernel holds cgroup_mutex meanwhile): writing a PID to
        // `cgroup.procs` — the parent joining the init — paid that on every run.
        let isV1 = backend is CgroupV1Backend
        var childJoins = group.procsFiles.filter { $0 != (group.cloneInto ?? "") + "/cgroup.procs" }
        if isV1 { childJoins = childJoins.map { String($0.dropLast("cgroup.procs".count)) + "tasks" } }
        let cloneIntoProcs = group.cloneInto.map { [$0 + "/cgroup.procs"] } ?? []
        var rc: Int32
        if cloneFD >= 0 {
            rc = spawn(procs: childJoins, cgroupFD: cloneFD)
            if rc == -EINVAL || rc == -E2BIG || rc == -EOPNOTSUPP || rc == -ENOSYS {
                // No CLONE_INTO_CGROUP here (pre-5.7): the child joins that group by a write too.
                rc = spawn(procs: childJoins + cloneIntoProcs, cgroupFD: -1)
            }
        } else {
            rc = spawn(procs: childJoins + cloneIntoProcs, cgroupFD: -1)
        }
        guard rc == 0 else {
            throw SandboxError.setup("clone: \(String(cString: strerror(-rc))) (\(Names.errno(-rc)))")
        }
        spawned = true
        let pid = result.pid
        SpawnTrace.mark("clone returned")
        if useInit { close(gate.0); fds.removeAll { $0 == gate.0 } }
        let pidfd = result.pidfd
        if pidfd >= 0 { fds.append(pidfd) }
        (backend as? NoCgroupBackend)?.setRoot(pid, for: runID)

        // Our copies of the child's ends: closing them is what makes EOFs mean something.
        for w in [out.1, err.1, execP.1, statusP.1, wantNotify ? sock[1] : -1, metricsFD] where w >= 0 {
            close(w)
            fds.removeAll { $0 == w }
        }

        stateLock.lock(); self.group = group; self.rootPID = pid; stateLock.unlock()
        Sandbox.registryLock.lock()
        Sandbox.live[ObjectIdentifier(self)] = self
        let missedTeardown = Sandbox.generation != bornIn
        Sandbox.registryLock.unlock()
        if missedTeardown { interrupt() }   // the signal came while we were setting up
        defer { Sandbox.registryLock.lock(); Sandbox.live[ObjectIdentifier(self)] = nil; Sandbox.registryLock.unlock() }

        // Services start at the gate: the init has made the namespaces, mounts and `lo`, and waits.
        let runServices = zip(services, groups.services).map { RunService(plan: $0, group: $1, outputLimit: req.outputLimit) }
        defer { for s in runServices { s.closeFDs() } }
        var serviceFailure: String?
        var setupFailure: cspawn_msg?
        if useInit {
            var go = true
            if !runServices.isEmpty {
                let (ok, f) = awaitInitSetup(execFD: execP.0, initPID: pid)
                setupFailure = f
                go = ok
                if ok {
                    serviceFailure = startServices(runServices, initPID: pid, namespaces: ns, program: serviceProgram)
                    go = serviceFailure == nil && !isInterrupted
                    // metrics_from prometheus: the "before" scrape, services ready, workload not started.
                    if go { req.metricsScrape?.scrape(.before, initPID: pid, ownNetwork: ns & Int32(CSPAWN_NEWNET) != 0) }
                }
            }
            // No byte, only EOF: the init leaves quietly (and takes started services with it).
            if go { var b: UInt8 = 1; _ = Glibc.write(gate.1, &b, 1) }
            SpawnTrace.mark("parent: gate opened")
            close(gate.1); fds.removeAll { $0 == gate.1 }
        }
        var stopAt: Double?          // the workload ended: services get SIGTERM now
        var initTold = false         // the lingering init was told to leave
        var stoppedForService = false

        // MARK: the loop
        let stdoutBuf = TailBuffer(capacity: req.outputLimit), stderrBuf = TailBuffer(capacity: req.outputLimit)
        var outOpen = true, errOpen = true, execOpen = true, statusOpen = true, sockOpen = wantNotify
        var notifyFD: Int32 = -1
        var execNS: Int64?
        var failure: cspawn_msg? = setupFailure
        var workloadStatus: Int32?
        var workloadExitNS: Int64?
        var rootExited = false
        var rootStatus: Int32 = 0
        var rootExitNS: Int64 = 0
        var usage = rusage()
        var termAt: Double?
        var killed = false
        var timedOut = false
        var denied: [String: Int] = [:]
        var startedObserver = false
        var readBuf = [UInt8](repeating: 0, count: 65536)

        func drain(_ fd: Int32, into buf: TailBuffer) -> Bool {
            // Returns false at EOF.
            let n = readBuf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, 65536) }
            if n > 0 { readBuf.withUnsafeBytes { buf.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }; return true }
            if n < 0 && (errno == EINTR || errno == EAGAIN) { return true }
            return false
        }
        func readMsg(_ fd: Int32) -> cspawn_msg? {
            var m = cspawn_msg()
            let n = withUnsafeMutableBytes(of: &m) { Glibc.read(fd, $0.baseAddress, MemoryLayout<cspawn_msg>.size) }
            return n == MemoryLayout<cspawn_msg>.size ? m : nil
        }
        func hardKill() {
            killed = true
            kill(pid, SIGKILL)
            backend.killAll(group)
        }
        func reapRoot() -> Bool {
            var st: Int32 = 0
            let r = wait4(pid, &st, WNOHANG, &usage)
            if r == pid { rootExited = true; rootStatus = st; rootExitNS = Monotonic.nowNS; return true }
            return false
        }

        while !rootExited {
            var pfds: [pollfd] = []
            var tags: [Int] = []
            func add(_ fd: Int32, _ tag: Int) { pfds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)); tags.append(tag) }
            if outOpen { add(out.0, 1) }
            if errOpen { add(err.0, 2) }
            if execOpen { add(execP.0, 3) }
            if statusOpen { add(statusP.0, 4) }
            if sockOpen { add(sock[0], 5) }
            if notifyFD >= 0 { add(notifyFD, 6) }
            if pidfd >= 0 { add(pidfd, 7) }
            for (i, s) in runServices.enumerated() {
                for (fd, k) in [(s.outFD, 1), (s.errFD, 2), (s.execFD, 3), (s.pidfd, 4)] where fd >= 0 { add(fd, 1000 + i * 10 + k) }
            }

            // Deadlines: the timeout counts from execve (or from the request while setting up).
            let now = Monotonic.now
            var wait = pidfd >= 0 ? 1000.0 : 0.01
            if let t = req.timeout, termAt == nil {
                let start = execNS.map { Double($0) / 1e9 } ?? (Double(t0) / 1e9 + 10)
                wait = min(wait, max(0, start + t - now))
            }
            if let ta = termAt, !killed { wait = min(wait, max(0, ta + req.killGrace - now)) }
            stateLock.lock(); let intr = interrupted; stateLock.unlock()
            if intr { wait = min(wait, 0.05) }
            if stopAt != nil && !initTold { wait = min(wait, 0.01) }
            let ms = Int32((wait * 1000).rounded(.up))
            let n = poll(&pfds, nfds_t(pfds.count), ms)
            if n < 0 && errno != EINTR { break }

            for (i, p) in pfds.enumerated() where p.revents != 0 {
                switch tags[i] {
                case 1: outOpen = drain(out.0, into: stdoutBuf)
                case 2: errOpen = drain(err.0, into: stderrBuf)
                case 3:
                    if let m = readMsg(execP.0) {
                        if m.kind == CSPAWN_MSG_MARK { SpawnTrace.mark(m) }
                        if m.kind == CSPAWN_MSG_EXEC {
                            SpawnTrace.mark("workload: execve", at: m.ns)
                            // Stamped just before execve: the observer starts now (an execve that
                            // then fails still gets its `finished`, and the run's outcome says error).
                            execNS = m.ns
                            if !startedObserver {
                                startedObserver = true
                                observer?.started(RunStart(paths: group.paths, rootPID: pid, at: Double(m.ns) / 1e9,
                                                           metricsFile: metricsPath, runID: runID))
                            }
                        } else if m.kind == CSPAWN_MSG_ERROR { failure = m }
                    } else {
                        execOpen = false
                    }
                case 4:
                    if let m = readMsg(statusP.0), m.kind == CSPAWN_MSG_STATUS {
                        workloadStatus = m.err; workloadExitNS = m.ns
                        if !runServices.isEmpty && stopAt == nil {
                            // metrics_from prometheus: the "after" scrape, before the services stop.
                            req.metricsScrape?.scrape(.after, initPID: pid, ownNetwork: ns & Int32(CSPAWN_NEWNET) != 0)
                            // The workload is done: what it left behind dies now (the lingering init
                            // excepted), the services get SIGTERM and kill_grace to stop.
                            stopAt = Monotonic.now
                            for p in backend.pids(group) where p != pid { kill(p, SIGKILL) }
                            for s in runServices where s.running { kill(s.pid, SIGTERM); s.termSentNS = Monotonic.nowNS }
                        }
                    } else { statusOpen = false }
                case 5:
                    let fd = cspawn_recv_fd(sock[0])
                    if fd >= 0 { notifyFD = fd; fds.append(fd) }
                    sockOpen = false
                case 6:
                    if p.revents & Int16(POLLIN) != 0 {
                        var id: UInt64 = 0
                        var nr: Int32 = 0
                        if cspawn_notify_receive(notifyFD, &id, &nr) == 0 {
                            denied[SeccompPolicy.name(of: nr), default: 0] += 1
                            _ = cspawn_notify_respond(notifyFD, id, program?.errnoFor(nr) ?? EPERM)
                        }
                    } else {
                        // POLLHUP: no process uses the filter any more.
                        close(notifyFD); fds.removeAll { $0 == notifyFD }; notifyFD = -1
                    }
                case 7: _ = reapRoot()
                case let t where t >= 1000:
                    let s = runServices[(t - 1000) / 10]
                    switch t % 10 {
                    case 1, 2: s.drain(t % 10, scratch: &readBuf)
                    case 3: s.readExec()
                    default: s.reap()
                    }
                default: break
                }
            }
            if !runServices.isEmpty {
                for s in runServices where s.pidfd < 0 { s.reap() }
                stateLock.lock(); let intr3 = interrupted; stateLock.unlock()
                // A service that ends while the workload runs fails the run; the workload is stopped
                // (waiting for it would only burn time until its timeout).
                if workloadStatus == nil, stopAt == nil, termAt == nil, serviceFailure == nil, !killed, !intr3,
                   let s = runServices.first(where: { $0.status != nil && $0.termSentNS == nil }) {
                    serviceFailure = "service \"\(s.plan.name)\" \(s.endText) while the workload was running" + s.outputTail
                    stoppedForService = true
                    termAt = Monotonic.now
                    backend.signalAll(group, SIGTERM, except: pid)
                }
                if let sa = stopAt, !initTold {
                    let now = Monotonic.now
                    if now >= sa + req.killGrace {
                        for s in runServices where s.running && !s.sigkilled {
                            s.sigkilled = true
                            kill(s.pid, SIGKILL)
                            backend.killAll(s.group)
                        }
                    }
                    // A stopped service's own children go with it.
                    var allDone = true
                    for s in runServices {
                        if s.running { allDone = false; continue }
                        if !backend.isEmpty(s.group) { backend.killAll(s.group); allDone = false }
                    }
                    if allDone || now >= sa + req.killGrace + 5 {
                        initTold = true
                        kill(pid, SIGTERM)   // the lingering init leaves; the namespace goes with it
                    }
                }
            }
            if pidfd < 0 { _ = reapRoot() }
            if rootExited { break }

            // Without an init the workload is the root: once it is gone, the run is over
            // (a grandchild holding stdout must not keep us waiting).
            let nowAfter = Monotonic.now
            if let t = req.timeout, termAt == nil {
                let start = execNS.map { Double($0) / 1e9 } ?? (Double(t0) / 1e9 + 10)
                if nowAfter >= start + t {
                    timedOut = true
                    termAt = nowAfter
                    // Every process of the run gets exactly one SIGTERM: the init is skipped (it would
                    // forward a second one to the workload); without an init the root is the workload.
                    if ns & Int32(CSPAWN_NEWPID) != 0 {
                        backend.signalAll(group, SIGTERM, except: pid)
                    } else {
                        kill(pid, SIGTERM)
                        backend.signalAll(group, SIGTERM, except: pid)
                    }
                }
            }
            if let ta = termAt, !killed, nowAfter >= ta + req.killGrace { hardKill() }
            stateLock.lock(); let intr2 = interrupted; stateLock.unlock()
            if intr2 && !killed { hardKill() }
        }
        let endNS = rootExitNS
        if let w = workloadExitNS { SpawnTrace.mark("workload exited (init's stamp)", at: w) }
        SpawnTrace.mark("loop ended: root reaped")


        // Everything else of the run dies now (with a PID namespace the kernel has done it already).
        let emptied = backend.killAndWaitEmpty(group, seconds: 5)
        SpawnTrace.mark("group empty")
        var serviceRecords: [String: ServiceRecord] = [:]
        if !runServices.isEmpty {
            for s in runServices where s.running { kill(s.pid, SIGKILL); s.reap(block: true) }
            for s in runServices { backend.killAndWaitEmpty(s.group, seconds: 5) }
            // Their writers are dead: take what is left in the pipes.
            var scratch = [UInt8](repeating: 0, count: 65536)
            let until = Monotonic.now + 1
            while Monotonic.now < until {
                let open: [RunService] = runServices.filter { s in s.outFD >= 0 || s.errFD >= 0 || s.execFD >= 0 }
                if open.isEmpty { break }
                pumpServices(open, timeout: 0.1, scratch: &scratch)
            }
            for s in runServices where s.pid > 0 || s.execFailure != nil {
                let f = s.figures(mode: backend.mode)
                var rec = ServiceRecord(metrics: f.metrics, unmeasured: f.unmeasured.isEmpty ? nil : f.unmeasured, outcome: .ok)
                if let sf = serviceFailure, sf.hasPrefix("service \"\(s.plan.name)\"") {
                    rec.outcome = .error
                    rec.detail = String(sf.dropFirst("service \"\(s.plan.name)\" ".count))
                } else if s.sigkilled {
                    rec.detail = "did not stop within \(Units.format(req.killGrace, .duration)) of SIGTERM: SIGKILL"
                } else if s.termSentNS == nil && s.status != nil && stopAt == nil && serviceFailure == nil {
                    rec.detail = "ended with the run (\(s.endText))"
                }
                serviceRecords[s.plan.name] = rec
                s.writeOutputs(to: req.outputDirectory)
            }
            // A service that failed to launch has a record too, so the report names it.
            if let sf = serviceFailure, let s = runServices.first(where: { sf.hasPrefix("service \"\($0.plan.name)\"") }),
               serviceRecords[s.plan.name] == nil {
                serviceRecords[s.plan.name] = ServiceRecord(outcome: .error, detail: String(sf.dropFirst("service \"\(s.plan.name)\" ".count)))
                s.writeOutputs(to: req.outputDirectory)
            }
        }

        // The pipes' writers are all dead: read what is left, briefly bounded.
        let drainDeadline = Monotonic.now + 1
        while (outOpen || errOpen) && Monotonic.now < drainDeadline {
            var pfds: [pollfd] = []
            if outOpen { pfds.append(pollfd(fd: out.0, events: Int16(POLLIN), revents: 0)) }
            if errOpen { pfds.append(pollfd(fd: err.0, events: Int16(POLLIN), revents: 0)) }
            if poll(&pfds, nfds_t(pfds.count), 100) <= 0 { break }
            for p in pfds where p.revents != 0 {
                if p.fd == out.0 { outOpen = drain(out.0, into: stdoutBuf) } else { errOpen = drain(err.0, into: stderrBuf) }
            }
        }
        // Late notifications and status records (the loop may have ended first).
        if statusOpen, workloadStatus == nil, let m = readNonBlocking(statusP.0), m.kind == CSPAWN_MSG_STATUS {
            workloadStatus = m.err; workloadExitNS = m.ns
        }
        while execOpen, let m = readNonBlocking(execP.0) {
            if m.kind == CSPAWN_MSG_MARK { SpawnTrace.mark(m) }
            if m.kind == CSPAWN_MSG_EXEC { execNS = m.ns } else if m.kind == CSPAWN_MSG_ERROR { failure = m }
        }

        SpawnTrace.mark("pipes drained")
        let oomKills = backend.oomKills(group) ?? 0

        // Figures the sandbox knows itself; the observer's (cgroup) figures win where both exist.
        var figures = Figures()
        var samples: Samples?
        if let obs = observer, startedObserver {
            let (f, s) = obs.finished()
            figures = f
            samples = s
        }
        var own = Figures()
        if let e = execNS, failure == nil {
            own.set(.startupTime, Double(e - t0) / 1e9, source: "monotonic clock, run request to the workload's execve")
            let exitNS = workloadExitNS ?? endNS
            own.set(.wallTime, Double(exitNS - e) / 1e9, source: workloadExitNS != nil
                    ? "monotonic clock, execve to the workload's exit (reaped by the run's init)"
                    : "monotonic clock, execve to the exit of the run's root process")
            let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            let sys = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
            let src = "wait4 rusage of the run's root (every process it reaped)"
            own.set(.cpuUser, user, source: src)
            own.set(.cpuSystem, sys, source: src)
            own.set(.cpuTime, user + sys, source: src)
        }
        figures.merge(own)
        _ = startT
        SpawnTrace.mark("observer finished (final figures)")

        let leftovers = groups.remove(backend)
        SpawnTrace.mark("cgroups removed")

        // MARK: the outcome, from kernel facts
        var detail: String?
        let signalled: Int32? = {
            if let s = workloadStatus { return (s & 0x7f) != 0 && (s & 0x7f) != 0x7f ? s & 0x7f : nil }
            return (rootStatus & 0x7f) != 0 ? rootStatus & 0x7f : nil
        }()
        let exitCode: Int? = {
            if let s = workloadStatus { return (s & 0x7f) == 0 ? Int((s >> 8) & 0xff) : nil }
            if ns & Int32(CSPAWN_NEWPID) == 0 { return (rootStatus & 0x7f) == 0 ? Int((rootStatus >> 8) & 0xff) : nil }
            return nil
        }()
        stateLock.lock(); let wasInterrupted = interrupted; stateLock.unlock()
        let outcome: Outcome
        if let f = failure {
            outcome = .error
            let step = withUnsafeBytes(of: f.step) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let what = withUnsafeBytes(of: f.detail) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let sentence = "\(step) \(what): \(String(cString: strerror(f.err))) (\(Names.errno(f.err)))"
            // execve and chdir fail because of the workload's command or cwd: an outcome. Any other
            // step (mounts, cgroup join, seccomp, loopback) means the sandbox itself could not be built.
            guard step == "execve" || step == "chdir" else {
                writeOutputs(stdoutBuf, stderrBuf)
                throw SandboxError.setup(sentence)
            }
            detail = sentence
        } else if let sf = serviceFailure {
            outcome = .error
            detail = sf + (stoppedForService ? "; the workload was stopped" : "")
        } else if oomKills > 0 {
            outcome = .oom
            let lim = req.limits.memory.map { " (memory limit \(Units.format(Double($0), .bytes)))" } ?? ""
            detail = "the kernel's OOM killer killed \(oomKills) process\(oomKills == 1 ? "" : "es") of the run\(lim)"
        } else if timedOut {
            outcome = .timeout
            detail = "timed out after \(Units.format(req.timeout ?? 0, .duration)): SIGTERM to every process"
                + (killed ? ", SIGKILL after \(Units.format(req.killGrace, .duration))" : "")
        } else if wasInterrupted {
            outcome = .killed
            detail = "interrupted: cleanroom was stopped and killed the run"
        } else if signalled == SIGSYS {
            outcome = .seccomp
            detail = "killed by SIGSYS: a system call forbidden by the seccomp policy (\(req.settings.seccomp.name))"
        } else if let s = signalled {
            outcome = .killed
            detail = "killed by \(Names.signal(s))"
        } else if let code = exitCode {
            outcome = code == req.expectExit ? .ok : .failed
            if outcome == .failed { detail = "exit code \(code), expected \(req.expectExit)" }
        } else {
            outcome = .error
            detail = "the run's init ended without reporting the workload's status (wait status \(rootStatus))"
        }
        if !emptied { detail = (detail.map { $0 + "; " } ?? "") + "some processes of the run could not be killed" }
        if !leftovers.isEmpty { detail = (detail.map { $0 + "; " } ?? "") + "cgroup not removed: " + leftovers.joined(separator: ", ") }

        record.outcome = outcome
        record.exitCode = failure == nil ? exitCode : nil
        record.signal = failure == nil ? signalled.map(Names.signal) : nil
        record.detail = detail
        record.metrics = figures.metrics
        record.sources = figures.sources
        record.unmeasured = figures.unmeasured
        record.samples = samples
        record.seccompDenied = denied
        record.services = serviceRecords
        let (truncated) = writeOutputs(stdoutBuf, stderrBuf)
        record.output?.truncated = truncated
        SpawnTrace.mark("outputs written")
        return record
    }

    func readNonBlocking(_ fd: Int32) -> cspawn_msg? {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, 0) > 0 else { return nil }
        var m = cspawn_msg()
        let n = withUnsafeMutableBytes(of: &m) { Glibc.read(fd, $0.baseAddress, MemoryLayout<cspawn_msg>.size) }
        return n == MemoryLayout<cspawn_msg>.size ? m : nil
    }

    /// Writes stdout.txt and stderr.txt; returns whether either was cut to the limit.
    @discardableResult
    func writeOutputs(_ o: TailBuffer, _ e: TailBuffer) -> Bool {
        for (name, buf) in [("stdout.txt", o), ("stderr.txt", e)] {
            let bytes = buf.bytes
            FileManager.default.createFile(atPath: request.outputDirectory + "/" + name, contents: Data(bytes))
        }
        return o.truncated || e.truncated
    }
}
