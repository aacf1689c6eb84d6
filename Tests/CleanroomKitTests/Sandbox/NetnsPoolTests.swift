import Foundation
import XCTest
@testable import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

/// A run's network namespace made ahead of its clone (`NetnsPool`) is as fresh as one the clone
/// makes: a namespace of its own per run, `lo` up and nothing else, its descriptor not passed on.
final class NetnsPoolTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(SandboxTest.isRoot && SandboxHost.current.canUseNamespaces, "needs root and namespaces")
    }
    override func tearDown() { SandboxTest.assertNothingLeft() }

    func testEachRunOfASequenceGetsANamespaceMadeForItAlone() throws {
        // What the last run made ahead goes, as `SandboxExecutor.finished` does after a `run`.
        defer { GroupPool.drain(); close(NetnsPool.take()) }
        // None left over from another test: run 1's clone makes its own, runs 2 and 3 join one
        // made while the run before them ended.
        close(NetnsPool.take())
        let takenBefore = NetnsPool.taken
        let script = """
        import os, socket
        print('ns', os.readlink('/proc/self/ns/net'))
        print('ifs', ','.join(sorted(l.split(':')[0].strip() for l in open('/proc/net/dev').read().splitlines()[2:])))
        s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)
        c = socket.create_connection(s.getsockname(), timeout=2); a, _ = s.accept(); print('lo up')
        c.close(); a.close(); s.close()
        print('fds', ','.join(sorted(os.listdir('/proc/self/fd'), key=int)))
        """
        var namespaces: [String] = []
        for run in 1...3 {
            var req = SandboxTest.request(["python3", "-c", script])
            req.runsFollow = true
            let r = try Sandbox.run(req)
            let out = SandboxTest.stdout(req)
            XCTAssertEqual(r.outcome, .ok, "run \(run): \(r.detail ?? SandboxTest.stderr(req))")
            XCTAssertTrue(out.contains("ifs lo\n"), "run \(run): \(out)")
            XCTAssertTrue(out.contains("lo up\n"), "run \(run): \(out)")
            // 0-2, and the directory listdir had open: no namespace descriptor reached the workload.
            XCTAssertTrue(out.contains("fds 0,1,2,3\n"), "run \(run): \(out)")
            if let line = out.split(separator: "\n").first(where: { $0.hasPrefix("ns ") }) { namespaces.append(String(line.dropFirst(3))) }
        }
        let host = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")) ?? "?"
        XCTAssertEqual(namespaces.count, 3, "\(namespaces)")
        XCTAssertEqual(Set(namespaces).count, 3, "one namespace per run: \(namespaces)")
        XCTAssertFalse(namespaces.contains(host), "\(namespaces) against the host's \(host)")
        XCTAssertEqual(NetnsPool.taken - takenBefore, 2, "runs 2 and 3 joined a namespace made ahead")
    }
}
