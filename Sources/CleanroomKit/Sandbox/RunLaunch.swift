import Foundation
import CSpawn
#if canImport(Glibc)
import Glibc
#endif

/// One run, from the request to the clone: what can be refused before anything is made (an
/// outcome `error` or a throw), the cgroups with their limits, the pipes, the C config, the clone
/// (cgroup2 groups joined by CLONE_INTO_CGROUP, v1 groups by the child's own `tasks` write).
extension Sandbox {
    func execute(index: Int, warmup: Bool) throws -> RunRecord {
        let t0 = Monotonic.nowNS
        let req = request
        guard !req.command.isEmpty else { throw SandboxError.invalid("empty command") }
        var degraded = Sandbox.degradations(for: req, host: host)
        if req.strict && !degraded.isEmpty { throw SandboxError.notEnforced(degraded) }
        SpawnTrace.mark("degradations listed")

        outputFD = try SysFS.openMadeDirectory(req.outputDirectory)
        defer { close(outputFD); outputFD = -1 }
        let reportDir = req.outputReportPath ?? req.outputDirectory
        var record = RunRecord(index: index, warmup: warmup, outcome: .error)
        record.output = req.captureInMemory ? nil
            : OutputFiles(stdout: reportDir + "/stdout.txt", stderr: reportDir + "/stderr.txt", truncated: false)
        // Absolute and free of symlinks: the workload's cwd is not ours, and the child binds this path.
        let metricsPath = req.metricsFile ? OutputRoots.realPath(req.outputDirectory) + "/metrics.jsonl" : nil
        let env = req.environment(metricsPath: metricsPath)

        // Refusals that are the workload's own fault: outcome `error`, nothing spawned.
        func refused(_ detail: String) throws -> RunRecord {
            record.detail = detail
            try writeOutputs(TailBuffer(capacity: 0), TailBuffer(capacity: 0), into: &record)
            return record
        }
        guard SysFS.isDirectory(req.cwd) else { return try refused("chdir \(req.cwd): not an existing directory") }
        let searchPath = SandboxRequest.searchPath(env)
        guard let exe = Sandbox.resolve(req.command[0], path: searchPath, cwd: req.cwd) else {
            return try refused("command not found: \(req.command[0]) (searched PATH=\(searchPath))")
        }
        SpawnTrace.mark("output dir, env, PATH lookup")
        if !req.services.isEmpty && !host.canUseNamespaces {
            return try refused("services need the run's own namespaces, which this host cannot create")
        }

        // Made ahead while the run before this one ended (GroupPool), or by `exec`'s prewarm
        // thread (SandboxPrewarm.makeGroupsAhead), or now.
        let runID: String, groups: RunGroups
        SandboxPrewarm.stopGroupsAhead()
        if let key = GroupPool.key(for: req, backend: backend), let made = GroupPool.take(key) {
            (runID, groups) = made
            SpawnTrace.mark("cgroups made ahead taken")
        } else {
            runID = RunID.next()
            groups = try Self.makeGroups(backend, request: req, runID: runID)
            SpawnTrace.mark("cgroups created with limits")
        }
        // Until the run's process exists, whatever ends this run early (a policy that cannot be
        // compiled, --strict, a failed spawn) removes its groups; from then on `complete` does.
        var spawned = false
        defer { if !spawned { _ = groups.remove(backend) } }
        // The filter after the groups: in a process's first run (all of `exec`) it is being compiled
        // on another thread (SandboxPrewarm), and the groups' mkdirs and limit writes overlap that
        // instead of waiting behind it.
        let program = try Self.seccomp(req.settings.seccomp, notify: host.seccompNotify)
        // Services get the same policy without a listener: their denials are refused, not counted.
        let serviceProgram = req.services.isEmpty ? nil : try Self.seccomp(req.settings.seccomp, notify: false)
        SpawnTrace.mark("seccomp compiled")
        degraded = Sandbox.unique(degraded + groups.workload.degraded
            + zip(req.services, groups.services).flatMap { s, g in g.degraded.map { "service \"\(s.name)\": " + $0 } })
        if req.strict && !degraded.isEmpty { throw SandboxError.notEnforced(degraded) }

        observer?.prepare(groups.workload.paths)
        SpawnTrace.mark("observer prepared (start snapshot)")
        let plan = SpawnPlan(exe: exe, argv: req.command, env: env, cwd: req.cwd, namespaces: namespaces,
                             filesystem: req.settings.filesystem, hostname: req.hostname, rlimits: rlimits,
                             program: program, hasServices: !req.services.isEmpty,
                             keepCaps: Capabilities.mask(adding: req.settings.capabilities))
        if !plan.useInit { armObserver() }
        let pipes = RunPipes()
        let joinsMadeNetns = plan.useInit && plan.namespaces & Int32(CSPAWN_NEWNET) != 0 && Sandbox.joinsMadeNetns(isRoot: host.isRoot)
        // The run's network namespace, made ahead on another thread (NetnsPool); -1: the clone makes it.
        var netnsFD = joinsMadeNetns ? NetnsPool.take() : -1
        pipes.own(netnsFD)
        SpawnTrace.mark("network namespace taken")
        let (pid, pidfd) = try spawn(plan, groups.workload, joinFiles: groups.joinFiles, pipes: pipes, metricsPath: metricsPath, netnsFD: netnsFD)
        spawned = true
        (backend as? NoCgroupBackend)?.setRoot(pid, for: runID)
        register(pid: pid, group: groups.workload)
        // Before the gate: past it the init is non-dumpable (Protections), and its ns files are
        // out of reach of a parent without CAP_SYS_PTRACE (not root).
        if netnsFD < 0 && plan.useInit && plan.namespaces & Int32(CSPAWN_NEWNET) != 0 {
            netnsFD = open("/proc/\(pid)/ns/net", O_RDONLY | O_CLOEXEC)
            pipes.own(netnsFD)
        }
        defer { Sandbox.registryLock.lock(); Sandbox.live.removeAll { $0 === self }; Sandbox.registryLock.unlock() }

        // Services start at the gate: the init has made the namespaces, mounts and `lo`, and waits.
        let services = zip(req.services, groups.services).map { RunService(plan: $0, group: $1, outputLimit: req.outputLimit) }
        defer { for s in services { s.closeFDs() } }
        var startup = ServiceStartupResult()
        if plan.useInit {
            if !services.isEmpty {
                startup = startServicesAtGate(services, execFD: pipes.exec.read, initPID: pid,
                                              namespaces: plan.namespaces, program: serviceProgram)
            }
            // No byte, only EOF: the init leaves quietly (and takes started services with it).
            if startup.go { var b: UInt8 = 1; _ = Glibc.write(pipes.gate.write, &b, 1) }
            SpawnTrace.mark("parent: gate opened")
            pipes.close(pipes.gate.write)
            armObserver()
        }
        let keptEmptiness = plan.useInit ? KeptEmptiness(backend.emptinessProbes(groups.workload)) : nil

        let supervisor = RunSupervisor(sandbox: self, pipes: pipes, rootPID: pid, pidfd: pidfd,
                                       groups: groups, services: services, useInit: plan.useInit, requestNS: t0,
                                       program: program, runID: runID, metricsPath: metricsPath)
        supervisor.failure = startup.initFailure
        supervisor.netnsFD = netnsFD
        supervisor.keptEmptiness = keptEmptiness
        supervisor.serviceFailure = startup.failure
        // The next run's groups and namespace from the moment the workload has exited, not once
        // the init has too: the namespace (~0.5 ms of the kernel's per-namespace set-up) was still
        // being made when the next run came to take it, 0.3 ms later (docs/BENCHMARKS.md). After
        // the loop again for a run whose init never reported (nothing is made twice).
        supervisor.onWorkloadEnded = { [self] in prepareNextRun(joinsMadeNetns: joinsMadeNetns) }
        supervisor.run()
        prepareNextRun(joinsMadeNetns: joinsMadeNetns)
        return try complete(record, supervisor: supervisor, groups: groups, requestNS: t0)
    }

    private func armObserver() {
        observer?.arm()
        SpawnTrace.mark("observer armed (counter layout, sampler thread)")
    }

    /// The compiled filter; a profile that cannot be used is a set-up error naming it.
    static func seccomp(_ mode: SeccompMode, notify: Bool) throws(SandboxError) -> SeccompProgram? {
        do { return try SeccompPolicy.program(for: mode, notify: notify) } catch { throw .invalid("\(error)") }
    }

    /// The run's cgroups. With services: R (no process) → R/workload (limits; the init and the
    /// workload) + R/svc-NAME. v1 blkio needs a rule on every device the run can write to.
    static func makeGroups(_ backend: CgroupBackend, request req: SandboxRequest, runID: String) throws -> RunGroups {
        let devices: [BlockDevice]
        if backend is CgroupV1Backend {
            devices = BlockDevice.writableKept(cwd: req.cwd)
        } else if req.limits.diskReadRate != nil || req.limits.diskWriteRate != nil {
            devices = BlockDevice.holding(req.cwd).0.map { [$0] } ?? []
        } else {
            devices = []
        }
        do {
            return try RunGroups.make(backend, runID: runID, limits: req.limits, devices: devices,
                                      limitedDevice: BlockDevice.holding(req.cwd).0, services: req.services)
        } catch let e as SystemFailure {
            throw SandboxError.system(e)
        }
    }

    /// Whether a run's network namespace is made ahead and joined (`NetnsPool`): as root, where no
    /// user namespace of the run's own has to own it.
    /// Root may use every namespace (`canUseNamespaces`) and needs no user namespace to own one;
    /// `SandboxPrewarm` asks before the host has been probed, so this takes root-ness alone.
    static func joinsMadeNetns(isRoot: Bool) -> Bool { isRoot }

    /// Namespaces: all of ours when we may; a user namespace makes them possible without root.
    var namespaces: Int32 {
        guard host.canUseNamespaces else { return 0 }
        var ns = Int32(CSPAWN_NEWPID | CSPAWN_NEWIPC | CSPAWN_NEWUTS | CSPAWN_NEWNS)
        if request.settings.network == .none { ns |= Int32(CSPAWN_NEWNET) }
        if !host.isRoot { ns |= Int32(CSPAWN_NEWUSER) }
        return ns
    }

    /// rlimits stand in for cgroup limits on the `none` backend.
    var rlimits: [cspawn_rlimit] {
        guard backend.mode == .none else { return [] }
        var out: [cspawn_rlimit] = []
        if let m = request.limits.memory { out.append(cspawn_rlimit(resource: Int32(CSPAWN_RLIMIT_AS), cur: rlim_t(m), max: rlim_t(m))) }
        if let p = request.limits.pids { out.append(cspawn_rlimit(resource: Int32(CSPAWN_RLIMIT_NPROC), cur: rlim_t(p), max: rlim_t(p))) }
        return out
    }

    /// Makes the pipes and clones the run's root (the init, or the workload without a PID namespace).
    func spawn(_ plan: SpawnPlan, _ group: CgroupGroup, joinFiles: JoinFiles? = nil, pipes: RunPipes, metricsPath: String?,
               netnsFD: Int32 = -1) throws -> (pid_t, Int32) {
        pipes.stdout = try RunPipes.pipe()
        pipes.stderr = try RunPipes.pipe()
        pipes.exec = try RunPipes.pipe()
        pipes.status = try RunPipes.pipe()
        if plan.useInit { pipes.gate = try RunPipes.pipe() }
        if plan.program?.usesNotify == true {
            var sock: [Int32] = [-1, -1]
            guard socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &sock) == 0 else {
                throw SandboxError.system(.last("socketpair", "AF_UNIX"))
            }
            pipes.notify = RunPipes.Pair(read: sock[0], write: sock[1])
        }
        var metricsFD: Int32 = -1
        if let mp = metricsPath {
            // A fresh, empty file: the run's processes open it by path ($CLEANROOM_METRICS).
            // Never one planted at the name: whatever is there goes, O_EXCL refuses a new plant,
            // and under an output root no directory on the way is followed (OutputRoots).
            // Made from the run's open directory (`outputFD`), not by walking `mp` again.
            do { try SysFS.writeFile(in: outputFD, "metrics.jsonl", [], path: mp) } catch { throw SandboxError.system(error) }
            // The child binds the file by path and first checks it is this very one (device and
            // inode): another run's workload may be changing the tree meanwhile.
            metricsFD = openat(outputFD, "metrics.jsonl", CSPAWN_O_PATH | O_NOFOLLOW | O_CLOEXEC)
            guard metricsFD >= 0 else { throw SandboxError.system(.last("open", mp)) }
            pipes.own(metricsFD)
        }
        var cloneFD: Int32 = -1
        if let dir = group.cloneInto {
            cloneFD = open(dir, CSPAWN_O_PATH | O_DIRECTORY | O_CLOEXEC)
            guard cloneFD >= 0 else { throw SandboxError.system(.last("open", dir)) }
            pipes.own(cloneFD)
        }
        let uidMap = (!host.isRoot && host.canUseNamespaces) ? "\(geteuid()) \(geteuid()) 1" : nil
        let gidMap = (!host.isRoot && host.canUseNamespaces) ? "\(getegid()) \(getegid()) 1" : nil
        SpawnTrace.mark("pipes + config ready, clone")

        // Joining: cgroup2 groups by CLONE_INTO_CGROUP (no RCU wait). v1 groups by the child itself,
        // before anything else: it writes "0" to each group's `tasks` file, moving its only thread,
        // i.e. the whole process. Since Linux 6.1 moving the calling thread skips the global
        // cgroup_threadgroup_rwsem, whose first write-lock after idle waits for an RCU grace period
        // (7-16 ms here, and the kernel holds cgroup_mutex meanwhile): writing a PID to
        // `cgroup.procs` — the parent joining the init — paid that on every run.
        let joins = group.childJoinFiles(v1: backend is CgroupV1Backend)
        let cloneIntoProcs = group.cloneInto.map { [$0 + "/cgroup.procs"] } ?? []
        let protections = SpawnProtections(
            cgroupViews: Protections.cgroupViews(group.paths, backend: backend, cgroupRoot: host.cgroupRoot),
            cgroupNamespace: Protections.cgroupNamespaces, hideParent: Protections.hidesParent(host: host))
        var result = cspawn_result(pid: -1, pidfd: -1)
        func start(_ joins: [String], _ cgroupFD: Int32) -> Int32 {
            let arena = CArena()
            var cfg = plan.config(arena, pipes: pipes, metricsPath: metricsPath, metricsFD: metricsFD, joins: joins,
                                  joinFDs: joinFiles?.descriptors(for: joins) ?? [], cloneInto: cgroupFD,
                                  uidMap: uidMap, gidMap: gidMap, protections: protections, netnsFD: netnsFD)
            return cspawn_start(&cfg, &result)
        }
        var rc = cloneFD >= 0 ? start(joins, cloneFD) : start(joins + cloneIntoProcs, -1)
        if cloneFD >= 0 && [-EINVAL, -E2BIG, -EOPNOTSUPP, -ENOSYS].contains(rc) {
            // No CLONE_INTO_CGROUP here (pre-5.7): the child joins that group by a write too.
            rc = start(joins + cloneIntoProcs, -1)
        }
        guard rc == 0 else { throw SandboxError.system(SystemFailure("clone3", plan.exe, errno: -rc)) }
        SpawnTrace.mark("clone returned")
        pipes.own(result.pidfd)
        pipes.closeChildEnds()
        return (result.pid, result.pidfd)
    }

    /// From now on `tearDownAll` reaches this run; a teardown that came while we were setting up
    /// is applied at once.
    func register(pid: pid_t, group: CgroupGroup) {
        stateLock.lock(); self.group = group; self.rootPID = pid; stateLock.unlock()
        Sandbox.registryLock.lock()
        Sandbox.live.append(self)
        let missedTeardown = Sandbox.generation != bornIn
        Sandbox.registryLock.unlock()
        if missedTeardown { interrupt() }
    }
}
