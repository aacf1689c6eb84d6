import XCTest
@testable import CleanroomKit

/// Each malformed config must be refused with the right JSON path and a hint a user can act on.
final class MalformedConfigTests: XCTestCase {
    private typealias C = ConfigTestSupport

    private struct Case {
        let config: String
        let path: String
        let hint: String
        let message: String
        init(_ config: String, _ path: String, _ hint: String, _ message: String = "", line: UInt = #line) {
            self.config = config; self.path = path; self.hint = hint; self.message = message
        }
    }

    private let cases: [Case] = [
        Case(C.config(extra: "\"defaults\": {\"repat\": 3}"), "defaults.repat", "did you mean \"repeat\"?", "unknown key \"repat\""),
        Case(C.config(workload: "\"timout\": \"5s\""), "workloads[0].timout", "did you mean \"timeout\"?"),
        Case(C.config(workload: "\"cmd\": [\"x\"]"), "workloads[0].cmd", "did you mean \"command\"?"),
        Case(C.config(workload: "\"memory\": \"1GiB\""), "workloads[0].memory", "memory goes in \"limits\": { \"memory\": ... }"),
        Case(C.config(workload: "\"network\": \"host\""), "workloads[0].network", "network goes in \"sandbox\": { \"network\": ... }"),
        Case(C.config(extra: "\"repeat\": 3"), "repeat", "repeat goes in \"defaults\" or on a workload"),
        Case(C.config(workload: "\"timeout\": \"5 minutes\""), "workloads[0].timeout", "try 5m", "unknown unit \"minutes\""),
        Case(C.config(workload: "\"timeout\": \"1GB\""), "workloads[0].timeout", "e.g. 250ms, 1.5s, 2m", "is a size, expected a duration"),
        Case(C.config(workload: "\"limits\": {\"memory\": \"1 GB/s\"}"), "workloads[0].limits.memory", "e.g. 512MiB, 2GB"),
        Case(C.config(workload: "\"limits\": {\"memory\": 512}"), "workloads[0].limits.memory", "a bare number is bytes: did you mean \"512MiB\"? It must be at least 1MiB"),
        Case(C.config(workload: "\"limits\": {\"disk_read_rate\": \"20MB\"}"), "workloads[0].limits.disk_read_rate", "e.g. 20MB/s"),
        Case(C.config(workload: "\"limits\": {\"cpus\": \"1.5\"}"), "workloads[0].limits.cpus", "write 1.5 without quotes"),
        Case(C.config(workload: "\"repeat\": \"3\""), "workloads[0].repeat", "write 3 without quotes"),
        Case(C.config(workload: "\"repeat\": 0"), "workloads[0].repeat", "must be between 1 and 100000"),
        Case(C.config(workload: "\"repeat\": 2.5"), "workloads[0].repeat", "e.g. 1"),
        Case(C.config(workload: "\"repeat\": 4, \"max_repeat\": 2"), "workloads[0].max_repeat", "max_repeat counts all measured runs, so it must be at least repeat"),
        Case("{\"workloads\": [{\"name\": \"w\", \"command\": \"swift build\"}]}", "workloads[0].command", "write [\"swift\", \"build\"]; for shell syntax use [\"sh\", \"-c\", \"...\"]"),
        Case("{\"workloads\": [{\"name\": \"w\", \"command\": []}]}", "workloads[0].command", "e.g. [\"swift\", \"build\"]", "the command is empty"),
        Case("{\"workloads\": [{\"name\": \"w\"}]}", "workloads[0].command", "e.g. \"command\": [\"swift\", \"build\"]", "missing key \"command\""),
        Case("{\"workloads\": [{\"command\": [\"x\"]}]}", "workloads[0].name", "e.g. \"name\": \"build\"", "missing key \"name\""),
        Case("{\"version\": 1}", "workloads", "add \"workloads\": [{\"name\": \"build\", \"command\": [\"swift\", \"build\"]}]"),
        Case("{\"workloads\": []}", "workloads", "add one, e.g. {\"name\": \"build\", \"command\": [\"swift\", \"build\"]}"),
        Case("{\"version\": 2, \"workloads\": [{\"name\": \"w\", \"command\": [\"x\"]}]}", "version", "this cleanroom reads version 1"),
        Case("[1, 2]", "", "a config is a JSON object: {\"version\": 1, \"workloads\": [...]}", "expected an object, found an array"),
        Case("{\"workloads\": [{\"name\": \"w\", \"command\": [\"x\"]}, {\"name\": \"w\", \"command\": [\"y\"]}]}", "workloads[1].name", "first defined at line 1; names must be unique"),
        Case(C.config(workload: "\"env\": {\"DEBUG\": 1}"), "workloads[0].env.DEBUG", "write \"1\""),
        Case(C.config(workload: "\"expect_exit\": 300"), "workloads[0].expect_exit", "must be between 0 and 255"),
        Case(C.config(workload: "\"noise\": false"), "workloads[0].noise", "write \"off\""),
        Case(C.config(workload: "\"sandbox\": {\"filesystem\": \"private_tmp\"}"), "workloads[0].sandbox.filesystem", "did you mean \"private-tmp\"?"),
        Case(C.config(workload: "\"sandbox\": {\"seccomp\": \"defualt\"}"), "workloads[0].sandbox.seccomp", "did you mean \"default\"?"),
        Case(C.config(workload: "\"sandbox\": {\"network\": \"bridge\"}"), "workloads[0].sandbox.network", "one of: none, host"),
        Case(C.config(workload: "\"services\": [{\"name\": \"api\", \"command\": [\"s\"]}]"), "workloads[0].services[0].ready",
             "how to tell the service is up: {\"tcp\": 8080}, {\"http\": \"http://127.0.0.1:8080/health\"} or {\"log\": \"listening\"}"),
        Case(C.config(workload: "\"services\": [{\"name\": \"api\", \"command\": [\"s\"], \"ready\": {\"tcp\": 8080, \"log\": \"x\"}}]"),
             "workloads[0].services[0].ready", "one of {\"tcp\": PORT}, {\"http\": \"URL\"}, {\"log\": \"REGEX\"}"),
        Case(C.config(workload: "\"services\": [{\"name\": \"api\", \"command\": [\"s\"], \"ready\": {\"tcp\": 70000}}]"),
             "workloads[0].services[0].ready.tcp", "must be between 1 and 65535"),
        Case(C.config(workload: "\"services\": [{\"name\": \"api\", \"command\": [\"s\"], \"ready\": {\"http\": \"localhost:8080\"}}]"),
             "workloads[0].services[0].ready.http", "e.g. \"http://127.0.0.1:8080/health\""),
        Case(C.config(workload: "\"services\": [{\"name\": \"api\", \"command\": [\"s\"], \"ready\": {\"log\": \"([a-z\"}}]"),
             "workloads[0].services[0].ready.log", "ICU regex syntax; escape ( [ . * + ? with \\\\"),
        Case(C.config(slos: "[{\"name\": \"a\", \"workload\": \"ww\", \"objective\": \"max(wall_time) <= 1s\"}]"), "slos[0].workload", "did you mean \"w\"?"),
        Case(C.config(slos: "[{\"name\": \"a\", \"workload\": \"w\", \"objective\": \"max(memory_peak) <= 10s\"}]"), "slos[0].objective", "e.g. 512MiB, 2GB",
             "\"max(memory_peak) <= 10s\": 10s is a duration, but memory_peak is a size"),
        Case(C.config(slos: "[{\"name\": \"a\", \"workload\": \"w\", \"objective\": \"p99(latency) < 10ms\"}]"), "slos[0].objective",
             "metrics the workload reports itself are written custom.latency; see docs/slo.md for the built-in ones"),
        Case(C.config(slos: "[{\"name\": \"a\", \"workload\": \"w\", \"objective\": \"max(svc.api.memory_peak) < 10MB\"}]"), "slos[0].objective",
             "define it in workload \"w\"'s \"services\"", "workload \"w\" has no service \"api\""),
        Case(C.config(slos: "[{\"name\": \"a\", \"workload\": \"w\", \"objective\": \"max(wall_time) <= baseline ± 5%\"}]"), "slos[0].objective",
             "write baseline + N% for an upper bound or baseline - N% for a lower one"),
        Case(C.config(slos: "[{\"name\": \"a\", \"workload\": \"w\", \"objective\": \"max(wall_time) <= 1s\", \"level\": \"warning\"}]"), "slos[0].level", "did you mean \"warn\"?"),
        Case(C.config(slos: "[{\"name\": \"a\", \"workload\": \"w\", \"objective\": \"max(wall_time) <= 1s\"}, {\"name\": \"a\", \"workload\": \"w\", \"objective\": \"max(wall_time) <= 2s\"}]"),
             "slos[1].name", "already used by slos[0]; names must be unique"),
        Case(C.config(slos: "[{\"name\": \"a\", \"workload\": \"w\", \"metric\": \"wall_time\"}]"), "slos[0].metric",
             "write the whole objective as \"objective\": \"max(wall_time) <= 15s\""),
        Case(C.config(extra: "\"alerts\": {\"webhooks\": [{\"url_env\": \"https://hooks.example.com/x\"}]}"), "alerts.webhooks[0].url_env",
             "put the URL in an environment variable and name it here, e.g. \"CLEANROOM_WEBHOOK_URL\", so it stays out of files and logs"),
        Case(C.config(extra: "\"alerts\": {\"webhooks\": [{\"url_env\": \"H\", \"on\": [\"failed\"]}]}"), "alerts.webhooks[0].on[0]", "did you mean \"fail\"?"),
        Case(C.config(extra: "\"alerts\": {\"webhooks\": [{\"url_env\": \"H\", \"format\": \"teams\"}]}"), "alerts.webhooks[0].format", "one of: json, slack"),
        Case(C.config(extra: "\"alerts\": {\"webhooks\": [{\"url\": \"H\"}]}"), "alerts.webhooks[0].url", "did you mean \"url_env\"?"),
        Case("{\"workloads\": [{\"name\": \"w\", \"command\": [\"x\"], \"repeat\": 1, \"repeat\": 2}]}", "workloads[0].repeat", "first set at line 1, column 48; keep one", "duplicate key \"repeat\""),
        Case("{\"workloads\": [{\"name\": \"w\", \"command\": [\"x\"],}]}", "workloads[0]", "remove the last comma", "trailing comma before '}'"),
    ]

    func testEachMalformedConfigGivesPathAndHint() {
        XCTAssertGreaterThanOrEqual(cases.count, 25)
        for c in cases {
            let d = C.diagnostics(c.config)
            guard let hit = d.first(where: { $0.path == c.path }) else {
                XCTFail("no diagnostic at \(c.path) for \(c.config); got \(d.map(\.description))"); continue
            }
            XCTAssertEqual(hit.hint, c.hint, c.path)
            if !c.message.isEmpty { XCTAssertTrue(hit.message.contains(c.message), "\(c.path): \(hit.message)") }
            XCTAssertNotNil(hit.line, c.path)
            XCTAssertNotNil(hit.column, c.path)
        }
    }

    /// The loader is strict: a fix for one error must not be needed to see the next.
    func testTheLargeMixedConfigReportsEveryError() {
        let text = try! String(contentsOf: TestFixtures.repoRoot.appendingPathComponent("Fixtures/configs/many-errors.json"))
        let d = C.diagnostics(text)
        XCTAssertEqual(Set(d.map(\.path)), [
            "defaults.repat", "defaults.timeout", "defaults.memory", "workloads[0].command", "slos[1].workload",
            "slos[1].objective", "slos[2].objective", "slos[3].objective", "slos[4].objective", "slos[4].level",
            "alerts.webhooks[0].url_env", "alerts.webhooks[0].on[1]",
        ])
        // Two errors in one objective: the metric and the unit.
        XCTAssertEqual(d.filter { $0.path == "slos[2].objective" }.count, 2)
    }

    func testGoodExampleConfigsLoad() throws {
        let dir = TestFixtures.repoRoot.appendingPathComponent("Fixtures/configs")
        for name in ["minimal.json", "services.json"] {
            if case .failure(let e) = ConfigLoader.load(path: dir.appendingPathComponent(name).path) { XCTFail(e.renderText()) }
        }
    }
}
