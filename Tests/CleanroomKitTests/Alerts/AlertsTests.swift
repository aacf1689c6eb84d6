import XCTest
@testable import CleanroomKit
@testable import WebhookSender

/// Alerts against a real HTTP server on 127.0.0.1.
final class AlertsTests: XCTestCase {
    // Material that must never leave the process except in the request itself.
    static let pathSecret = "T000PATHSECRET/B000XYZ"
    static let querySecret = "QUERYSECRET42"
    static let secret = "s3cr3t-HMAC-key-\u{e9}"

    var servers: [LoopbackHTTPServer] = []

    override func tearDown() {
        for s in servers { s.stop() }
        servers = []
        super.tearDown()
    }

    func server(_ statuses: [Int], delay: TimeInterval = 0) throws -> LoopbackHTTPServer {
        let s = LoopbackHTTPServer(statuses: statuses, delay: delay)
        try s.start()
        servers.append(s)
        return s
    }

    func secretURL(_ base: String) -> String { "\(base)/hooks/\(Self.pathSecret)?token=\(Self.querySecret)" }

    static func sampleReport(verdict: Verdict = .fail) -> Report {
        let slos = [
            ObjectiveResult(name: "FirstBuild", workload: "build", objective: "max(wall_time) <= 15s", level: .error,
                            observed: 16.5, threshold: 15, unit: "s", status: .fail, margin: -0.1),
            ObjectiveResult(name: "Latency", workload: "api", objective: "p99(custom.latency) < 10ms", level: .error,
                            observed: 0.0099, threshold: 0.01, unit: "s", status: .inconclusive, ci: [0.009, 0.011],
                            reason: "95% CI straddles the threshold"),
            ObjectiveResult(name: "Memory", workload: "build", objective: "max(memory_peak) <= 100MB", level: .error,
                            observed: 5e7, threshold: 1e8, unit: "B", status: .pass, margin: 0.5),
            ObjectiveResult(name: "NoRegression", workload: "build", objective: "median(wall_time) <= baseline + 10%",
                            level: .warn, observed: 16, threshold: nil, unit: "s", status: .noData, reason: "no baseline"),
        ]
        let workloads = [
            WorkloadReport(name: "build", command: ["make"], runs: [RunRecord(index: 1, outcome: .ok, exitCode: 0),
                                                                    RunRecord(index: 2, outcome: .timeout, signal: "SIGKILL")]),
            WorkloadReport(name: "api", command: ["bench"], runs: [RunRecord(index: 1, outcome: .ok, exitCode: 0)]),
        ]
        return Report(verdict: verdict, startedAt: "2026-11-22T10:00:00Z", finishedAt: "2026-11-22T10:01:00Z",
                      host: HostInfo(kernel: "6.1.0-test", cpus: 2, cgroup: "v2"), workloads: workloads, slos: slos,
                      labels: ["branch": "main", "commit": "abc123"], shard: "1/2")
    }

    func send(_ report: Report, _ hooks: [WebhookPlan], env: [String: String],
              policy: AlertPolicy = .default) -> (results: [AlertResult], seconds: Double) {
        let t0 = Date()
        let r = Alerts.send(report: report, webhooks: hooks, htmlReportPath: "/ci/out/report.html",
                            environment: env, hostname: "ci-runner-7", policy: policy)
        return (r, Date().timeIntervalSince(t0))
    }

    // MARK: json

    func testJSONDeliveredOnceWithSignatureVerifiedIndependently() throws {
        let s = try server([200])
        let hook = WebhookPlan(urlEnv: "CLEANROOM_WEBHOOK_URL", format: .json, secretEnv: "CLEANROOM_WEBHOOK_SECRET", on: [.fail])
        let report = Self.sampleReport()
        let (results, _) = send(report, [hook], env: ["CLEANROOM_WEBHOOK_URL": secretURL(s.url),
                                                      "CLEANROOM_WEBHOOK_SECRET": Self.secret])

        XCTAssertEqual(results, [AlertResult(target: "127.0.0.1:\(s.port)", format: "json", status: "delivered", attempts: 1,
                                             httpStatus: 200)])
        XCTAssertEqual(s.requests.count, 1)
        let req = try XCTUnwrap(s.requests.first)
        XCTAssertEqual(req.method, "POST")
        XCTAssertEqual(req.target, "/hooks/\(Self.pathSecret)?token=\(Self.querySecret)")
        XCTAssertEqual(req.headers["content-type"], "application/json")

        // The signature, recomputed by Python's hmac over the bytes the server received.
        let header = try XCTUnwrap(req.headers["x-cleanroom-signature-256"])
        XCTAssertEqual(header, "sha256=" + (try pythonHMAC(key: Self.secret, body: req.body)))
        XCTAssertTrue(header.range(of: "^sha256=[0-9a-f]{64}$", options: .regularExpression) != nil)

        // The payload carries the report's facts.
        let payload = try JSONDecoder().decode(AlertPayload.self, from: req.body)
        XCTAssertEqual(payload.schema, "cleanroom/alert@1")
        XCTAssertEqual(payload.verdict, .fail)
        XCTAssertEqual(payload.exitCode, 1)
        XCTAssertEqual(payload.startedAt, report.startedAt)
        XCTAssertEqual(payload.finishedAt, report.finishedAt)
        XCTAssertEqual(payload.labels, ["branch": "main", "commit": "abc123"])
        XCTAssertEqual(payload.shard, "1/2")
        XCTAssertEqual(payload.objectives, report.slos)
        XCTAssertEqual(payload.counts, ["pass": 1, "fail": 1, "inconclusive": 1, "no_data": 1])
        XCTAssertEqual(payload.report.html, "/ci/out/report.html")
        XCTAssertEqual(payload.host.name, "ci-runner-7")
        XCTAssertEqual(payload.failedWorkloads.map(\.name), ["build"])
        XCTAssertEqual(payload.failedWorkloads.first?.outcomes, ["timeout": 1])
        XCTAssertEqual(payload.summary, "fail: 1 of 4 objectives failed, 1 inconclusive, 1 without data; workload build failed (1 timeout)")
        // Exact body bytes are what was signed: re-encoding gives the same bytes.
        XCTAssertEqual(try AlertPayload(report: report, htmlReportPath: "/ci/out/report.html", hostname: "ci-runner-7").encoded(), req.body)
    }

    func testSignatureMatchesRFC4231Vector() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        XCTAssertEqual(WebhookSignature.sign(body: Data("what do ya want for nothing?".utf8), secret: "Jefe"),
                       "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    func testUnsignedWithoutSecretEnv() throws {
        let s = try server([204])
        let (results, _) = send(Self.sampleReport(), [WebhookPlan(urlEnv: "HOOK", format: .json, on: [.fail])],
                                env: ["HOOK": s.url + "/x"])
        XCTAssertEqual(results.first?.status, "delivered")
        XCTAssertNil(s.requests.first?.headers["x-cleanroom-signature-256"])
    }

    // MARK: slack

    func testSlackBlocksShape() throws {
        let s = try server([200])
        let hook = WebhookPlan(urlEnv: "SLACK_WEBHOOK_URL", format: .slack, on: [.fail])
        let report = Self.sampleReport()
        let (results, _) = send(report, [hook], env: ["SLACK_WEBHOOK_URL": secretURL(s.url)])
        XCTAssertEqual(results.first?.status, "delivered")
        XCTAssertEqual(results.first?.format, "slack")
        let body = try XCTUnwrap(s.requests.first?.body)
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: body) as? [String: Any])
        XCTAssertTrue((obj["text"] as? String)?.hasPrefix("cleanroom fail:") ?? false)
        let blocks = try XCTUnwrap(obj["blocks"] as? [[String: Any]])
        let types = blocks.compactMap { $0["type"] as? String }
        // header, summary, one section per failed/inconclusive objective (2), one per failed workload (1), context.
        XCTAssertEqual(types, ["header", "section", "section", "section", "section", "context"])
        let header = try XCTUnwrap(blocks[0]["text"] as? [String: Any])
        XCTAssertEqual(header["type"] as? String, "plain_text")
        XCTAssertEqual(header["text"] as? String, "cleanroom: FAIL")
        let sectionTexts = blocks.filter { $0["type"] as? String == "section" }
            .compactMap { ($0["text"] as? [String: Any])?["text"] as? String }
        XCTAssertTrue(sectionTexts[1].contains("*FirstBuild*") && sectionTexts[1].contains("*FAIL*"), sectionTexts[1])
        XCTAssertTrue(sectionTexts[1].contains("&lt;= 15s"), "mrkdwn escapes <: \(sectionTexts[1])")
        XCTAssertTrue(sectionTexts[1].contains("observed 16.5s") && sectionTexts[1].contains("threshold 15s"), sectionTexts[1])
        XCTAssertTrue(sectionTexts[2].contains("*Latency*") && sectionTexts[2].contains("*INCONCLUSIVE*"), sectionTexts[2])
        XCTAssertTrue(sectionTexts[3].contains("workload build") && sectionTexts[3].contains("1 timeout"), sectionTexts[3])
        XCTAssertFalse(sectionTexts.joined().contains("Memory"), "passing objectives get no section")
        let ctx = try XCTUnwrap((blocks.last?["elements"] as? [[String: Any]])?.first?["text"] as? String)
        XCTAssertTrue(ctx.contains("ci-runner-7") && ctx.contains("branch=main") && ctx.contains("6.1.0-test"), ctx)
    }

    func testSlackFoldsSectionsBeyondTheBlockLimit() throws {
        var report = Self.sampleReport()
        report.slos = (1...60).map {
            ObjectiveResult(name: "O\($0)", workload: "w", objective: "max(wall_time) <= 1s", level: .error,
                            observed: 2, threshold: 1, unit: "s", status: .fail)
        }
        let msg = SlackMessage(report: report, hostname: "h")
        XCTAssertLessThanOrEqual(msg.blocks.count, 50)
        guard case .section(let last)? = msg.blocks.dropLast().last else { return XCTFail("no section") }
        // 1 summary + 60 objectives + 1 workload = 62 sections; 39 shown, the other 23 folded.
        XCTAssertEqual(last, "… and 23 more in the report")
    }

    // MARK: retries

    func testServerErrorThenOKIsDeliveredOnSecondAttempt() throws {
        let s = try server([500, 200])
        let (results, seconds) = send(Self.sampleReport(), [WebhookPlan(urlEnv: "U", on: [.fail])], env: ["U": s.url])
        XCTAssertEqual(results.first?.status, "delivered")
        XCTAssertEqual(results.first?.attempts, 2)
        XCTAssertNil(results.first?.error)
        XCTAssertEqual(s.requests.count, 2)
        XCTAssertEqual(s.requests[0].body, s.requests[1].body, "a retry resends the same body")
        XCTAssertGreaterThanOrEqual(seconds, 0.5, "0.5 s backoff before the retry")
    }

    func testAlwaysServerErrorFailsAfterBoundedAttempts() throws {
        let s = try server([503])
        let (results, seconds) = send(Self.sampleReport(), [WebhookPlan(urlEnv: "U", on: [.fail])], env: ["U": s.url])
        XCTAssertEqual(results.first?.status, "failed")
        XCTAssertEqual(results.first?.attempts, 3)
        XCTAssertEqual(results.first?.error, "HTTP 503")
        XCTAssertEqual(s.requests.count, 3)
        XCTAssertGreaterThanOrEqual(seconds, 1.5, "backoffs of 0.5 s and 1 s")
        XCTAssertLessThan(seconds, 10)
    }

    /// Dead webhooks are tried side by side: three of them cost one webhook's retries, not three.
    func testDeadWebhooksAreTriedConcurrently() throws {
        let s = try server([500])
        let hooks = ["A", "B", "C", "D"].map { WebhookPlan(urlEnv: $0, on: [.fail]) }
        let env = ["A": s.url + "/a", "B": s.url + "/b", "C": s.url + "/c", "D": s.url + "/d"]
        let (results, seconds) = send(Self.sampleReport(), hooks, env: env)
        XCTAssertEqual(results.map(\.attempts), [3, 3, 3, 3])
        XCTAssertEqual(s.requests.count, 12)
        XCTAssertLessThan(seconds, 2 * 1.5, "one webhook takes ≥ 1.5 s of backoff; four in sequence would take ≥ 6 s")
    }

    func testClientErrorIsNotRetried() throws {
        let s = try server([404])
        let (results, _) = send(Self.sampleReport(), [WebhookPlan(urlEnv: "U", on: [.fail])], env: ["U": s.url])
        XCTAssertEqual(results.first?.status, "failed")
        XCTAssertEqual(results.first?.attempts, 1)
        XCTAssertEqual(results.first?.error, "HTTP 404 (not retried)")
        XCTAssertEqual(s.requests.count, 1)
    }

    func testConnectionRefusedFails() {
        let port = LoopbackHTTPServer.deadPort()
        let (results, seconds) = send(Self.sampleReport(), [WebhookPlan(urlEnv: "U", on: [.fail])],
                                      env: ["U": "http://127.0.0.1:\(port)/hook"])
        XCTAssertEqual(results, [AlertResult(target: "127.0.0.1:\(port)", format: "json", status: "failed", attempts: 3,
                                             error: "connection refused")])
        XCTAssertLessThan(seconds, 10)
    }

    func testSlowServerTimesOutWithinTheBudget() throws {
        let s = try server([200], delay: 3)
        let policy = AlertPolicy(maxAttempts: 3, initialBackoff: 0.2, requestTimeout: 0.5, totalBudget: 2)
        let (results, seconds) = send(Self.sampleReport(), [WebhookPlan(urlEnv: "U", on: [.fail])],
                                      env: ["U": s.url], policy: policy)
        XCTAssertEqual(results.first?.status, "failed")
        XCTAssertTrue(results.first?.error?.hasPrefix("timed out") ?? false, results.first?.error ?? "nil")
        XCTAssertGreaterThanOrEqual(results.first?.attempts ?? 0, 2)
        // Budget 2 s, plus at most one request timeout's grace.
        XCTAssertLessThan(seconds, 3.6)
    }

    // MARK: selection and configuration

    func testOnlyWebhooksWhoseOnMatchTheVerdictAreSent() throws {
        let s = try server([200])
        let hooks = [WebhookPlan(urlEnv: "A", format: .json, on: [.fail, .inconclusive]),
                     WebhookPlan(urlEnv: "B", format: .slack, on: [.pass]),
                     WebhookPlan(urlEnv: "C", format: .json, on: [.pass, .error])]
        let env = ["A": s.url + "/a", "B": s.url + "/b", "C": s.url + "/c"]
        let (results, _) = send(Self.sampleReport(verdict: .pass), hooks, env: env)
        XCTAssertEqual(results.map(\.format), ["slack", "json"])
        XCTAssertEqual(results.map(\.status), ["delivered", "delivered"])
        XCTAssertEqual(Set(s.requests.map(\.target)), ["/b", "/c"])
        let (none, _) = send(Self.sampleReport(verdict: .interrupted), hooks, env: env)
        XCTAssertEqual(none, [])
        XCTAssertEqual(s.requests.count, 2)
    }

    func testMissingOrEmptyURLEnvIsAFailedAlertNamingTheVariable() {
        for env in [[:], ["CLEANROOM_WEBHOOK_URL": ""]] as [[String: String]] {
            let (results, _) = send(Self.sampleReport(), [WebhookPlan(urlEnv: "CLEANROOM_WEBHOOK_URL", on: [.fail])], env: env)
            XCTAssertEqual(results, [AlertResult(target: "$CLEANROOM_WEBHOOK_URL", format: "json", status: "failed",
                                                 attempts: 0, error: "CLEANROOM_WEBHOOK_URL is not set")])
        }
    }

    func testMissingSecretIsNotSentUnsigned() throws {
        let s = try server([200])
        let (results, _) = send(Self.sampleReport(), [WebhookPlan(urlEnv: "U", secretEnv: "SECRET", on: [.fail])],
                                env: ["U": s.url])
        XCTAssertEqual(results.first?.status, "failed")
        XCTAssertEqual(results.first?.error, "SECRET (secret_env) is not set: not sent unsigned")
        XCTAssertEqual(s.requests.count, 0)
    }

    func testInvalidURL() {
        let (results, _) = send(Self.sampleReport(), [WebhookPlan(urlEnv: "U", on: [.fail])], env: ["U": "ftp://x/y"])
        XCTAssertEqual(results.first?.status, "failed")
        XCTAssertEqual(results.first?.error, "U does not hold an http:// or https:// URL with a host")
    }

    func testTargetIsHostOnly() {
        XCTAssertEqual(WebhookTarget("https://hooks.slack.com/services/T0/B0/XXX")?.display, "hooks.slack.com")
        XCTAssertEqual(WebhookTarget("http://user:pw@127.0.0.1:8080/p?q=1")?.display, "127.0.0.1:8080")
        XCTAssertEqual(WebhookTarget("http://[::1]:9000/x")?.display, "[::1]:9000")
        XCTAssertNil(WebhookTarget("not a url"))
        XCTAssertNil(WebhookTarget("file:///etc/passwd"))
    }

    // MARK: secrecy

    /// Everything the Alerts stage produces — results, the report JSON they end up in, the
    /// console lines, every error sentence — across every way a webhook can go, grepped for
    /// the URL's path and query, credentials and the secret.
    func testNoURLOrSecretInAnythingProduced() throws {
        let ok = try server([200])
        let flaky = try server([500])
        let gone = try server([404])
        let dead = LoopbackHTTPServer.deadPort()
        let hooks = [
            WebhookPlan(urlEnv: "OK", format: .json, secretEnv: "SEC", on: [.fail]),
            WebhookPlan(urlEnv: "OKSLACK", format: .slack, on: [.fail]),
            WebhookPlan(urlEnv: "FLAKY", format: .json, secretEnv: "SEC", on: [.fail]),
            WebhookPlan(urlEnv: "GONE", format: .slack, on: [.fail]),
            WebhookPlan(urlEnv: "DEAD", format: .json, secretEnv: "SEC", on: [.fail]),
            WebhookPlan(urlEnv: "BAD", format: .json, on: [.fail]),
            WebhookPlan(urlEnv: "NOSECRET", format: .json, secretEnv: "MISSING_SECRET", on: [.fail]),
            WebhookPlan(urlEnv: "UNSET", format: .json, on: [.fail]),
        ]
        let env = [
            "OK": secretURL(ok.url), "OKSLACK": secretURL(ok.url), "FLAKY": secretURL(flaky.url),
            "GONE": secretURL(gone.url), "DEAD": secretURL("http://user:pa55word@127.0.0.1:\(dead)"),
            "BAD": "gopher://\(Self.pathSecret)?token=\(Self.querySecret)", "NOSECRET": secretURL(ok.url),
            "SEC": Self.secret,
        ]
        var report = Self.sampleReport()
        let policy = AlertPolicy(maxAttempts: 2, initialBackoff: 0.1, requestTimeout: 2, totalBudget: 4)
        report.alerts = Alerts.send(report: report, webhooks: hooks, htmlReportPath: "out/report.html",
                                    environment: env, hostname: "h", policy: policy)
        XCTAssertEqual(report.alerts.map(\.status), ["delivered", "delivered", "failed", "failed", "failed", "failed", "failed", "failed"])

        let enc = JSONEncoder()
        // Unescaped slashes, so "/hooks" would be found as written.
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var produced = String(decoding: try enc.encode(report), as: UTF8.self)
        produced += report.alerts.map(Alerts.describe).joined(separator: "\n")
        produced += report.alerts.compactMap(\.error).joined(separator: "\n")
        // What the receivers got must not carry the URL or secret either (only the signature).
        produced += ok.requests.map { String(decoding: $0.body, as: UTF8.self) }.joined()
        produced += flaky.requests.map { String(decoding: $0.body, as: UTF8.self) }.joined()

        for needle in [Self.pathSecret, "PATHSECRET", Self.querySecret, "token=", "/hooks", "pa55word", "user:",
                       Self.secret, "s3cr3t", "gopher"] {
            XCTAssertFalse(produced.contains(needle), "\"\(needle)\" leaked into:\n\(produced)")
        }
        // The hosts are named, so a reader knows which webhook it was.
        XCTAssertTrue(produced.contains("127.0.0.1:\(ok.port)"))
        XCTAssertTrue(produced.contains("$UNSET"))
    }

    // MARK: helpers

    /// HMAC-SHA256 by Python's standard library: an implementation independent of swift-crypto.
    func pythonHMAC(key: String, body: Data) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cleanroom-hmac-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bodyFile = dir.appendingPathComponent("body")
        try body.write(to: bodyFile)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c",
                       "import hmac,hashlib,sys; print(hmac.new(sys.argv[1].encode('utf-8'), open(sys.argv[2],'rb').read(), hashlib.sha256).hexdigest())",
                       key, bodyFile.path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
