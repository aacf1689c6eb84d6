import Foundation
import CSpawn
#if canImport(Glibc)
import Glibc
#endif

extension Sandbox {
    /// Waits for the init to finish the run's setup (mounts, `lo`) at the gate. Returns nil when
    /// it did; otherwise the init's failure record (or nil record with `false` when it just died).
    func awaitInitSetup(execFD: Int32, initPID: pid_t, seconds: Double = 30) -> (ok: Bool, failure: cspawn_msg?) {
        let deadline = Monotonic.now + seconds
        while Monotonic.now < deadline {
            var p = pollfd(fd: execFD, events: Int16(POLLIN), revents: 0)
            let n = poll(&p, 1, 100)
            if n < 0 && errno != EINTR { return (false, nil) }
            if n <= 0 { if isInterrupted { return (false, nil) }; continue }
            var m = cspawn_msg()
            let r = withUnsafeMutableBytes(of: &m) { Glibc.read(execFD, $0.baseAddress, MemoryLayout<cspawn_msg>.size) }
            if r == MemoryLayout<cspawn_msg>.size {
                if m.kind == CSPAWN_MSG_SETUP { return (true, nil) }
                if m.kind == CSPAWN_MSG_ERROR { return (false, m) }
                continue
            }
            if r < 0 && errno == EINTR { continue }
            return (false, nil)   // EOF: the init is gone
        }
        return (false, nil)
    }

    var isInterrupted: Bool { stateLock.lock(); defer { stateLock.unlock() }; return interrupted }

    /// Starts the services in the order given, each ready before the next one starts (a later
    /// service may depend on an earlier one). nil when all are ready; else the run's `error`
    /// detail, naming the service and why. Returns nil also when interrupted (the caller sees it).
    func startServices(_ svcs: [RunService], initPID: pid_t, namespaces: Int32, program: SeccompProgram?) -> String? {
        // Readiness sockets are made in the run's network namespace (network: none).
        var netns: Int32 = -1
        if namespaces & Int32(CSPAWN_NEWNET) != 0 {
            netns = open("/proc/\(initPID)/ns/net", O_RDONLY | O_CLOEXEC)
            if netns < 0 { return "services: open /proc/\(initPID)/ns/net: \(String(cString: strerror(errno)))" }
        }
        defer { if netns >= 0 { close(netns) } }
        var scratch = [UInt8](repeating: 0, count: 65536)
        var started: [RunService] = []
        for svc in svcs {
            if isInterrupted { return nil }
            let name = svc.plan.name
            let probe = ServiceReadiness(check: svc.plan.ready, netnsFD: netns)
            if let bad = probe.invalid { return "service \"\(name)\": \(bad)" }
            if let f = launch(svc, initPID: initPID, namespaces: namespaces,
                              env: Sandbox.serviceEnvironment(svc.plan), program: program) { return f }
            started.append(svc)
            let deadline = Monotonic.now + svc.plan.readyTimeout
            var lastWhy = "no attempt finished"
            var nextProbe = Monotonic.now
            var interval = 0.002   // 2 ms, growing to 25 ms: a fast server is seen fast, a slow one polled gently
            while true {
                let wait = max(0, min(nextProbe, deadline) - Monotonic.now)
                pumpServices(started, timeout: wait, scratch: &scratch)
                if isInterrupted { return nil }
                for s in started {
                    if let f = s.execFailure { return "service \"\(s.plan.name)\": \(f)" }
                    if s.status != nil {
                        let when = s === svc ? "before it was ready" : "while service \"\(name)\" was starting"
                        return "service \"\(s.plan.name)\" \(s.endText) \(when)" + s.outputTail
                    }
                }
                let now = Monotonic.now
                var isLog = false
                if case .log = svc.plan.ready { isLog = true }
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

    /// One poll over the started services' pipes and pidfds: drains output, reads exec records,
    /// reaps the ones that exited. `timeout` in seconds.
    func pumpServices(_ svcs: [RunService], timeout: Double, scratch: inout [UInt8]) {
        var pfds: [pollfd] = []
        var tags: [(RunService, Int)] = []
        for s in svcs {
            for (fd, k) in [(s.outFD, 1), (s.errFD, 2), (s.execFD, 3), (s.pidfd, 4)] where fd >= 0 {
                pfds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)); tags.append((s, k))
            }
        }
        let ms = Int32((timeout * 1000).rounded(.up))
        if pfds.isEmpty { if ms > 0 { usleep(useconds_t(ms) * 1000) } } else { _ = poll(&pfds, nfds_t(pfds.count), ms) }
        for (i, p) in pfds.enumerated() where p.revents != 0 {
            let (s, k) = tags[i]
            switch k {
            case 1, 2: s.drain(k, scratch: &scratch)
            case 3: s.readExec()
            default: s.reap()
            }
        }
        for s in svcs where s.pidfd < 0 { s.reap() }   // no pidfd (old kernel): ask each time
    }
}
