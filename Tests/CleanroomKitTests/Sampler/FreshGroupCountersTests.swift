import Foundation
import XCTest
@testable import CleanroomKit

/// What `Snapshot.fresh` takes for granted, read on the real kernel: in a run's cgroup, at the
/// moment the sampler's snapshot is taken (made, limits written, nothing spawned), every
/// cumulative counter the layout reads is 0.
final class FreshGroupCountersTests: XCTestCase {
    final class Reader: RunObserver {
        var values: [CgroupCounters.Key: Int64] = [:]
        var read: [CgroupCounters.Key] = []
        func prepare(_ paths: CgroupPaths) {
            let snap = Snapshot.take(paths: paths)
            values = snap.values
            read = CgroupCounters.Key.allCases.filter { $0.isCumulative && snap.counters[$0].spec != nil }
        }
        func started(_ run: RunStart) {}
        func finished() -> RunObservation { RunObservation() }
    }

    func testEveryCumulativeCounterOfANewRunGroupIsZero() throws {
        guard SandboxTest.isRoot, SandboxHost.current.mode != .none else { throw XCTSkip("needs root and cgroups") }
        let reader = Reader()
        // A disk limit too, so that v1 blkio gets its rule and io files are in the layout.
        let req = SandboxTest.request(["/bin/true"], limits: Limits(diskWriteRate: 1 << 30))
        _ = try Sandbox.run(req, observer: reader)
        XCTAssertFalse(reader.read.isEmpty, "no cumulative counter in this layout")
        XCTAssertGreaterThanOrEqual(reader.read.count, 4, "\(reader.read)")
        for key in reader.read {
            XCTAssertEqual(reader.values[key], 0, "\(key) of a new group, before its spawn")
        }
        SandboxTest.assertNothingLeft()
    }
}
