import XCTest
@testable import CleanroomKit

final class ConfigLoaderTests: XCTestCase {
    private let full = """
    {
      "$schema": "docs/slo.schema.json",
      "version": 1,
      "defaults": {
        "repeat": 4, "warmup": 1, "timeout": "2m", "sampling": "100ms", "kill_grace": "500ms",
        "output_limit": "1MiB", "noise": "off",
        "limits":  { "memory": "1GiB", "cpus": 1.5, "pids": 512, "disk_read_rate": "20MB/s" },
        "sandbox": { "network": "none", "seccomp": "strict", "filesystem": "readonly" }
      },
      "workloads": [
        { "name": "build", "command": ["swift", "build"], "cwd": "sub/../pkg", "env": {"A": "1"},
          "prepare": ["rm", "-rf", ".build"], "setup": ["mkdir", "-p", "x"], "teardown": ["rm", "-rf", "x"],
          "repeat": 2, "max_repeat": 5, "timeout": null, "expect_exit": 3, "noise": "on",
          "limits": { "memory": 536870912 }, "sandbox": { "network": "host" } },
        { "name": "api-bench", "command": ["./bench"], "cwd": "/abs/dir", "warmup": 0, "timeout": 90,
          "services": [
            { "name": "api", "command": ["./server"], "ready": { "http": "http://127.0.0.1:8080/health" },
              "ready_timeout": "10s", "env": {"PORT": "8080"}, "cwd": "srv" },
            { "name": "db", "command": ["./db"], "ready": { "tcp": 5432 } },
            { "name": "log", "command": ["./x"], "ready": { "log": "listening on [0-9]+" } } ] }
      ],
      "slos": [
        { "name": "Build", "workload": "build", "objective": "max(wall_time) <= 15s" },
        { "name": "Mem", "workload": "*", "objective": "max(memory_peak) <= 100MB", "level": "warn", "noise": "on" },
        { "name": "Api", "workload": "api-bench", "objective": "p99.9(svc.api.memory_peak) < 64MiB" }
      ],
      "alerts": { "webhooks": [
        { "url_env": "HOOK", "format": "slack", "secret_env": "SECRET", "on": ["fail", "inconclusive"] },
        { "url_env": "HOOK2" } ] }
    }
    """

    func testEveryKeyIsDecodedIntoThePlan() throws {
        let plan = try ConfigTestSupport.load(full).get()
        XCTAssertEqual(plan.source, "slo.json")
        XCTAssertEqual(plan.workloads.map(\.name), ["build", "api-bench"])
        let b = plan.workloads[0]
        XCTAssertEqual(b.command, ["swift", "build"])
        XCTAssertEqual(b.cwd, ConfigTestSupport.base + "/pkg")
        XCTAssertEqual(b.env, ["A": "1"])
        XCTAssertEqual(b.prepare, ["rm", "-rf", ".build"])
        XCTAssertEqual(b.setup, ["mkdir", "-p", "x"])
        XCTAssertEqual(b.teardown, ["rm", "-rf", "x"])
        XCTAssertEqual(b.repeatCount, 2)          // workload over defaults
        XCTAssertEqual(b.warmup, 1)               // from defaults
        XCTAssertEqual(b.maxRepeat, 5)
        XCTAssertNil(b.timeout)                   // null = no timeout
        XCTAssertEqual(b.killGrace, 0.5)
        XCTAssertEqual(b.outputLimit, 1_048_576)
        XCTAssertEqual(b.sampling, 0.1)
        XCTAssertTrue(b.noise)                    // "on" on the workload beats "off" in defaults
        XCTAssertEqual(b.expectExit, 3)
        // Limits merge key by key.
        XCTAssertEqual(b.limits, Limits(memory: 536_870_912, cpus: 1.5, pids: 512, diskReadRate: 20_000_000))
        XCTAssertEqual(b.sandbox, SandboxSettings(network: .host, seccomp: .strict, filesystem: .readonly))

        let a = plan.workloads[1]
        XCTAssertEqual(a.cwd, "/abs/dir")
        XCTAssertEqual(a.repeatCount, 4)
        XCTAssertEqual(a.warmup, 0)
        XCTAssertEqual(a.maxRepeat, 12)           // 3 × repeat
        XCTAssertEqual(a.timeout, 90)
        XCTAssertFalse(a.noise)
        XCTAssertEqual(a.limits.memory, 1_073_741_824)
        XCTAssertEqual(a.services, [
            ServicePlan(name: "api", command: ["./server"], ready: .http(url: "http://127.0.0.1:8080/health"), readyTimeout: 10,
                        env: ["PORT": "8080"], cwd: ConfigTestSupport.base + "/srv"),
            ServicePlan(name: "db", command: ["./db"], ready: .tcp(port: 5432)),
            ServicePlan(name: "log", command: ["./x"], ready: .log(regex: "listening on [0-9]+")),
        ])

        XCTAssertEqual(plan.slos.count, 3)
        XCTAssertEqual(plan.slos[0].objective.threshold, .absolute(15))
        XCTAssertEqual(plan.slos[0].level, .error)
        XCTAssertFalse(plan.slos[0].noise)        // defaults.noise "off"
        XCTAssertEqual(plan.slos[1].workload, "*")
        XCTAssertEqual(plan.slos[1].level, .warn)
        XCTAssertTrue(plan.slos[1].noise)
        XCTAssertEqual(plan.slos[2].objective.aggregate, .percentile(99.9))
        XCTAssertEqual(plan.slos[2].objective.metric, .service("api", .memoryPeak))
        XCTAssertEqual(plan.slos[2].objective.threshold, .absolute(67_108_864))

        XCTAssertEqual(plan.webhooks, [WebhookPlan(urlEnv: "HOOK", format: .slack, secretEnv: "SECRET", on: [.fail, .inconclusive]),
                                       WebhookPlan(urlEnv: "HOOK2", format: .json, secretEnv: nil, on: [.fail])])
    }

    func testBuiltinDefaults() throws {
        let plan = try ConfigTestSupport.load(ConfigTestSupport.config()).get()
        let w = plan.workloads[0]
        XCTAssertEqual(w.repeatCount, 3); XCTAssertEqual(w.warmup, 0); XCTAssertEqual(w.maxRepeat, 9)
        XCTAssertEqual(w.timeout, 300); XCTAssertEqual(w.killGrace, 2); XCTAssertEqual(w.sampling, 0.05)
        XCTAssertEqual(w.outputLimit, 16 << 20); XCTAssertTrue(w.noise); XCTAssertEqual(w.expectExit, 0)
        XCTAssertEqual(w.cwd, ConfigTestSupport.base)
        XCTAssertEqual(w.limits, Limits()); XCTAssertEqual(w.sandbox, SandboxSettings())
    }

    func testCommandLineOverridesBeatWorkloadAndDefaults() throws {
        let plan = try ConfigTestSupport.load(full, overrides: ConfigOverrides(repeat: 7, warmup: 2)).get()
        XCTAssertEqual(plan.workloads.map(\.repeatCount), [7, 7])
        XCTAssertEqual(plan.workloads.map(\.warmup), [2, 2])
        // An explicit max_repeat below the new repeat is raised; an implicit one is 3 × repeat.
        XCTAssertEqual(plan.workloads.map(\.maxRepeat), [7, 21])
    }

    func testBadOverridesAreDiagnostics() {
        guard case .failure(let e) = ConfigTestSupport.load(full, overrides: ConfigOverrides(repeat: 0, warmup: -1)) else { return XCTFail() }
        XCTAssertEqual(e.diagnostics.map(\.path), ["--repeat", "--warmup"])
    }

    func testEveryErrorIsReportedInOnePass() {
        let text = """
        {"version": 1, "defaults": {"repat": 3},
         "workloads": [{"name": "w", "command": ["true"], "timeout": "5 minutes", "limits": {"memory": "1 GB/s"}}],
         "slos": [{"name": "a", "workload": "x", "objective": "max(wall_time) <= 1 hour"},
                  {"name": "b", "workload": "w", "objective": "max(memory_peak) <= 10s", "level": "fatal"}]}
        """
        let d = ConfigTestSupport.diagnostics(text)
        XCTAssertEqual(d.map(\.path), ["defaults.repat", "workloads[0].timeout", "workloads[0].limits.memory",
                                       "slos[0].workload", "slos[0].objective", "slos[1].objective", "slos[1].level"])
        XCTAssertEqual(d.map { $0.line! }, [1, 2, 2, 3, 3, 4, 4])
    }

    func testRenderingTextAndJSON() {
        let slos = "[{\"name\": \"a\", \"workload\": \"w\", \"objective\": \"p99(custom.x) < 10 milliseconds\"}]"
        let source = ConfigTestSupport.config(slos: slos)
        guard case .failure(let e) = ConfigTestSupport.load(source) else { return XCTFail() }
        // Ground truth: where "milliseconds" really stands in the file.
        let lines = source.components(separatedBy: "\n")
        let lineIndex = lines.firstIndex { $0.contains("milliseconds") }!
        let column = lines[lineIndex].distance(from: lines[lineIndex].startIndex, to: lines[lineIndex].range(of: "milliseconds")!.lowerBound) + 1
        XCTAssertEqual(lineIndex + 1, 2)
        let text = e.renderText().components(separatedBy: "\n")
        XCTAssertEqual(text[0], "slo.json:2:\(column): slos[0].objective: \"p99(custom.x) < 10 milliseconds\": unknown unit \"milliseconds\" (try 10ms)")
        XCTAssertEqual(text[1], "    p99(custom.x) < 10 milliseconds")
        XCTAssertEqual(text[2], "                       ^")
        XCTAssertEqual(text.last, "slo.json: 1 error")
        let json = try! JSONSerialization.jsonObject(with: Data(e.renderJSON().utf8)) as! [[String: Any]]
        XCTAssertEqual(json.count, 1)
        XCTAssertEqual(json[0]["path"] as? String, "slos[0].objective")
        XCTAssertEqual(json[0]["hint"] as? String, "try 10ms")
        XCTAssertEqual(json[0]["line"] as? Int, 2)
        XCTAssertEqual(json[0]["column"] as? Int, column)
        XCTAssertEqual(json[0]["file"] as? String, "slo.json")
    }

    func testFileErrors() throws {
        let dir = NSTemporaryDirectory() + "cleanroom-loader-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func message(_ path: String) -> String? {
            if case .failure(let e) = ConfigLoader.load(path: path) { return e.diagnostics.first?.message }
            return nil
        }
        XCTAssertEqual(message(dir + "/nope.json"), "no such file")
        XCTAssertEqual(message(dir), "is a directory")
        FileManager.default.createFile(atPath: dir + "/empty.json", contents: Data())
        XCTAssertEqual(message(dir + "/empty.json"), "the file is empty")
        FileManager.default.createFile(atPath: dir + "/locked.json", contents: Data("{}".utf8), attributes: [.posixPermissions: 0o000])
        if getuid() != 0 { XCTAssertTrue(message(dir + "/locked.json")?.hasPrefix("cannot read the file") ?? false) }
        // Relative paths in the file resolve against the file's own directory, not the process's.
        FileManager.default.createFile(atPath: dir + "/ok.json", contents: Data(ConfigTestSupport.config(workload: "\"cwd\": \"a/b\"").utf8))
        let plan = try ConfigLoader.load(path: dir + "/ok.json").get()
        XCTAssertEqual(plan.workloads[0].cwd, URL(fileURLWithPath: dir + "/a/b").standardizedFileURL.path)
        XCTAssertEqual(plan.source, dir + "/ok.json")
    }

    func testSeccompProfilePathResolvesAndMustExist() throws {
        let dir = NSTemporaryDirectory() + "cleanroom-seccomp-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        FileManager.default.createFile(atPath: dir + "/profile.json", contents: Data("{}".utf8))
        let cfg = ConfigTestSupport.config(workload: "\"sandbox\": {\"seccomp\": \"./profile.json\"}")
        let plan = try ConfigLoader.load(data: Data(cfg.utf8), baseDirectory: dir).get()
        XCTAssertEqual(plan.workloads[0].sandbox.seccomp, .profile(path: URL(fileURLWithPath: dir + "/profile.json").standardizedFileURL.path))
        let missing = ConfigLoader.load(data: Data(cfg.replacingOccurrences(of: "profile.json", with: "gone.json").utf8), baseDirectory: dir)
        guard case .failure(let e) = missing else { return XCTFail() }
        XCTAssertTrue(e.diagnostics[0].message.hasPrefix("seccomp profile not found"))
    }

    func testTopLevelExampleLoadsCleanly() throws {
        let path = TestFixtures.repoRoot.appendingPathComponent("slo.json").path
        switch ConfigLoader.load(path: path) {
        case .success(let plan):
            XCTAssertGreaterThanOrEqual(plan.workloads.count, 2)
            XCTAssertGreaterThanOrEqual(plan.slos.count, 3)
        case .failure(let e):
            XCTFail(e.renderText())
        }
    }
}
