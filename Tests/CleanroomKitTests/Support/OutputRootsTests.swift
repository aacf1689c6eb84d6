import Foundation
import XCTest
@testable import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

/// OutputRoots without a sandbox: what is under a trusted root is reached without following
/// links, however the root was spelled; what is not under one is written as before.
final class OutputRootsTests: XCTestCase {
    var base = ""

    override func setUpWithError() throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("outroots-\(getpid())-\(UUID().uuidString.prefix(6))").path
        try FileManager.default.createDirectory(atPath: base + "/sub", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: base + "/victim", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: base + "/out", withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: base) }

    func testAPlantedLinkUnderARootSpelledWithDotDotIsRefused() throws {
        let root = base + "/sub/../out"        // as `-o ../out` from sub/ spells it
        try OutputRoots.trust(root)
        defer { OutputRoots.release(root) }
        close(try SysFS.openMadeDirectory(root + "/runs/w/1"))
        try SysFS.writeFile(root + "/runs/w/1/stdout.txt", Array("one".utf8))
        XCTAssertEqual(try String(contentsOfFile: base + "/out/runs/w/1/stdout.txt", encoding: .utf8), "one")

        try FileManager.default.createSymbolicLink(atPath: base + "/out/runs/w/2", withDestinationPath: base + "/victim")
        XCTAssertThrowsError(try SysFS.openMadeDirectory(root + "/runs/w/2")) { e in
            XCTAssertTrue("\(e)".contains("not following links"), "\(e)")
        }
        XCTAssertThrowsError(try SysFS.writeFile(root + "/runs/w/2/stdout.txt", Array("two".utf8)))
        // The path handed to the run ($CLEANROOM_METRICS) is the root's, not the plant's target.
        XCTAssertEqual(OutputRoots.realPath(root + "/runs/w/2"), SysFS.realPath(base) + "/out/runs/w/2")
        XCTAssertEqual(SysFS.realPath(root + "/runs/w/2"), SysFS.realPath(base + "/victim"))
        XCTAssertThrowsError(try AtomicFile.write("x", to: root + "/runs/w/2/report.json"))
        try? FileManager.default.createSymbolicLink(atPath: base + "/out/runs/w/2/keep", withDestinationPath: "/dev/null")
        OutputRoots.unlink(["keep"], in: root + "/runs/w/2")    // through the link: not removed
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: base + "/victim"), ["keep"])
        // A run's directory reached once, its files removed from it.
        try SysFS.writeFile(root + "/runs/w/1/stderr.txt", Array("e".utf8))
        OutputRoots.unlink(["stdout.txt", "stderr.txt", "absent.txt"], in: root + "/runs/w/1")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: base + "/out/runs/w/1"), [])
        OutputRoots.unlink(["stdout.txt"], in: root + "/runs/w/9")   // no such directory: nothing happens

        // Reports at the root itself: written, by rename in the root's directory.
        try AtomicFile.write("{}", to: root + "/report.json")
        XCTAssertEqual(try String(contentsOfFile: base + "/out/report.json", encoding: .utf8), "{}")
    }

    func testARootMustExistAndIsNotCreated() {
        XCTAssertThrowsError(try OutputRoots.trust(base + "/missing"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: base + "/missing"))
    }

    func testAfterReleaseAndOutsideRootsPathsAreWrittenAsGiven() throws {
        let root = base + "/out"
        try OutputRoots.trust(root)
        OutputRoots.release(root)
        try FileManager.default.createSymbolicLink(atPath: base + "/out/linked", withDestinationPath: base + "/victim")
        // Not under a root any more: the user's links are followed, as for any path they give.
        try SysFS.writeFile(root + "/linked/f.txt", Array("x".utf8))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: base + "/victim"), ["f.txt"])
    }
}
