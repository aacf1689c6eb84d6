/// One thing for the sandbox to run: a measured run, a warmup, or an unmeasured helper command
/// (`prepare`, `setup`, `teardown`) in the same sandbox settings as the workload.
public struct RunJob: Sendable {
    public enum Kind: String, Sendable { case measured, warmup, prepare, setup, teardown }

    public var workload: WorkloadPlan
    public var command: [String]
    public var kind: Kind
    /// 1-based, counting warmups first, then measured runs.
    public var index: Int
    /// Absolute directory for this job's captured stdout/stderr.
    public var outputDirectory: String
    /// `outputDirectory` relative to the report directory, for the paths stored in report.json.
    public var outputRelative: String

    public init(workload: WorkloadPlan, command: [String], kind: Kind, index: Int, outputDirectory: String, outputRelative: String) {
        self.workload = workload; self.command = command; self.kind = kind; self.index = index
        self.outputDirectory = outputDirectory; self.outputRelative = outputRelative
    }

    /// Only measured and warmup runs start the workload's services and are sampled.
    public var isRun: Bool { kind == .measured || kind == .warmup }
}

/// The error for "the sandbox could not be set up" (exit 3), as opposed to a workload that ran
/// and failed (an outcome).
public struct SandboxSetupError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What the orchestrator needs from the Sandbox stage. The real implementation spawns into fresh
/// cgroups and namespaces; tests may substitute a scripted one to exercise planning alone.
public protocol RunExecutor: AnyObject {
    /// Runs a job to completion. Throws `SandboxError` (or a scripted `SandboxSetupError`) when the sandbox could not be set up;
    /// a workload that fails is a record with an outcome, not a throw.
    func execute(_ job: RunJob) throws -> RunRecord
    /// Facts about the host for report.json, including what was asked for and not enforced.
    func hostInfo(for workloads: [WorkloadPlan]) -> HostInfo
    /// Tears down every live sandbox at once (SIGINT/SIGTERM). Must be safe to call from any thread.
    func interruptAll()
    /// Every job has run: whatever was made ahead for a next run goes (SandboxExecutor: GroupPool).
    func finished()
}

extension RunExecutor {
    public func finished() {}
}
