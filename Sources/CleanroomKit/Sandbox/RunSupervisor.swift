import CSpawn
#if canImport(Glibc)
import Glibc
#endif

/// Waits for one run on the calling thread: one `poll` over every descriptor of the run (its
/// `Source`s), with the timeout and kill-grace deadlines, until the run's root process exits.
/// What it learns (output, exec stamp, the workload's status, rusage, denied calls) is kept here
/// for `RunCompletion`; it decides nothing about the outcome.
final class RunSupervisor {
    /// Everything the loop polls.
    enum Source: Equatable {
        case stdout, stderr
        /// Exec pipe: the exec stamp, a failed step, trace marks (EOF: exec'd or gone).
        case execPipe
        /// Status pipe: the workload's wait status from the init.
        case statusPipe
        /// The socket the child sends the seccomp listener over, then the listener itself.
        case notifySocket, notifyListener
        /// The run's root (the init, or the workload without one) exited.
        case rootPidfd
        case service(Int, RunService.Stream)
    }

    let sandbox: Sandbox
    let request: SandboxRequest
    let backend: CgroupBackend
    let pipes: RunPipes
    let rootPID: pid_t
    let pidfd: Int32
    let groups: RunGroups
    var group: CgroupGroup { groups.workload }
    let services: [RunService]
    let shutdown: ServiceShutdown
    let useInit: Bool
    /// CLOCK_MONOTONIC ns when `Sandbox.run` was called.
    let requestNS: Int64
    let program: SeccompProgram?
    let runID: String
    let metricsPath: String?

    // What the loop learned.
    let stdout: TailBuffer, stderr: TailBuffer
    var execNS: Int64?
    var failure: SpawnFailure?
    var serviceFailure: String?
    /// The init's own CPU when the workload ended, and the workload's before execve (`startup_cpu`).
    var initCPU: SetupCPU?
    var initChildrenCPU: Double?
    var initJoinedCPU: Double?
    var preExecCPU: SetupCPU?
    /// The run's network namespace, opened before the gate (`RunStart.netnsFD`); -1: none.
    var netnsFD: Int32 = -1
    /// The workload group's emptiness probes, opened while the init set up (nil: asked by path).
    var keptEmptiness: KeptEmptiness?
    var stoppedForService = false
    var workloadStatus: Int32?
    var workloadExitNS: Int64?
    var rootExited = false
    var rootStatus: Int32 = 0
    var rootExitNS: Int64 = 0
    var usage = rusage()
    var termAt: Double?
    var hardKilled = false
    var timedOut = false
    var denied: [String: Int] = [:]
    var observerStarted = false
    private var notifyFD: Int32 = -1
    private let scratch = ReadScratch()

    init(sandbox: Sandbox, pipes: RunPipes, rootPID: pid_t, pidfd: Int32, groups: RunGroups, services: [RunService],
         useInit: Bool, requestNS: Int64, program: SeccompProgram?, runID: String, metricsPath: String?) {
        self.sandbox = sandbox; self.request = sandbox.request; self.backend = sandbox.backend
        self.pipes = pipes; self.rootPID = rootPID; self.pidfd = pidfd; self.groups = groups
        self.services = services; self.useInit = useInit; self.requestNS = requestNS; self.program = program
        self.runID = runID; self.metricsPath = metricsPath
        self.shutdown = ServiceShutdown(services: services, backend: sandbox.backend, killGrace: sandbox.request.killGrace)
        stdout = TailBuffer(capacity: request.outputLimit)
        stderr = TailBuffer(capacity: request.outputLimit)
    }

    /// Polls until the run's root has exited.
    func run() {
        while !rootExited {
            let sources = pollSources()
            var pfds = sources.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            let n = poll(&pfds, nfds_t(pfds.count), timeoutMS())
            if n < 0 && errno != EINTR { break }
            for (i, p) in pfds.enumerated() where p.revents != 0 { handle(sources[i].source, revents: p.revents) }
            if !services.isEmpty { superviseServices() }
            if pidfd < 0 { reapRoot() }
            if rootExited { break }
            enforceDeadlines()
        }
        if let w = workloadExitNS { SpawnTrace.mark("workload exited (init's stamp)", at: w) }
        SpawnTrace.mark("loop ended: root reaped")
    }

    private func pollSources() -> [(source: Source, fd: Int32)] {
        var out: [(Source, Int32)] = []
        let fixed: [(Source, Int32)] = [(.stdout, pipes.stdout.read), (.stderr, pipes.stderr.read),
                                        (.execPipe, pipes.exec.read), (.statusPipe, pipes.status.read),
                                        (.notifySocket, pipes.notify.read), (.notifyListener, notifyFD), (.rootPidfd, pidfd)]
        for (s, fd) in fixed where fd >= 0 { out.append((s, fd)) }
        for (i, svc) in services.enumerated() {
            for k in RunService.Stream.allCases where svc.fd(k) >= 0 { out.append((.service(i, k), svc.fd(k))) }
        }
        return out
    }

    /// The timeout counts from execve (or from the request while setting up: 10 s of grace).
    private var timeoutStart: Double { execNS.map { Double($0) / 1e9 } ?? (Double(requestNS) / 1e9 + 10) }

    private func timeoutMS() -> Int32 {
        let now = Monotonic.now
        var wait = pidfd >= 0 ? 1000.0 : 0.01
        if let t = request.timeout, termAt == nil { wait = min(wait, max(0, timeoutStart + t - now)) }
        if let ta = termAt, !hardKilled { wait = min(wait, max(0, ta + request.killGrace - now)) }
        if sandbox.isInterrupted { wait = min(wait, 0.05) }
        if shutdown.inProgress { wait = min(wait, 0.01) }
        return Int32((wait * 1000).rounded(.up))
    }

    private func handle(_ source: Source, revents: Int16) {
        switch source {
        case .stdout:
            if !OutputPipe.drain(pipes.stdout.read, into: stdout, scratch: scratch) { pipes.close(pipes.stdout.read) }
        case .stderr:
            if !OutputPipe.drain(pipes.stderr.read, into: stderr, scratch: scratch) { pipes.close(pipes.stderr.read) }
        case .execPipe:
            apply(exec: SpawnMessage.read(pipes.exec.read), startObserver: true)
        case .statusPipe:
            switch SpawnMessage.read(pipes.status.read) {
            case .message(.status(let st, let ns, let cpu, let children, let joined)):
                initCPU = cpu; initChildrenCPU = children; initJoinedCPU = joined
                workloadEnded(status: st, at: ns)
            case .message, .nothing: break
            case .eof: pipes.close(pipes.status.read)
            }
        case .notifySocket:
            let fd = cspawn_recv_fd(pipes.notify.read)
            if fd >= 0 { notifyFD = fd; pipes.own(fd) }
            pipes.close(pipes.notify.read)
        case .notifyListener:
            if revents & Int16(POLLIN) != 0 {
                var id: UInt64 = 0
                var nr: Int32 = 0
                if cspawn_notify_receive(notifyFD, &id, &nr) == 0 {
                    denied[SeccompPolicy.name(of: nr), default: 0] += 1
                    _ = cspawn_notify_respond(notifyFD, id, program?.errnoFor(nr) ?? EPERM)
                }
            } else {
                // POLLHUP: no process uses the filter any more.
                pipes.close(notifyFD); notifyFD = -1
            }
        case .rootPidfd:
            reapRoot()
        case .service(let i, let stream):
            services[i].handle(stream, scratch: scratch)
        }
    }

    /// One record of the exec pipe: the exec stamp (which starts the observer while the run is
    /// live); a failed step is kept.
    private func apply(exec read: SpawnMessage.Read, startObserver: Bool) {
        switch read {
        case .message(.exec(let ns, let cpu)):
            preExecCPU = cpu
            SpawnTrace.mark("workload: execve", at: ns)
            // Stamped just before execve: the observer starts now (an execve that then fails
            // still gets its `finished`, and the run's outcome says error).
            execNS = ns
            if startObserver, !observerStarted, let observer = sandbox.observer {
                observerStarted = true
                // A measured run: its services are sampled too, on the workload's clock.
                if let interval = (observer as? SamplerObserver)?.interval {
                    for s in services { s.startSampling(interval: interval, origin: ns) }
                }
                observer.started(RunStart(paths: group.paths, rootPID: rootPID, rootIsInit: useInit, at: Double(ns) / 1e9,
                                          metricsFile: metricsPath, runID: runID, netnsFD: netnsFD))
                SpawnTrace.mark("parent: observer started")
            }
        case .message(.failure(let f)): failure = f
        case .message, .nothing: break
        case .eof: pipes.close(pipes.exec.read)
        }
    }

    /// Called once, when the init reports the workload's exit (before the init itself exits).
    var onWorkloadEnded: (() -> Void)?

    func workloadEnded(status: Int32, at ns: Int64) {
        workloadStatus = status
        workloadExitNS = ns
        if let f = onWorkloadEnded { onWorkloadEnded = nil; f() }
        if !services.isEmpty {
            // metrics_from prometheus (Adapters/): the "after" scrape, before the services are stopped.
            if shutdown.stopAt == nil, let scrape = request.metricsScrape {
                if netnsFD >= 0 { scrape.scrape(.after, netnsFD: netnsFD) }
                else { scrape.scrape(.after, initPID: rootPID, ownNetwork: request.settings.network == .none) }
            }
            shutdown.workloadEnded(group: group, initPID: rootPID)
        }
    }

    /// Notes that the root exited, WITHOUT reaping it: as a zombie its /proc/PID/io and stat
    /// still hold what it reaped, for the observer's final reads. `reap()` collects it after.
    private func reapRoot() {
        var info = siginfo_t()
        if waitid(P_PID, id_t(rootPID), &info, WEXITED | WNOHANG | WNOWAIT) == 0, info._sifields._sigchld.si_pid == rootPID {
            rootExited = true; rootExitNS = Monotonic.nowNS
        }
    }

    /// Reaps the exited root: its wait status and rusage (every process of the run it reaped).
    func reap() {
        if !rootExited { kill(rootPID, SIGKILL) }   // the loop ended on a poll error: never wait forever
        var st: Int32 = 0
        while wait4(rootPID, &st, 0, &usage) < 0 && errno == EINTR {}
        rootStatus = st
    }

    /// A service that ends while the workload runs fails the run and the workload is stopped
    /// (waiting for it would only burn time until its timeout); after the workload, the
    /// services are stopped.
    private func superviseServices() {
        for s in services where s.pidfd < 0 { s.reap() }
        if workloadStatus == nil, termAt == nil, serviceFailure == nil, !hardKilled, !sandbox.isInterrupted,
           let s = shutdown.endedWhileWorkloadRan() {
            serviceFailure = "service \"\(s.plan.name)\" \(s.endText) while the workload was running" + s.outputTail
            stoppedForService = true
            termAt = Monotonic.now
            backend.signalAll(group, SIGTERM, except: rootPID)
        }
        shutdown.step(initPID: rootPID)
    }

    private func enforceDeadlines() {
        let now = Monotonic.now
        if let t = request.timeout, termAt == nil, now >= timeoutStart + t {
            timedOut = true
            termAt = now
            // Every process of the run gets exactly one SIGTERM: the init is skipped (it would
            // forward a second one to the workload); without an init the root is the workload.
            if !useInit { kill(rootPID, SIGTERM) }
            backend.signalAll(group, SIGTERM, except: rootPID)
        }
        if let ta = termAt, !hardKilled, now >= ta + request.killGrace { hardKill() }
        if sandbox.isInterrupted && !hardKilled { hardKill() }
    }

    private func hardKill() {
        hardKilled = true
        kill(rootPID, SIGKILL)
        backend.killAll(group)
    }

    /// After the loop: the pipes' writers are all dead; read what is left, briefly bounded, and
    /// the records that came after the loop ended.
    func drainRemaining() {
        let deadline = Monotonic.now + 1
        while (pipes.stdout.read >= 0 || pipes.stderr.read >= 0) && Monotonic.now < deadline {
            let open: [(Int32, TailBuffer)] = [(pipes.stdout.read, stdout), (pipes.stderr.read, stderr)].filter { $0.0 >= 0 }
            var pfds = open.map { pollfd(fd: $0.0, events: Int16(POLLIN), revents: 0) }
            if poll(&pfds, nfds_t(pfds.count), 100) <= 0 { break }
            for (i, p) in pfds.enumerated() where p.revents != 0 {
                if !OutputPipe.drain(open[i].0, into: open[i].1, scratch: scratch) { pipes.close(open[i].0) }
            }
        }
        if pipes.status.read >= 0, workloadStatus == nil,
           case .message(.status(let st, let ns, let cpu, let children, let joined)) = SpawnMessage.read(pipes.status.read, ifReady: true) {
            workloadStatus = st; workloadExitNS = ns; initCPU = cpu; initChildrenCPU = children; initJoinedCPU = joined
        }
        while pipes.exec.read >= 0 {
            let r = SpawnMessage.read(pipes.exec.read, ifReady: true)
            if r == .nothing { break }
            apply(exec: r, startObserver: false)
        }
    }
}
