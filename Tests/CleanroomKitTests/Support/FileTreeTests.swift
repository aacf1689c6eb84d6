import XCTest
@testable import CleanroomKit

/// FileTree.remove: everything under the directory goes, nothing a link points at is touched.
final class FileTreeTests: XCTestCase {
    var base = ""

    override func setUpWithError() throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("cr-filetree-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: base) }

    func testRemovesANestedTreeWithoutFollowingLinks() throws {
        let fm = FileManager.default
        let outside = base + "/outside"
        try fm.createDirectory(atPath: outside + "/keep", withIntermediateDirectories: true)
        try Data("precious".utf8).write(to: URL(fileURLWithPath: outside + "/keep/file"))
        let tree = base + "/tree"
        try fm.createDirectory(atPath: tree + "/a/b/c", withIntermediateDirectories: true)
        for f in ["stdout.txt", "a/x", "a/b/c/deep"] { try Data("x".utf8).write(to: URL(fileURLWithPath: tree + "/" + f)) }
        try fm.createSymbolicLink(atPath: tree + "/link-to-dir", withDestinationPath: outside + "/keep")
        try fm.createSymbolicLink(atPath: tree + "/a/link-to-file", withDestinationPath: outside + "/keep/file")
        XCTAssertEqual(mkfifo(tree + "/a/b/fifo", 0o600), 0)

        XCTAssertTrue(FileTree.remove(tree))
        XCTAssertFalse(fm.fileExists(atPath: tree), "the tree is gone")
        XCTAssertEqual(try String(contentsOfFile: outside + "/keep/file", encoding: .utf8), "precious", "a link's target is untouched")
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: outside + "/keep"), ["file"])
    }

    func testALinkAtThePathIsRemovedAsItselfAndAMissingPathIsGone() throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: base + "/target", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: base + "/target/f"))
        try fm.createSymbolicLink(atPath: base + "/link", withDestinationPath: base + "/target")
        XCTAssertTrue(FileTree.remove(base + "/link"))
        XCTAssertNil(try? fm.destinationOfSymbolicLink(atPath: base + "/link"), "the link is gone")
        XCTAssertTrue(fm.fileExists(atPath: base + "/target/f"), "its target stays")
        XCTAssertTrue(FileTree.remove(base + "/never-was"))
    }

    /// FileTree.names: what FileManager lists (exec's scratch sweep used it), and nothing through
    /// a link at the path.
    func testNamesListsWhatFileManagerListsAndFollowsNoLink() throws {
        let fm = FileManager.default
        let dir = base + "/listed"
        try fm.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
        for f in ["a", ".hidden", "cr-1-2-exec-XYZ"] { try Data().write(to: URL(fileURLWithPath: dir + "/" + f)) }
        try fm.createSymbolicLink(atPath: dir + "/link", withDestinationPath: "/")
        XCTAssertEqual(FileTree.names(in: dir)?.sorted(), try fm.contentsOfDirectory(atPath: dir).sorted())
        XCTAssertEqual(FileTree.names(in: dir)?.sorted(), [".hidden", "a", "cr-1-2-exec-XYZ", "link", "sub"])
        XCTAssertEqual(FileTree.names(in: dir + "/sub"), [])
        try fm.createSymbolicLink(atPath: base + "/to-listed", withDestinationPath: dir)
        XCTAssertNil(FileTree.names(in: base + "/to-listed"), "a link at the path is not followed")
        XCTAssertEqual(FileTree.names(in: base + "/to-listed", followingLink: true)?.sorted(),
                       [".hidden", "a", "cr-1-2-exec-XYZ", "link", "sub"], "unless asked (SysFS.list)")
        XCTAssertEqual(SysFS.list(base + "/to-listed").sorted(), [".hidden", "a", "cr-1-2-exec-XYZ", "link", "sub"])
        XCTAssertEqual(SysFS.list(base + "/missing"), [])
        XCTAssertNil(FileTree.names(in: base + "/missing"))
        XCTAssertNil(FileTree.names(in: dir + "/a"), "a file is no directory")
    }
}
