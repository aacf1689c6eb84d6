#if canImport(Glibc)
import Glibc
#endif

/// The end of one run, once its root has exited: everything left is killed and the services
/// stopped, the pipes drained, the figures assembled (the observer's by source, plus the
/// sandbox's clocks and rusage), the cgroups removed, and the outcome decided from the facts.
extension Sandbox {
    func complete(_ record: RunRecord, supervisor sup: RunSupervisor, groups: RunGroups, requestNS: Int64) throws -> RunRecord {
        var record = record
        // Everything else of the run dies now (with a PID namespace the kernel has done it already).
        let emptied = backend.killAndWaitEmpty(groups.workload, seconds: 5, kept: sup.keptEmptiness)
        SpawnTrace.mark("group empty")
        let serviceRecords = try sup.shutdown.finish(outputDirectory: request.outputDirectory, mode: backend.mode,
                                                     failure: sup.serviceFailure)
        sup.drainRemaining()
        SpawnTrace.mark("pipes drained")
        let oomKills = FinalFigures.oomKills(paths: groups.workload.paths) ?? 0

        var observation = RunObservation()
        if let obs = observer, sup.observerStarted { observation = obs.finished() }
        sup.reap()
        let figures = Self.assemble(observation.figures, sup, requestNS: requestNS)
        SpawnTrace.mark("observer finished (final figures)")
        let leftovers = groups.remove(backend)
        SpawnTrace.mark("cgroups removed")

        if let f = sup.failure, !f.isWorkloadStep {
            try writeOutputs(sup.stdout, sup.stderr, into: &record)
            throw SandboxError.system(f.systemFailure)
        }
        let facts = RunFacts(
            failure: sup.failure, serviceFailure: sup.serviceFailure, stoppedForService: sup.stoppedForService,
            oomKills: oomKills, memoryLimit: request.limits.memory.map(Int64.init),
            timedOut: sup.timedOut, timeout: request.timeout, hardKilled: sup.hardKilled, killGrace: request.killGrace,
            interrupted: isInterrupted, workloadStatus: sup.workloadStatus, rootStatus: sup.rootStatus,
            rootIsWorkload: !sup.useInit, expectExit: request.expectExit, seccompPolicy: request.settings.seccomp.name,
            emptied: emptied, leftovers: leftovers)
        let decided = RunOutcome.decide(facts)
        record.outcome = decided.outcome
        record.exitCode = decided.exitCode
        record.signal = decided.signal
        record.detail = decided.detail
        record.metrics = figures.metrics
        record.sources = figures.sources
        record.unmeasured = figures.unmeasured
        record.samples = observation.samples
        record.seccompDenied = sup.denied
        record.services = serviceRecords
        try writeOutputs(sup.stdout, sup.stderr, into: &record)
        SpawnTrace.mark("outputs written")
        return record
    }

    /// The run's figures: the observer's by source, and what the sandbox measured itself —
    /// startup_time and wall_time (clock), cpu from the root's rusage. A run that never exec'd
    /// has none of the sandbox's own.
    static func assemble(_ observed: [FigureSource: Figures], _ sup: RunSupervisor, requestNS: Int64) -> Figures {
        var assembler = FigureAssembler()
        for (source, f) in observed { assembler.offer(f, from: source) }
        if let e = sup.execNS, sup.failure == nil {
            var clock = Figures()
            clock.set(.startupTime, Double(e - requestNS) / 1e9, source: "monotonic clock, run request to the workload's execve")
            let exitNS = sup.workloadExitNS ?? sup.rootExitNS
            clock.set(.wallTime, Double(exitNS - e) / 1e9, source: sup.workloadExitNS != nil
                      ? "monotonic clock, execve to the workload's exit (reaped by the run's init)"
                      : "monotonic clock, execve to the exit of the run's root process")
            assembler.offer(clock, from: .clock)
            assembler.offer(FinalFigures.fromRusage(sup.usage), from: .rusage)
        }
        let ru = sup.usage
        let rootTotal = Double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + Double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6
        let initShare = SetupCPU.initShare(status: sup.initCPU, rootTotal: sup.rootExitNS > 0 && rootTotal > 0 ? rootTotal : nil,
                                           children: sup.initChildrenCPU, joined: sup.initJoinedCPU)
        return assembler.assemble(setupCPU: sup.execNS != nil ? SetupCPU.sum(initShare, sup.preExecCPU) : nil)
    }
}
