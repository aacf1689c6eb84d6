import XCTest
@testable import CleanroomKit

/// The `cleanroom` parent directories go away with the last run, and a concurrent creator whose
/// parent vanished under it makes it again (fake tree: plain directories behave like cgroupfs
/// here — rmdir of a non-empty directory fails).
final class CgroupParentCleanupTests: XCTestCase {
    var base = ""

    override func setUpWithError() throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("cr-parents-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: base) }

    func testEmptyParentIsRemovedAndBusyOneIsKept() throws {
        let backend = CgroupV2Backend(base: base, fake: true)
        try SysFS.mkdir(backend.parent)
        backend.removeEmptyParents()
        XCTAssertFalse(FileManager.default.fileExists(atPath: backend.parent), "an empty parent is removed")

        try SysFS.mkdir(backend.parent)
        try SysFS.mkdir(backend.parent + "/cr-1-2-3")
        backend.removeEmptyParents()
        XCTAssertTrue(FileManager.default.fileExists(atPath: backend.parent + "/cr-1-2-3"), "another run's group is never touched")
    }

    func testMkdirRemakesAVanishedParent() throws {
        let child = base + "/cleanroom/cr-9-9-9"
        XCTAssertFalse(FileManager.default.fileExists(atPath: base + "/cleanroom"))
        try SysFS.mkdir(child)
        XCTAssertTrue(FileManager.default.fileExists(atPath: child))
        XCTAssertThrowsError(try SysFS.mkdir(base + "/no/such/deep/dir"), "only one missing level is made again")
    }
}
