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
}
