import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import CleanroomKit

/// A cgroup layout this host offers, for running the ground-truth tests through the real
/// `Sandbox.run` path on each: the host's own (hybrid v1 here), cgroup2 only (the host's cgroup2
/// tree, as CLEANROOM_CGROUP_ROOT=/sys/fs/cgroup/unified would pick it: on a hybrid host it has
/// no controllers, so memory and pids come from /proc), and no cgroup at all.
struct Layout: CustomStringConvertible {
    var name: String
    var host: SandboxHost
    var description: String { name }
    var mode: CgroupPaths.Mode { host.backend.mode }

    /// Every layout usable here (root needed for any cgroup).
    static let available: [Layout] = {
        var out: [Layout] = []
        let current = SandboxHost.current
        if current.backend.mode != .none { out.append(Layout(name: current.backend.mode.rawValue, host: current)) }
        for root in ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"] where SysFS.exists(root + "/cgroup.controllers") {
            let h = SandboxHost(cgroupRoot: root)
            if h.backend.mode == .v2, !out.contains(where: { $0.mode == .v2 }) { out.append(Layout(name: "cgroup2 at \(root)", host: h)) }
        }
        out.append(Layout(name: "none", host: SandboxHost(cgroupRoot: "/nonexistent-cgroup-root")))
        return out
    }()

    /// The layouts with a cgroup.
    static var withCgroups: [Layout] { available.filter { $0.mode != .none } }
    /// The first layout with a memory controller, or the test is skipped (it needs root).
    static func withMemoryController() throws -> Layout {
        guard let layout = withCgroups.first(where: { $0.hasController("memory") }) else {
            throw XCTSkip("needs a cgroup layout with the memory controller (root)")
        }
        return layout
    }

    /// Whether this layout's run group has controller `c` (else its figures come from /proc,
    /// samples or rusage).
    func hasController(_ c: String) -> Bool {
        switch mode {
        case .v1, .hybrid: return (host.backend as? CgroupV1Backend)?.hierarchy(c) != nil
        case .v2: return (host.backend as? CgroupV2Backend).map { $0.available.contains(c) } ?? false
        case .none: return false
        }
    }
}

/// One fixture run through `SandboxExecutor.measuredRun`: the path `cleanroom run` takes.
struct GroundTruthRun {
    var record: RunRecord
    var stdout: String
    func metric(_ m: Metric) -> Double? { record.metrics[m.rawValue] }
    func source(_ m: Metric) -> String? { record.sources[m.rawValue] }
    var wallTime: Double { record.metrics[Metric.wallTime.rawValue] ?? 0 }
    var describe: String {
        record.metrics.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value) [\(record.sources[$0.key] ?? "")]" }
            .joined(separator: " ") + " | unmeasured: \(record.unmeasured)"
    }

    static func measure(_ layout: Layout, _ argv: [String], network: NetworkMode = .host, limits: Limits = Limits(),
                        sampling: Double = 0.05, metricsFile: Bool = false,
                        file: StaticString = #filePath, line: UInt = #line) throws -> GroundTruthRun {
        let req = SandboxTest.request(argv, cwd: SandboxTest.scratch(), limits: limits,
                                      settings: SandboxSettings(network: network), timeout: 60, metricsFile: metricsFile)
        let record = try SandboxExecutor.measuredRun(req, sampling: sampling, host: layout.host)
        let r = GroundTruthRun(record: record, stdout: SandboxTest.stdout(req))
        SandboxTest.assertNothingLeft(file: file, line: line)
        return r
    }
}
