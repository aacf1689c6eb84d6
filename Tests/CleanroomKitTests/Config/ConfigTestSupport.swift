import Foundation
@testable import CleanroomKit

enum ConfigTestSupport {
    static let base = "/tmp/cleanroom-config-tests"

    static func load(_ text: String, overrides: ConfigOverrides = .init()) -> Result<Plan, ConfigErrors> {
        ConfigLoader.load(data: Data(text.utf8), path: "slo.json", baseDirectory: base, overrides: overrides)
    }

    static func diagnostics(_ text: String) -> [Diagnostic] {
        switch load(text) {
        case .success: return []
        case .failure(let e): return e.diagnostics
        }
    }

    /// A minimal valid config with `workload` spliced into its one workload and `extra` at the top.
    static func config(workload: String = "", extra: String = "", slos: String = "[]") -> String {
        """
        {"version": 1, "workloads": [{"name": "w", "command": ["true"]\(workload.isEmpty ? "" : ", " + workload)}],
         "slos": \(slos)\(extra.isEmpty ? "" : ", " + extra)}
        """
    }
}
