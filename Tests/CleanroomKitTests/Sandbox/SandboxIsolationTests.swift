import Foundation
import XCTest
@testable import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

/// Namespaces, filesystem modes and the clean process, checked from inside the workload.
final class SandboxIsolationTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(SandboxTest.isRoot, "the sandbox tests need root")
    }
    override func tearDown() { SandboxTest.assertNothingLeft() }

    func run(_ req: SandboxRequest) throws -> (RunRecord, String) {
        let r = try Sandbox.run(req)
        return (r, SandboxTest.stdout(req))
    }

    /// A TCP listener on the host's 127.0.0.1; returns (fd, port).
    func hostListener() -> (Int32, UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        listen(fd, 4)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return (fd, UInt16(bigEndian: addr.sin_port))
    }

    func testNetworkNoneHasOnlyLoopbackAndCannotReachTheHost() throws {
        let (fd, port) = hostListener()
        defer { close(fd) }
        let script = """
        import socket
        ifs = [l.split(':')[0].strip() for l in open('/proc/net/dev').read().splitlines()[2:]]
        print('ifs', ','.join(sorted(ifs)))
        try:
            socket.create_connection(('127.0.0.1', \(port)), timeout=2); print('host reachable')
        except OSError as e:
            print('host unreachable', e.errno)
        srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(1)
        c = socket.create_connection(srv.getsockname(), timeout=2); a, _ = srv.accept()
        c.sendall(b'ping'); print('own loopback', a.recv(4).decode())
        """
        let (r, out) = try run(SandboxTest.request(["python3", "-c", script]))
        XCTAssertEqual(r.outcome, .ok, r.detail ?? "")
        XCTAssertTrue(out.contains("ifs lo\n"), out)
        XCTAssertTrue(out.contains("host unreachable 111"), out)  // ECONNREFUSED: our own lo has no listener there
        XCTAssertTrue(out.contains("own loopback ping"), out)
    }

    func testNetworkHostReachesTheHostListener() throws {
        let (fd, port) = hostListener()
        defer { close(fd) }
        let script = "import socket; socket.create_connection(('127.0.0.1', \(port)), timeout=2); print('host reachable')"
        let (r, out) = try run(SandboxTest.request(["python3", "-c", script], settings: SandboxSettings(network: .host)))
        XCTAssertEqual(r.outcome, .ok, r.detail ?? SandboxTest.stderr(SandboxTest.request([])))
        XCTAssertEqual(out, "host reachable\n")
    }

    func testPrivateTmpIsFreshAndInvisibleToTheHost() throws {
        let hostFile = "/tmp/cleanroom-host-\(UUID().uuidString.prefix(8))"
        FileManager.default.createFile(atPath: hostFile, contents: Data("x".utf8))
        defer { unlink(hostFile) }
        let inside = "/tmp/cleanroom-inside-\(UUID().uuidString.prefix(8))"
        let (r, out) = try run(SandboxTest.request(["sh", "-c", "ls /tmp | wc -l; test -e \(hostFile) && echo seen; echo hi > \(inside) && cat \(inside)"]))
        XCTAssertEqual(r.outcome, .ok, r.detail ?? "")
        XCTAssertEqual(out, "0\nhi\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: inside), "the workload's /tmp is not the host's")
    }

    func testPrivateTmpKeepsACwdThatLivesInTmp() throws {
        let dir = "/tmp/cleanroom-cwd-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        FileManager.default.createFile(atPath: dir + "/input", contents: Data("data\n".utf8))
        var req = SandboxTest.request(["sh", "-c", "cat input; echo out > result; pwd"], cwd: dir)
        req.outputDirectory = SandboxTest.scratch() + "/out"
        let (r, out) = try run(req)
        XCTAssertEqual(r.outcome, .ok, r.detail ?? SandboxTest.stderr(req))
        XCTAssertEqual(out, "data\n\(dir)\n")
        XCTAssertEqual(try String(contentsOfFile: dir + "/result", encoding: .utf8), "out\n")
    }

    /// `private-tmp` and `readonly` give the run a /dev/shm of its own as well: the host's is the
    /// other world-writable place a run could read other users' files in, or leave files in that
    /// outlive it (in memory, charged to nobody once the run's cgroup is gone). `host` shares it.
    func testPrivateModesGiveAFreshDevShmAndHostSharesIt() throws {
        let hostFile = "/dev/shm/cleanroom-host-\(UUID().uuidString.prefix(8))"
        FileManager.default.createFile(atPath: hostFile, contents: Data("x".utf8))
        defer { unlink(hostFile) }
        for mode in [FilesystemMode.privateTmp, .readonly] {
            let inside = "/dev/shm/cleanroom-inside-\(UUID().uuidString.prefix(8))"
            defer { unlink(inside) }
            var req = SandboxTest.request(["sh", "-c", "ls -A /dev/shm | wc -l; test -e \(hostFile) && echo seen; echo hi > \(inside) && cat \(inside)"],
                                          settings: SandboxSettings(filesystem: mode))
            req.outputDirectory = SandboxTest.scratch() + "/out"
            let (r, out) = try run(req)
            XCTAssertEqual(r.outcome, .ok, "\(mode): \(r.detail ?? SandboxTest.stderr(req))")
            XCTAssertEqual(out, "0\nhi\n", "\(mode): a fresh, empty, writable /dev/shm")
            XCTAssertFalse(FileManager.default.fileExists(atPath: inside), "\(mode): what the run wrote there did not reach the host")
        }
        let (r, out) = try run(SandboxTest.request(["sh", "-c", "test -e \(hostFile) && echo seen"], settings: SandboxSettings(filesystem: .host)))
        XCTAssertEqual(r.outcome, .ok)
        XCTAssertEqual(out, "seen\n", "host: the host's /dev/shm")
    }

    /// A cwd under /dev/shm stays reachable and writable when the mode covers /dev/shm (it was
    /// hidden under readonly's fresh /dev/shm before).
    func testACwdInDevShmIsKeptInEveryPrivateMode() throws {
        for mode in [FilesystemMode.privateTmp, .readonly] {
            let dir = "/dev/shm/cleanroom-cwd-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            FileManager.default.createFile(atPath: dir + "/input", contents: Data("data\n".utf8))
            var req = SandboxTest.request(["sh", "-c", "cat input; echo out > result; pwd"], cwd: dir, settings: SandboxSettings(filesystem: mode))
            req.outputDirectory = SandboxTest.scratch() + "/out"
            let (r, out) = try run(req)
            XCTAssertEqual(r.outcome, .ok, "\(mode): \(r.detail ?? SandboxTest.stderr(req))")
            XCTAssertEqual(out, "data\n\(dir)\n", "\(mode)")
            XCTAssertEqual(try String(contentsOfFile: dir + "/result", encoding: .utf8), "out\n", "\(mode)")
        }
    }

    func testHostFilesystemSharesTmp() throws {
        let path = "/tmp/cleanroom-hostfs-\(UUID().uuidString.prefix(8))"
        defer { unlink(path) }
        let (r, _) = try run(SandboxTest.request(["sh", "-c", "echo hi > \(path)"], settings: SandboxSettings(filesystem: .host)))
        XCTAssertEqual(r.outcome, .ok)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "hi\n")
    }

    func testReadonlyRootOnlyCwdAndTmpWritable() throws {
        let cwd = SandboxTest.scratch()
        let elsewhere = TestFixtures.workRoot + "/cleanroom-ro-\(UUID().uuidString.prefix(8))"
        defer { unlink(elsewhere) }
        let script = """
        touch \(elsewhere) 2>/dev/null && echo outside-writable || echo outside-readonly
        echo ok > here && echo cwd-writable
        echo ok > /tmp/x && echo tmp-writable
        touch /etc/cleanroom-ro 2>&1 | grep -q 'Read-only' && echo etc-readonly
        """
        var req = SandboxTest.request(["sh", "-c", script], cwd: cwd, settings: SandboxSettings(filesystem: .readonly))
        req.outputDirectory = SandboxTest.scratch() + "/out"
        let (r, out) = try run(req)
        XCTAssertEqual(r.outcome, .ok, r.detail ?? "")
        XCTAssertEqual(out, "outside-readonly\ncwd-writable\ntmp-writable\netc-readonly\n")
        XCTAssertTrue(FileManager.default.fileExists(atPath: cwd + "/here"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: elsewhere))
    }

    func testEnvironmentIsScrubbed() throws {
        setenv("CLEANROOM_TEST_SECRET", "leak", 1)
        defer { unsetenv("CLEANROOM_TEST_SECRET") }
        let (r, out) = try run(SandboxTest.request(["env"], env: ["WANTED": "yes"]))
        XCTAssertEqual(r.outcome, .ok)
        let keys = Set(out.split(separator: "\n").map { String($0.split(separator: "=", maxSplits: 1)[0]) })
        XCTAssertTrue(keys.isSubset(of: ["PATH", "HOME", "LANG", "TERM", "WANTED"]), "\(keys)")
        XCTAssertTrue(keys.contains("PATH") && keys.contains("WANTED"))
        XCTAssertTrue(out.contains("WANTED=yes"))
        XCTAssertFalse(out.contains("leak"))
    }

    func testStdinIsAtEOF() throws {
        let t = Monotonic.now
        let (r, out) = try run(SandboxTest.request(["sh", "-c", "cat; echo eof:$?"], timeout: 5))
        XCTAssertEqual(r.outcome, .ok)
        XCTAssertEqual(out, "eof:0\n")
        XCTAssertLessThan(Monotonic.now - t, 2)
    }

    func testOnlyStandardFdsAndNoNewPrivs() throws {
        let bin = try TestFixtures.binary("fdlist")
        let (r, out) = try run(SandboxTest.request([bin]))
        XCTAssertEqual(r.outcome, .ok)
        XCTAssertEqual(out, "fds 0 1 2\nNoNewPrivs:\t1\n")
    }

    /// $CLEANROOM_METRICS is a real path: in every filesystem mode (readonly root, a private /tmp
    /// hiding an output directory under /tmp, host) any process of the run appends to it — a
    /// child started by Python's subprocess with close_fds=True included — and the workload holds
    /// no descriptor beyond 0, 1, 2 (the listing's own aside).
    func testMetricsFileIsARealPathForEveryProcessOfTheRun() throws {
        // The script is a file (no shell quoting): a child with close_fds=True appends, then the parent.
        let scriptDir = SandboxTest.scratch()
        try #"""
        import os, subprocess, sys
        path = os.environ["CLEANROOM_METRICS"]
        child = "import os; open(os.environ['CLEANROOM_METRICS'], 'a').write('{\"name\":\"child\",\"value\":2}\\n')"
        subprocess.run([sys.executable, "-c", child], close_fds=True, check=True)
        with open(path, "a") as f: f.write('{"name":"parent","value":1}\n')
        print(path)
        """#.write(toFile: scriptDir + "/metrics.py", atomically: true, encoding: .utf8)
        let underTmp = "/tmp/cleanroom-metrics-test-\(getpid())"
        let underShm = "/dev/shm/cleanroom-metrics-test-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: underTmp); try? FileManager.default.removeItem(atPath: underShm) }
        let cases: [(FilesystemMode, String?)] = [(.readonly, nil), (.privateTmp, underTmp), (.privateTmp, nil), (.host, nil),
                                                  (.privateTmp, underShm), (.readonly, underShm)]
        for (mode, outDir) in cases {
            var req = SandboxTest.request(["python3", scriptDir + "/metrics.py"], cwd: scriptDir,
                                          settings: SandboxSettings(filesystem: mode), metricsFile: true)
            if let outDir { req.outputDirectory = outDir + "/\(mode.rawValue)" }
            let (r, out) = try run(req)
            XCTAssertEqual(r.outcome, .ok, "\(mode) \(outDir ?? ""): \(r.detail ?? "") \(SandboxTest.stderr(req))")
            let file = SysFS.realPath(req.outputDirectory) + "/metrics.jsonl"
            XCTAssertEqual(out, file + "\n", "\(mode): an absolute path, not a descriptor")
            XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8),
                           "{\"name\":\"child\",\"value\":2}\n{\"name\":\"parent\",\"value\":1}\n", "\(mode)")
        }
        let fds = SandboxTest.request(["sh", "-c", "ls /proc/self/fd"], metricsFile: true)
        let (r, out) = try run(fds)
        XCTAssertEqual(r.outcome, .ok)
        XCTAssertEqual(out, "0\n1\n2\n3\n", "0-2, and 3: ls's own handle on the directory it lists")
    }

    func testPidNamespaceAndHostname() throws {
        let (r, out) = try run(SandboxTest.request(["sh", "-c", "echo $$; hostname; ls /proc | grep -c '^[0-9]'"]))
        XCTAssertEqual(r.outcome, .ok)
        let lines = out.split(separator: "\n")
        XCTAssertEqual(lines.first, "2", "the workload is PID 2 under the run's init")
        XCTAssertEqual(lines.dropFirst().first, "cleanroom")
        XCTAssertLessThanOrEqual(Int(lines.last ?? "") ?? 99, 4, "only the run's processes are visible")
    }

    func testMissingCommandIsAnErrorOutcomeNamingThePath() throws {
        let (r, _) = try run(SandboxTest.request(["/nope"]))
        XCTAssertEqual(r.outcome, .error)
        XCTAssertNil(r.exitCode)
        XCTAssertTrue(r.detail?.contains("execve /nope") == true, r.detail ?? "")
        XCTAssertTrue(r.detail?.contains("ENOENT") == true, r.detail ?? "")
        let (r2, _) = try run(SandboxTest.request(["no-such-command-cleanroom"]))
        XCTAssertEqual(r2.outcome, .error)
        XCTAssertTrue(r2.detail?.contains("command not found: no-such-command-cleanroom") == true)
    }

    func testExitCodesAgainstExpectExit() throws {
        let (r, _) = try run(SandboxTest.request(["sh", "-c", "exit 7"]))
        XCTAssertEqual(r.outcome, .failed)
        XCTAssertEqual(r.exitCode, 7)
        let (r2, _) = try run(SandboxTest.request(["sh", "-c", "exit 7"], expectExit: 7))
        XCTAssertEqual(r2.outcome, .ok)
        let (r3, _) = try run(SandboxTest.request(["sh", "-c", "kill -USR1 $$"]))
        XCTAssertEqual(r3.outcome, .killed)
        XCTAssertEqual(r3.signal, "SIGUSR1")
    }

    func testOutputKeepsTheTailAndFlagsTruncation() throws {
        let bin = try TestFixtures.binary("chatty")
        let req = SandboxTest.request([bin, "100000"], outputLimit: 1200)   // 1.2 MB written, 100 lines kept
        let (r, out) = try run(req)
        XCTAssertEqual(r.outcome, .ok)
        XCTAssertEqual(r.output?.truncated, true)
        XCTAssertEqual(out.utf8.count, 1200)
        XCTAssertTrue(out.hasPrefix("line 099901\n"), String(out.prefix(20)))
        XCTAssertTrue(out.hasSuffix("line 100000\n"))
        XCTAssertEqual(SandboxTest.stderr(req), "done\n")
        let (r2, out2) = try run(SandboxTest.request([bin, "10"]))
        XCTAssertEqual(r2.output?.truncated, false)
        XCTAssertEqual(out2.utf8.count, 120)
    }

    func testFiguresAreRealAndTheObserverIsCalled() throws {
        let obs = CounterObserver()
        let bin = try TestFixtures.binary("touch_mem")
        let r = try Sandbox.run(SandboxTest.request([bin, "32"], limits: Limits(memory: 256 << 20)), observer: obs)
        XCTAssertEqual(r.outcome, .ok)
        let start = try XCTUnwrap(obs.start)
        XCTAssertGreaterThan(start.rootPID, 1)
        XCTAssertEqual(start.paths.mode, SandboxHost.current.mode)
        XCTAssertNotNil(r.metrics["pids_peak"], "observer figures merged")
        let wall = try XCTUnwrap(r.metrics["wall_time"]), startup = try XCTUnwrap(r.metrics["startup_time"])
        let cpu = try XCTUnwrap(r.metrics["cpu_time"])
        XCTAssertGreaterThan(wall, 0); XCTAssertLessThan(wall, 5)
        XCTAssertGreaterThan(startup, 0); XCTAssertLessThan(startup, 1)
        XCTAssertGreaterThan(cpu, 0.001, "touching 32 MiB costs CPU")
        XCTAssertEqual(try XCTUnwrap(r.metrics["cpu_user"]) + (r.metrics["cpu_system"] ?? 0), cpu, accuracy: 1e-9)
        XCTAssertNotNil(obs.memoryMax.map { XCTAssertGreaterThan($0, 32 << 20) })
    }
}
