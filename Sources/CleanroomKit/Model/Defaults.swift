/// Every built-in default, in one place: used when neither a workload nor `defaults` in slo.json
/// says otherwise (Config), and by the library entry points (`WorkloadPlan.init`,
/// `SandboxRequest.init`). Documented in docs/slo.md. Precedence, highest first: the command line
/// (`--repeat`, `--warmup`), the workload's own key, the file's `defaults`, these values.
public enum Defaults {
    public static let repeatCount = 3
    public static let warmup = 0
    public static let timeout: Double? = 300
    public static let sampling = 0.05
    public static let killGrace = 2.0
    public static let outputLimit = 16 << 20
    public static let readyTimeout = 30.0
    public static let webhookOn: [Verdict] = [.fail]
    public static let expectExit = 0
    /// The run's hostname (its own UTS namespace).
    public static let hostname = "cleanroom"
    /// PATH of the scrubbed environment when the host has none.
    public static let path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}
