import Foundation
import XCTest
@testable import CleanroomKit

/// ConfigDecoder.tidyPath against what it replaced (Foundation's URL standardisation), on real
/// paths: links, `..` through a link, a relative base, spaces and percent signs, the root.
final class ConfigPathTests: XCTestCase {
    /// The implementation before: URL(fileURLWithPath:) (+ appendingPathComponent), then
    /// standardizedFileURL.path without trailing slashes.
    func viaURL(_ path: String, base: String) -> String {
        let url = path.hasPrefix("/") ? URL(fileURLWithPath: path)
            : URL(fileURLWithPath: base).appendingPathComponent(path)
        var s = url.standardizedFileURL.path
        while s.count > 1, s.hasSuffix("/") { s.removeLast() }
        return s
    }

    func testSameAnswerAsURLStandardisation() throws {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("cr-paths-\(UUID().uuidString)").path
        try fm.createDirectory(atPath: dir + "/real/sub", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: dir + "/with space/100%", withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: dir + "/link", withDestinationPath: dir + "/real/sub")
        try fm.createSymbolicLink(atPath: dir + "/rel", withDestinationPath: "real/sub")
        defer { try? fm.removeItem(atPath: dir) }
        let paths = [".", "./", "real", "real/", "real//sub/", "real/./sub/.", "real/sub/..", "real/../real/sub",
                     "link", "link/..", "link/../sub", "missing/../x", "../..", "../../../../../..", "with space/100%",
                     "with space/100%/../100%", "/", "//", "/tmp/../", "/a/b/../../..", dir + "/link/./", "~", "~/x",
                     "a%20b", "x/.../y", "..x/y..", ".hidden/./..",
                     "link/../nothere", "rel/..", "rel/../../x", "real/sub/../../link/.."]
        let cwd = fm.currentDirectoryPath
        for base in [dir, dir + "/", dir + "/link", dir + "/link/..", "/", "relative/base", "."] {
            for p in paths {
                let want = viaURL(p, base: base)
                XCTAssertEqual(ConfigDecoder.tidyPath(p, base: base), want, "path \(p) base \(base) (cwd \(cwd))")
            }
        }
    }
}
