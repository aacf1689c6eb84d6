import Foundation
@testable import CleanroomKit

/// A RunExecutor that runs nothing: it records every job and answers from a script. For testing
/// planning (counts, order, flags) apart from the kernel; sandbox behaviour is tested for real
/// in the Sandbox tests.
final class ScriptedExecutor: RunExecutor, @unchecked Sendable {
    var jobs: [RunJob] = []
    let lock = NSLock()
    /// Wall time to report for the n-th measured run of a workload (1-based).
    var wallTime: (String, Int) -> Double = { _, _ in 1.0 }
    var outcome: (RunJob) -> Outcome = { _ in .ok }
    var throwOn: (RunJob) -> Bool = { _ in false }
    var onExecute: (RunJob) -> Void = { _ in }
    var degraded: [String] = []
    var interrupted = false

    func execute(_ job: RunJob) throws -> RunRecord {
        lock.lock(); jobs.append(job); let n = jobs.filter { $0.workload.name == job.workload.name && $0.kind == job.kind }.count; lock.unlock()
        onExecute(job)
        if throwOn(job) { throw SandboxSetupError("scripted failure") }
        let o = interrupted ? .killed : outcome(job)
        return RunRecord(index: job.index, warmup: job.kind == .warmup, outcome: o, exitCode: o == .ok ? 0 : 1,
                         metrics: ["wall_time": wallTime(job.workload.name, n)])
    }

    func hostInfo(for workloads: [WorkloadPlan]) -> HostInfo {
        HostInfo(kernel: "test", cpus: 2, cgroup: "none", degraded: degraded)
    }

    func interruptAll() { interrupted = true }

    func count(_ workload: String, _ kind: RunJob.Kind) -> Int {
        lock.lock(); defer { lock.unlock() }
        return jobs.filter { $0.workload.name == workload && $0.kind == kind }.count
    }
}
