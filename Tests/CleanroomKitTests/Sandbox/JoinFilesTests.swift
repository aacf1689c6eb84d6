import Foundation
import XCTest
@testable import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

/// The run's join files are opened when its groups are made (`JoinFiles`), handed to the child,
/// and closed with the groups: no descriptor of cleanroom's outlives its runs.
final class JoinFilesTests: XCTestCase {
    private func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
    }

    func testTheDescriptorsGoOnlyToTheJoinListTheyWereOpenedFor() throws {
        let dir = SandboxTest.scratch()
        let paths = ["a", "b"].map { dir + "/" + $0 }
        for p in paths { FileManager.default.createFile(atPath: p, contents: nil) }
        let files = try XCTUnwrap(JoinFiles(paths))
        XCTAssertEqual(files.fds.count, 2)
        XCTAssertEqual(files.descriptors(for: paths), files.fds)
        XCTAssertEqual(files.descriptors(for: paths + [dir + "/c"]), files.fds, "the fallback's longer list starts with them")
        XCTAssertEqual(files.descriptors(for: paths.reversed()), [], "another order: by path")
        XCTAssertNil(JoinFiles(paths + [dir + "/missing"]), "one that cannot be opened: all by path")
        XCTAssertNil(JoinFiles([]))
    }

    func testRunsLeaveNoDescriptorOfTheirGroupsOpen() throws {
        try XCTSkipUnless(SandboxTest.isRoot && SandboxHost.current.backend is CgroupV1Backend, "needs root and v1 cgroups (join files)")
        _ = try Sandbox.run(SandboxTest.request(["/bin/true"]))   // first-use descriptors (kept files) opened once
        let before = openDescriptors()
        for _ in 0..<5 {
            let req = SandboxTest.request(["/bin/sh", "-c", "ls /proc/self/fd | wc -l"])
            let r = try Sandbox.run(req)
            XCTAssertEqual(r.outcome, .ok, r.detail ?? SandboxTest.stderr(req))
            // 0, 1, 2 and ls's own directory: none of the parent's join files reached the workload.
            XCTAssertEqual(SandboxTest.stdout(req).trimmingCharacters(in: .whitespacesAndNewlines), "4")
        }
        XCTAssertEqual(openDescriptors(), before, "the join files were closed with their runs")
        SandboxTest.assertNothingLeft()
    }
}
