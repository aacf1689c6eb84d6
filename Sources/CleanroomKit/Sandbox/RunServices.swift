import Foundation
import CSpawn
#if canImport(Glibc)
import Glibc
#endif

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
    /// Samples its own cgroup from the workload's exec on (`services[NAME].samples`).
    var sampler: Sampler?
    var samples: Samples?

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

    /// The descriptors of a service the supervisor polls.
    enum Stream: CaseIterable { case stdout, stderr, exec, pidfd }

    func fd(_ s: Stream) -> Int32 {
        switch s { case .stdout: return outFD; case .stderr: return errFD; case .exec: return execFD; case .pidfd: return pidfd }
    }

    /// Handles readiness of one of its descriptors: output drained, exec records read, reaped.
    func handle(_ s: Stream, scratch: ReadScratch) {
        switch s {
        case .stdout: if !OutputPipe.drain(outFD, into: stdout, scratch: scratch) { close(outFD); outFD = -1 } else { fresh = true }
        case .stderr: if !OutputPipe.drain(errFD, into: stderr, scratch: scratch) { close(errFD); errFD = -1 } else { fresh = true }
        case .exec: readExec()
        case .pidfd: reap()
        }
    }

    /// Reads exec-pipe records: the exec stamp, or the failed step; EOF closes it.
    func readExec() {
        guard execFD >= 0 else { return }
        switch SpawnMessage.read(execFD) {
        case .message(.exec(let ns, _)): execNS = ns
        case .message(.failure(let f)): execFailure = f.sentence
        case .message, .nothing: break
        case .eof: close(execFD); execFD = -1
        }
    }

    /// How it ended, for messages: "exited with code 1", "was killed by SIGSEGV".
    var endText: String {
        guard let st = status else { return "is still running" }
        // The kernel's OOM killer sends SIGKILL: its own group's oom_kill counter says who did.
        if let kills = FinalFigures.oomKills(paths: group.paths), kills > 0 {
            let limit = plan.limits.memory.map { " (its memory limit \(Units.format(Double($0), .bytes)))" } ?? ""
            return "was killed by the OOM killer\(limit)"
        }
        return WaitStatus(st).ending
    }

    /// Starts sampling the service's group, t counted from the workload's exec (`origin`, ns).
    func startSampling(interval: Double, origin: Int64) {
        guard sampler == nil, running, group.paths.mode != .none else { return }
        let s = Sampler(paths: group.paths, interval: interval, network: .host)
        s.start(rootPID: pid, origin: UInt64(origin))
        sampler = s
    }

    /// Stops its sampler (before its group is read for the last time and removed).
    func stopSampling() {
        guard let s = sampler else { return }
        sampler = nil
        let r = s.stop()
        samples = r.samples.t.isEmpty ? nil : r.samples
    }

    /// The last lines of its stderr (or stdout when stderr is empty), for a failure's detail.
    var outputTail: String {
        func tail(_ b: TailBuffer) -> String {
            let text = String(decoding: b.bytes.suffix(600), as: UTF8.self).trimmingSpaceAndNewlines
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
        stopSampling()
        for fd in [outFD, errFD, execFD, pidfd] where fd >= 0 { close(fd) }
        outFD = -1; errFD = -1; execFD = -1; pidfd = -1
    }

    /// Writes svc-NAME.stdout.txt / .stderr.txt; true when either was cut to the limit.
    @discardableResult
    func writeOutputs(to dir: String) throws -> Bool {
        try SysFS.writeFile(dir + "/svc-\(plan.name).stdout.txt", stdout.bytes)
        try SysFS.writeFile(dir + "/svc-\(plan.name).stderr.txt", stderr.bytes)
        return stdout.truncated || stderr.truncated
    }

    /// Its figures from its own cgroup (end − start), plus cpu_percent over its lifetime
    /// (exec → exit). Call after it stopped, before the group is removed.
    func figures(mode: CgroupPaths.Mode) -> Figures {
        stopSampling()
        var cgroup = Figures()
        if let snap = snapshot, mode != .none {
            let all = FinalFigures.read(start: snap)
            for m in Metric.serviceMetrics {
                if let v = all.metrics[m.rawValue] { cgroup.set(m, v, source: all.sources[m.rawValue] ?? "") }
                else if let why = all.unmeasured[m.rawValue] { cgroup.missing(m, why) }
            }
        } else {
            for m in Metric.serviceMetrics where m != .cpuPercent {
                cgroup.missing(m, "no cgroup for the service: its figures cannot be separated from the run's")
            }
        }
        var assembler = FigureAssembler()
        assembler.offer(cgroup, from: .cgroup)
        var f: Figures
        if let start = execNS, let end = exitNS, end > start {
            f = assembler.assemble(cpuPercentOver: (Double(end - start) / 1e9, "the service's lifetime (exec to exit)"))
        } else {
            f = assembler.assemble()
            if f.metrics[Metric.cpuPercent.rawValue] == nil {
                f.unmeasured[Metric.cpuPercent.rawValue] = f.metrics[Metric.cpuTime.rawValue] == nil
                    ? "no cpu_time: " + (f.unmeasured[Metric.cpuTime.rawValue] ?? "not measured") : "the service never ran"
            }
        }
        return f
    }
}
