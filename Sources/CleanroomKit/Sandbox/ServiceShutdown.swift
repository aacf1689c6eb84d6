#if canImport(Glibc)
import Glibc
#endif

/// Stopping a run's services (docs/sandbox.md "Services", Stopping), beside their start-up in
/// ServiceStartup.swift. With services the init lingers after the workload's exit (its exit
/// would SIGKILL everything in the PID namespace at once): what the workload left in its leaf is
/// killed, each service gets SIGTERM, its leaf SIGKILL after kill_grace (or once its main
/// process is gone), and then the init is told to leave.
final class ServiceShutdown {
    let services: [RunService]
    let backend: CgroupBackend
    let killGrace: Double
    /// When the workload ended (the services' SIGTERM).
    private(set) var stopAt: Double?
    /// The lingering init was told to leave.
    private(set) var initTold = false

    init(services: [RunService], backend: CgroupBackend, killGrace: Double) {
        self.services = services; self.backend = backend; self.killGrace = killGrace
    }

    /// Stopping has begun and the init has not been told to leave yet (the loop polls briskly).
    var inProgress: Bool { stopAt != nil && !initTold }

    /// The workload is done: what it left behind dies now (the lingering init excepted), the
    /// services get SIGTERM and kill_grace to stop.
    func workloadEnded(group: CgroupGroup, initPID: pid_t) {
        guard stopAt == nil else { return }
        stopAt = Monotonic.now
        for p in backend.pids(group) where p != initPID { kill(p, SIGKILL) }
        for s in services where s.running { kill(s.pid, SIGTERM); s.termSentNS = Monotonic.nowNS }
    }

    /// A service that ended on its own before the workload did (it fails the run).
    func endedWhileWorkloadRan() -> RunService? {
        guard stopAt == nil else { return nil }
        return services.first { $0.status != nil && $0.termSentNS == nil }
    }

    /// One step of stopping: SIGKILL after kill_grace, a stopped service's leftovers killed,
    /// then the init told to leave (its namespace goes with it).
    func step(initPID: pid_t) {
        guard let sa = stopAt, !initTold else { return }
        let now = Monotonic.now
        if now >= sa + killGrace {
            for s in services where s.running && !s.sigkilled {
                s.sigkilled = true
                kill(s.pid, SIGKILL)
                backend.killAll(s.group)
            }
        }
        // A stopped service's own children go with it.
        var allDone = true
        for s in services {
            if s.running { allDone = false; continue }
            if !backend.isEmpty(s.group) { backend.killAll(s.group); allDone = false }
        }
        if allDone || now >= sa + killGrace + 5 {
            initTold = true
            kill(initPID, SIGTERM)   // a lingering init takes any signal as "leave"
        }
    }

    /// After the run's root is gone: everything of the services killed and reaped, their pipes
    /// drained, their output written; one record per service (also for one that never started).
    /// `failure`: the run's service failure sentence, if a service caused it.
    func finish(outputDirectory: String, mode: CgroupPaths.Mode, failure: String?) throws -> [String: ServiceRecord] {
        guard !services.isEmpty else { return [:] }
        for s in services where s.running { kill(s.pid, SIGKILL); s.reap(block: true) }
        for s in services { backend.killAndWaitEmpty(s.group, seconds: 5) }
        // Their writers are dead: take what is left in the pipes.
        let scratch = ReadScratch()
        let until = Monotonic.now + 1
        while Monotonic.now < until {
            let open = services.filter { s in s.outFD >= 0 || s.errFD >= 0 || s.execFD >= 0 }
            if open.isEmpty { break }
            RunService.pump(open, timeout: 0.1, scratch: scratch)
        }
        var records: [String: ServiceRecord] = [:]
        for s in services where s.pid > 0 || s.execFailure != nil || failure.map { s.isNamed(in: $0) } == true {
            let prefix = "service \"\(s.plan.name)\" "
            var rec: ServiceRecord
            if s.pid > 0 || s.execFailure != nil {
                let f = s.figures(mode: mode)
                rec = ServiceRecord(metrics: f.metrics, unmeasured: f.unmeasured.isEmpty ? nil : f.unmeasured, outcome: .ok,
                                    samples: s.samples)
            } else {
                rec = ServiceRecord(outcome: .error)   // it failed to launch: the report still names it
            }
            if let sf = failure, s.isNamed(in: sf) {
                rec.outcome = .error
                rec.detail = String(sf.dropFirst(prefix.count))
            } else if s.sigkilled {
                rec.detail = "did not stop within \(Units.format(killGrace, .duration)) of SIGTERM: SIGKILL"
            } else if s.termSentNS == nil && s.status != nil && stopAt == nil && failure == nil {
                rec.detail = "ended with the run (\(s.endText))"
            }
            records[s.plan.name] = rec
            try s.writeOutputs(to: outputDirectory)
        }
        return records
    }
}

extension RunService {
    /// Whether the run's failure sentence is about this service.
    func isNamed(in failure: String) -> Bool { failure.hasPrefix("service \"\(plan.name)\"") }

    /// One poll over the services' pipes and pidfds (start-up and shutdown share it).
    static func pump(_ svcs: [RunService], timeout: Double, scratch: ReadScratch) {
        var pfds: [pollfd] = []
        var tags: [(RunService, RunService.Stream)] = []
        for s in svcs {
            for k in RunService.Stream.allCases where s.fd(k) >= 0 {
                pfds.append(pollfd(fd: s.fd(k), events: Int16(POLLIN), revents: 0)); tags.append((s, k))
            }
        }
        let ms = Int32((timeout * 1000).rounded(.up))
        if pfds.isEmpty { if ms > 0 { usleep(useconds_t(ms) * 1000) } } else { _ = poll(&pfds, nfds_t(pfds.count), ms) }
        for (i, p) in pfds.enumerated() where p.revents != 0 { tags[i].0.handle(tags[i].1, scratch: scratch) }
        for s in svcs where s.pidfd < 0 { s.reap() }   // no pidfd (old kernel): ask each time
    }
}
