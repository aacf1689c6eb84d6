import XCTest
@testable import CleanroomKit

final class ReportWriterTests: XCTestCase {
    func testWritesEveryFormatAndNothingElse() throws {
        let base = try ReportFixtures.tempDir()
        let dir = base + "/nested/out"
        defer { try? FileManager.default.removeItem(atPath: base) }
        let written = try ReportWriter.write(try ReportFixtures.fail, to: dir, formats: ReportFormat.allCases)
        let names = ReportFormat.allCases.flatMap(\.fileNames)
        XCTAssertEqual(written, names.map { dir + "/" + $0 })
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: dir)), Set(names), "no temporary files left")
        for p in written {
            let attrs = try FileManager.default.attributesOfItem(atPath: p)
            XCTAssertGreaterThan(attrs[.size] as! Int, 100, p)
            XCTAssertEqual((attrs[.posixPermissions] as! NSNumber).intValue, 0o644, p)
        }
        XCTAssertEqual(try JSONReport.read(path: dir + "/report.json"), try ReportFixtures.fail)
        ReportFixtures.assertValidAgainstSchema([dir + "/report.json"])
    }

    func testReplacingIsARenameNotAnInPlaceRewrite() throws {
        let dir = try ReportFixtures.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/report.json"
        try ReportWriter.write(try ReportFixtures.pass, to: dir, formats: [.json])
        // A reader holding the old file keeps reading the old, complete content.
        let old = FileHandle(forReadingAtPath: path)!
        defer { try? old.close() }
        let oldInode = (try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as! NSNumber).intValue
        try ReportWriter.write(try ReportFixtures.fail, to: dir, formats: [.json])
        let newInode = (try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as! NSNumber).intValue
        XCTAssertNotEqual(oldInode, newInode)
        let oldContent = old.readDataToEndOfFile()
        XCTAssertEqual(try JSONReport.decode(oldContent), try ReportFixtures.pass)
        XCTAssertEqual(try JSONReport.read(path: path), try ReportFixtures.fail)
    }

    func testAFileInTheWayIsAClearErrorAndNothingIsWritten() throws {
        let dir = try ReportFixtures.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/not-a-dir"
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ReportWriter.write(try ReportFixtures.fail, to: file, formats: ReportFormat.allCases)) { e in
            XCTAssertEqual((e as? FileWriteError)?.message, "exists and is not a directory")
        }
        XCTAssertThrowsError(try ReportWriter.write(try ReportFixtures.fail, to: file + "/sub", formats: [.json])) { e in
            XCTAssertTrue("\(e)".contains("is not a directory"), "\(e)")
        }
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "x")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["not-a-dir"])
    }

    func testAnUnwritableDirectoryIsAClearError() throws {
        // /proc refuses new files even to root; a chmod'ed directory only stops non-root users.
        XCTAssertThrowsError(try ReportWriter.write(try ReportFixtures.pass, to: "/proc", formats: [.json])) { e in
            XCTAssertTrue("\(e)".hasPrefix("/proc"), "\(e)")
        }
        let dir = try ReportFixtures.tempDir()
        defer { chmod(dir, 0o755); try? FileManager.default.removeItem(atPath: dir) }
        chmod(dir, 0o555)
        if getuid() != 0 {
            XCTAssertThrowsError(try ReportWriter.write(try ReportFixtures.pass, to: dir, formats: [.json])) { e in
                XCTAssertTrue("\(e)".contains("not writable"), "\(e)")
            }
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
        }
    }

    func testAtomicFileLeavesTheOldContentWhenTheWriteFails() throws {
        let dir = try ReportFixtures.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/keep.txt"
        try AtomicFile.write("old", to: path)
        // The destination is a directory: rename fails after the temp file was fully written.
        try FileManager.default.createDirectory(atPath: dir + "/adir/inner", withIntermediateDirectories: true)
        XCTAssertThrowsError(try AtomicFile.write("new", to: dir + "/adir"))
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: dir)), ["keep.txt", "adir"], "temp file removed")
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "old")
        try AtomicFile.write("new", to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "new")
    }

    func testFormatListParsing() throws {
        XCTAssertEqual(try ReportFormat.parseList("json, csv,html"), [.json, .csv, .html])
        XCTAssertEqual(try ReportFormat.parseList("all"), ReportFormat.allCases)
        XCTAssertEqual(try ReportFormat.parseList("md,prom,junit,md"), [.markdown, .openmetrics, .junit])
        XCTAssertThrowsError(try ReportFormat.parseList("json,htlm")) { e in
            XCTAssertEqual(e as? ReportError, .unknownFormat("htlm", hint: "html"))
            XCTAssertTrue("\(e)".contains("did you mean html?"))
        }
        XCTAssertThrowsError(try ReportFormat.parseList(""))
    }
}

/// `cleanroom report` end to end, on the built executable.
final class ReportCommandTests: XCTestCase {
    private var binary: String {
        // The test runner (…/debug/cleanroomPackageTests.xctest) sits beside the executable.
        let candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
                          Bundle(for: ReportCommandTests.self).bundleURL.deletingLastPathComponent(),
                          Bundle.main.bundleURL]
        let found = candidates.map { $0.appendingPathComponent("cleanroom").path }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        return found ?? candidates[0].appendingPathComponent("cleanroom").path
    }

    private func run(_ args: [String]) throws -> (code: Int32, out: String, err: String) {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw XCTSkip("the cleanroom executable is not built at \(binary) (swift build first)")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func testReRendersASavedReport() throws {
        let dir = try ReportFixtures.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = ReportFixtures.dir.appendingPathComponent("fail-report.json").path
        let r = try run(["report", input, "-o", dir, "--format", "junit,markdown,openmetrics"])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(r.out.split(separator: "\n").map(String.init), ["junit.xml", "summary.md", "metrics.prom"].map { dir + "/" + $0 })
        XCTAssertEqual(try String(contentsOfFile: dir + "/summary.md", encoding: .utf8), MarkdownReport.render(try ReportFixtures.fail))
        let d = try run(["report", input, "-o", dir + "/default"])
        XCTAssertEqual(d.code, 0, d.err)
        // The output directory's advisory lock file (one writer at a time, docs/robustness.md) stays.
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: dir + "/default")),
                       ["report.json", "report.csv", "slos.csv", "report.html", OutputLock.fileName])
    }

    func testBadInputUnknownFormatAndUnwritableOutputExitTwo() throws {
        let dir = try ReportFixtures.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let missing = try run(["report", dir + "/missing.json", "-o", dir + "/o"])
        XCTAssertEqual(missing.code, 2)
        XCTAssertTrue(missing.err.contains("missing.json: cannot read: no such file"), missing.err)
        try "[1,2]".write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
        let bad = try run(["report", dir + "/bad.json", "-o", dir + "/o"])
        XCTAssertEqual(bad.code, 2)
        XCTAssertTrue(bad.err.contains("not a cleanroom report"), bad.err)
        let input = ReportFixtures.dir.appendingPathComponent("pass-report.json").path
        let fmt = try run(["report", input, "-o", dir + "/o", "--format", "pdf"])
        XCTAssertEqual(fmt.code, 2)
        XCTAssertTrue(fmt.err.contains("unknown report format \"pdf\""), fmt.err)
        try "x".write(toFile: dir + "/file", atomically: true, encoding: .utf8)
        let unwritable = try run(["report", input, "-o", dir + "/file"])
        XCTAssertEqual(unwritable.code, 2)
        XCTAssertTrue(unwritable.err.contains("cannot write reports to") && unwritable.err.contains("not a directory"), unwritable.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/o"), "nothing written on errors")
    }
}
