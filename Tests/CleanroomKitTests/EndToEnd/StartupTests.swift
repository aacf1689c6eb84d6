import Foundation
import XCTest

/// What the start-up work (docs/BENCHMARKS.md "Start-up") must keep: `--version` answered before
/// the command tree is built says what ArgumentParser said, and the binary exports no symbols of
/// its own (the runtime's start-up dladdr and the loader walk every exported one).
final class StartupTests: EndToEndTestCase {
    func testVersionSaysTheVersionAndCommit() throws {
        let r = try E2E.cleanroom(["--version"], in: E2E.scratch())
        XCTAssertEqual(r.code, 0, "\(r)")
        XCTAssertEqual(r.err, "")
        XCTAssertNotNil(r.out.range(of: #"^\d+\.\d+\.\d+ \(commit [^)\n]+\)\n$"#, options: .regularExpression), r.out)
        // Not alone, ArgumentParser answers it: the two must say the same.
        let parser = try E2E.cleanroom(["--version", "run"], in: E2E.scratch())
        XCTAssertEqual(parser.code, 0, "\(parser)")
        XCTAssertEqual(parser.out, r.out)
    }

    /// The early `--version` writes once, itself, and ArgumentParser's answers (help, a version
    /// among other arguments) go through the same check: a full or closed standard output is an
    /// output error (exit 3, named), as for every other command, not a pass with the answer lost.
    func testVersionOrHelpThatCannotBeWrittenIsAnOutputError() throws {
        for args in ["--version", "--version run", "--help", "help exec"] {
            let full = try E2E.combinedOutput("/bin/sh", ["-c", "\"$0\" \(args) > /dev/full", E2E.binary])
            XCTAssertEqual(full.status, 3, "\(args): \(full.text)")
            XCTAssertTrue(full.text.contains("cannot write to standard output: No space left on device"), "\(args): \(full.text)")
            let closed = try E2E.combinedOutput("/bin/sh", ["-c", "\"$0\" \(args) >&-", E2E.binary])
            XCTAssertEqual(closed.status, 3, "\(args): \(closed.text)")
            XCTAssertTrue(closed.text.contains("cannot write to standard output"), "\(args): \(closed.text)")
        }
    }

    func testTheBinaryExportsNoSwiftSymbols() throws {
        let readelf = ["/usr/bin/readelf", "/bin/readelf"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let tool = try XCTUnwrap(readelf, "readelf (binutils) is needed")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = ["--dyn-syms", "-W", E2E.binary]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        // Defined (not UND) global symbols with Swift's mangling prefix: what --export-dynamic added.
        let exported = text.split(separator: "\n").filter { $0.contains(" $s") && !$0.contains(" UND ") }
        XCTAssertTrue(text.contains("Symbol table"), text)
        XCTAssertEqual(exported.count, 0, "exported: \(exported.prefix(3))")
    }

    /// libseccomp is opened at its first use, not by the loader (Sources/CSpawn/seccomp.c): with the
    /// library unreadable (bind-mounted over by /dev/null in a mount namespace of this test's own),
    /// `--version` still answers, a sandbox with a filter is a clear set-up error (exit 3, not the
    /// loader's 127), and one without a filter runs.
    func testWithoutLibseccompOnlyTheFilterFails() throws {
        let candidates = ["/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib"]
            .map { $0 + "/libseccomp.so.2" }
        let link = try XCTUnwrap(candidates.first { FileManager.default.fileExists(atPath: $0) }, "libseccomp.so.2 not found")
        let library = URL(fileURLWithPath: link).resolvingSymlinksInPath().path
        let script = """
        mount --bind /dev/null "$1" || exit 90
        "$2" --version >/dev/null 2>&1; echo "version=$?"
        "$2" exec -- /bin/true 2>&1; echo "filter=$?"
        "$2" exec --seccomp none -- /bin/true >/dev/null 2>&1; echo "none=$?"
        """
        let (status, text) = try E2E.combinedOutput("/usr/bin/unshare",
            ["--mount", "--propagation", "private", "/bin/sh", "-c", script, "sh", library, E2E.binary])
        XCTAssertEqual(status, 0, text)
        XCTAssertTrue(text.contains("version=0\n"), text)
        XCTAssertTrue(text.contains("filter=3\n"), text)
        XCTAssertTrue(text.contains("libseccomp could not be loaded"), text)
        XCTAssertTrue(text.contains("none=0\n"), text)
    }
}
