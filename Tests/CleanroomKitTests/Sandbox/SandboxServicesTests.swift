import Foundation
import XCTest
@testable import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

/// Services: real servers started inside the run's namespaces before the workload, measured in
/// their own cgroups, stopped after it. Real kernel, real processes; every test checks that no
/// process or cgroup is left.
final class SandboxServicesTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(SandboxTest.isRoot, "the sandbox tests need root")
    }
    override func tearDown() { SandboxTest.assertNothingLeft() }

    /// The interpreter itself, not a version manager's shim (pyenv's shim forks several helpers,
    /// which would blur a pids.peak comparison).
    static let python: String = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import sys; print(sys.executable)"]
        let pipe = Pipe()
        p.standardOutput = pipe
        try? p.run()
        p.waitUntilExit()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return out.isEmpty ? "python3" : out
    }()

    /// A workload that GETs `url` `n` times and prints how many answers were 200.
    func fetcher(_ urls: [String], times n: Int) -> [String] {
        let list = urls.map { "'\($0)'" }.joined(separator: ",")
        return [Self.python, "-c", """
        import urllib.request
        ok = 0
        for i in range(\(n)):
            for u in [\(list)]:
                with urllib.request.urlopen(u, timeout=5) as r:
                    r.read()
                    ok += r.status == 200
        print('ok', ok)
        """]
    }

    func httpServer(_ name: String, port: Int, ready: ReadyCheck? = nil, timeout: Double = 15) -> ServicePlan {
        ServicePlan(name: name, command: ["python3", "-m", "http.server", String(port), "--bind", "127.0.0.1"],
                    ready: ready ?? .http(url: "http://127.0.0.1:\(port)/"), readyTimeout: timeout)
    }

    func testHTTPServerServiceWithNetworkNone() throws {
        var req = SandboxTest.request(fetcher(["http://127.0.0.1:18080/"], times: 50))
        req.services = [httpServer("web", port: 18080)]
        let obs = CounterObserver()
        let r = try Sandbox.run(req, observer: obs)
        XCTAssertEqual(r.outcome, .ok, r.detail ?? "")
        XCTAssertEqual(SandboxTest.stdout(req).trimmingCharacters(in: .whitespacesAndNewlines), "ok 50")
        let web = try XCTUnwrap(r.services["web"])
        XCTAssertEqual(web.outcome, .ok)
        XCTAssertGreaterThan(try XCTUnwrap(web.metrics["memory_peak"]), 5e6, "a python http.server holds more than 5 MB")
        XCTAssertGreaterThan(try XCTUnwrap(web.metrics["cpu_time"]), 0)
        XCTAssertNotNil(web.metrics["cpu_percent"])
        XCTAssertNotNil(web.metrics["pids_peak"])
        // http.server logs every request on stderr: the workload's 50 GETs (plus readiness probes) reached it.
        let log = try String(contentsOfFile: req.outputDirectory + "/svc-web.stderr.txt", encoding: .utf8)
        let gets = log.components(separatedBy: "\"GET / HTTP/1.1\" 200").count - 1
        XCTAssertGreaterThanOrEqual(gets, 51, log.suffix(300).description)
        // The workload's leaf holds the init and python (no threads, no children) only: the server
        // and its processes are not in the workload's figures.
        XCTAssertEqual(obs.pidsPeak, 2, "workload leaf pids.peak")
        XCTAssertTrue(FileManager.default.fileExists(atPath: req.outputDirectory + "/svc-web.stdout.txt"))
    }

    func testTCPReadinessInReadonlyFilesystem() throws {
        var req = SandboxTest.request(fetcher(["http://127.0.0.1:8081/"], times: 1),
                                      settings: SandboxSettings(network: .none, seccomp: .default, filesystem: .readonly))
        req.services = [httpServer("api", port: 8081, ready: .tcp(port: 8081))]
        let r = try Sandbox.run(req)
        XCTAssertEqual(r.outcome, .ok, r.detail ?? "")
        XCTAssertEqual(SandboxTest.stdout(req).trimmingCharacters(in: .whitespacesAndNewlines), "ok 1")
        XCTAssertGreaterThan(r.services["api"]?.metrics["memory_peak"] ?? 0, 0)
    }

    func testLogReadiness() throws {
        // Listens first, then says so: the workload may connect as soon as the line is seen.
        let server = """
        import socket, sys, time
        time.sleep(0.3)
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('127.0.0.1', 7000)); s.listen(8)
        print('server listening on 7000', flush=True)
        while True:
            c, _ = s.accept(); c.sendall(b'hello from the service\\n'); c.close()
        """
        let client = "import socket; s = socket.create_connection(('127.0.0.1', 7000)); print(s.recv(100).decode().strip())"
        var req = SandboxTest.request(["python3", "-c", client])
        req.services = [ServicePlan(name: "echo", command: ["python3", "-c", server], ready: .log(regex: "listening on \\d+$"), readyTimeout: 10)]
        let r = try Sandbox.run(req)
        XCTAssertEqual(r.outcome, .ok, r.detail ?? "")
        XCTAssertEqual(SandboxTest.stdout(req).trimmingCharacters(in: .whitespacesAndNewlines), "hello from the service")
        XCTAssertEqual(try String(contentsOfFile: req.outputDirectory + "/svc-echo.stdout.txt", encoding: .utf8), "server listening on 7000\n")
    }

    func testHTTPReadinessWaitsFor2xx() throws {
        // 503 for the first 0.5 s, then 200: ready only once the health check passes.
        let server = """
        import http.server, time
        t0 = time.time()
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                up = time.time() - t0 > 0.5
                self.send_response(200 if up else 503); self.end_headers()
                self.wfile.write(b'up' if up else b'down')
            def log_message(self, *a): pass
        http.server.HTTPServer(('127.0.0.1', 9000), H).serve_forever()
        """
        let client = "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:9000/health').read().decode())"
        var req = SandboxTest.request(["python3", "-c", client])
        req.services = [ServicePlan(name: "health", command: ["python3", "-c", server], ready: .http(url: "http://localhost:9000/health"), readyTimeout: 10)]
        let r = try Sandbox.run(req)
        XCTAssertEqual(r.outcome, .ok, r.detail ?? "")
        XCTAssertEqual(SandboxTest.stdout(req).trimmingCharacters(in: .whitespacesAndNewlines), "up")
    }

    func testNeverReadyServiceFailsTheRunWithinItsTimeout() throws {
        var req = SandboxTest.request(["sh", "-c", "echo the workload ran > ran.txt"])
        req.services = [ServicePlan(name: "sleeper", command: ["sleep", "31.7"], ready: .tcp(port: 8080), readyTimeout: 1)]
        let t0 = Monotonic.now
        let r = try Sandbox.run(req)
        let took = Monotonic.now - t0
        XCTAssertEqual(r.outcome, .error)
        let d = r.detail ?? ""
        XCTAssertTrue(d.hasPrefix("service \"sleeper\" was not ready within 1s (tcp 127.0.0.1:8080: connection refused)"), d)
        XCTAssertGreaterThanOrEqual(took, 1)
        XCTAssertLessThan(took, 2.5)
        XCTAssertFalse(FileManager.default.fileExists(atPath: req.cwd + "/ran.txt"), "the workload must not run")
        XCTAssertNil(r.metrics["wall_time"])
        XCTAssertEqual(r.services["sleeper"]?.outcome, .error)
        SandboxTest.assertNothingLeft(marker: "31.7")
    }

    func testServiceExitingAtOnceFailsTheRun() throws {
        var req = SandboxTest.request(["true"])
        req.services = [ServicePlan(name: "crash", command: ["sh", "-c", "echo cannot bind port >&2; exit 1"], ready: .tcp(port: 80), readyTimeout: 10)]
        let t0 = Monotonic.now
        let r = try Sandbox.run(req)
        XCTAssertEqual(r.outcome, .error)
        XCTAssertEqual(r.detail, "service \"crash\" exited with code 1 before it was ready; its stderr ends: cannot bind port")
        XCTAssertLessThan(Monotonic.now - t0, 2)
        XCTAssertEqual(try String(contentsOfFile: req.outputDirectory + "/svc-crash.stderr.txt", encoding: .utf8), "cannot bind port\n")
    }

    func testServiceThatCannotExecFailsTheRun() throws {
        var req = SandboxTest.request(["true"])
        req.services = [ServicePlan(name: "ghost", command: ["/nonexistent/server"], ready: .tcp(port: 80), readyTimeout: 5)]
        let r = try Sandbox.run(req)
        XCTAssertEqual(r.outcome, .error)
        XCTAssertEqual(r.detail, "service \"ghost\": execve /nonexistent/server: No such file or directory (ENOENT)")
    }

    func testServiceDyingDuringTheWorkloadFailsTheRunAndStopsTheWorkload() throws {
        var req = SandboxTest.request(["sleep", "27.3"])
        req.services = [ServicePlan(name: "flaky", command: ["sh", "-c", "echo up; sleep 0.4; echo crashed >&2; exit 3"], ready: .log(regex: "up"), readyTimeout: 5)]
        let t0 = Monotonic.now
        let r = try Sandbox.run(req)
        XCTAssertEqual(r.outcome, .error)
        XCTAssertEqual(r.detail, "service \"flaky\" exited with code 3 while the workload was running; its stderr ends: crashed; the workload was stopped")
        XCTAssertLessThan(Monotonic.now - t0, 5)
        XCTAssertEqual(r.services["flaky"]?.outcome, .error)
        SandboxTest.assertNothingLeft(marker: "27.3")
    }

    func testServiceIgnoringSIGTERMIsKilledAfterKillGraceWithItsChildren() throws {
        // Ignores SIGTERM and leaves a detached grandchild behind: both must die with the run.
        let server = """
        import signal, subprocess, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        subprocess.Popen(['sh', '-c', 'sleep 44.4 & exit 0'], start_new_session=True)
        print('READY', flush=True)
        while True: time.sleep(1)
        """
        var req = SandboxTest.request(["sh", "-c", "sleep 0.2"], killGrace: 0.5)
        req.services = [ServicePlan(name: "stubborn", command: ["python3", "-c", server], ready: .log(regex: "^READY"), readyTimeout: 10)]
        let t0 = Monotonic.now
        let r = try Sandbox.run(req)
        let took = Monotonic.now - t0
        XCTAssertEqual(r.outcome, .ok, r.detail ?? "")
        XCTAssertEqual(r.services["stubborn"]?.detail, "did not stop within 500ms of SIGTERM: SIGKILL")
        XCTAssertGreaterThan(took, 0.7)
        XCTAssertLessThan(took, 4)
        // wall_time is the workload's own (≈0.2 s), not stretched by the services' stop.
        XCTAssertLessThan(try XCTUnwrap(r.metrics["wall_time"]), 0.5)
        SandboxTest.assertNothingLeft(marker: "44.4")
    }

    func testTwoServices() throws {
        var req = SandboxTest.request(fetcher(["http://127.0.0.1:8001/", "http://127.0.0.1:8002/"], times: 5))
        req.services = [httpServer("one", port: 8001), httpServer("two", port: 8002, ready: .tcp(port: 8002))]
        let r = try Sandbox.run(req)
        XCTAssertEqual(r.outcome, .ok, r.detail ?? "")
        XCTAssertEqual(SandboxTest.stdout(req).trimmingCharacters(in: .whitespacesAndNewlines), "ok 10")
        XCTAssertEqual(Set(r.services.keys), ["one", "two"])
        for name in ["one", "two"] {
            XCTAssertGreaterThan(r.services[name]?.metrics["memory_peak"] ?? 0, 5e6, name)
            XCTAssertGreaterThan(r.services[name]?.metrics["cpu_time"] ?? 0, 0, name)
        }
    }

    func testServiceFiguresAreOwnAndSeparateFromTheWorkload() throws {
        // The service burns ~0.3 s of CPU, the workload almost none: each leaf counts its own.
        let server = "import time\nt=time.process_time()\nwhile time.process_time()-t < 0.3: pass\nprint('READY', flush=True)\ntime.sleep(60)"
        var req = SandboxTest.request(["sleep", "0.1"])
        req.services = [ServicePlan(name: "burner", command: ["python3", "-c", server], ready: .log(regex: "READY"), readyTimeout: 10)]
        let obs = CounterObserver()
        let r = try Sandbox.run(req, observer: obs)
        XCTAssertEqual(r.outcome, .ok, r.detail ?? "")
        let svcCPU = try XCTUnwrap(r.services["burner"]?.metrics["cpu_time"])
        XCTAssertGreaterThan(svcCPU, 0.3)
        XCTAssertLessThan(svcCPU, 1.5)
        XCTAssertLessThan(try XCTUnwrap(r.metrics["cpu_time"]), 0.2, "the workload's cpu_time must not include the service")
    }

    func testTearDownWhileAServiceIsStartingEndsTheRunAtOnce() throws {
        var req = SandboxTest.request(["true"])
        req.services = [ServicePlan(name: "slow", command: ["sleep", "38.8"], ready: .tcp(port: 5432), readyTimeout: 20)]
        final class Result: @unchecked Sendable { var record: RunRecord? }   // written before `done` is signalled
        let result = Result()
        let request = req
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread { result.record = try? Sandbox.run(request); done.signal() }
        usleep(500_000)
        let t0 = Monotonic.now
        Sandbox.tearDownAll()
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
        XCTAssertLessThan(Monotonic.now - t0, 1)
        XCTAssertEqual(result.record?.outcome, .killed, result.record?.detail ?? "")
        SandboxTest.assertNothingLeft(marker: "38.8")
    }
}
