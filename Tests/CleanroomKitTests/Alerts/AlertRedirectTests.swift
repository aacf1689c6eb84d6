import XCTest
@testable import CleanroomKit
@testable import WebhookSender

/// Redirects are never followed (issue 11 item 6): a webhook that answers 3xx gets one request,
/// the place it points to gets none, and the alert is `failed` with the status recorded.
final class AlertRedirectTests: XCTestCase {
    var servers: [LoopbackHTTPServer] = []

    override func tearDown() {
        for s in servers { s.stop() }
        servers = []
        super.tearDown()
    }

    func server(_ statuses: [Int], location: String? = nil) throws -> LoopbackHTTPServer {
        let s = LoopbackHTTPServer(statuses: statuses, location: location)
        try s.start()
        servers.append(s)
        return s
    }

    func testRedirectsAreFailedWithTheirStatusAndNeverFollowed() throws {
        for status in [307, 302, 301, 303, 308] {
            // Where the redirect points: another real server, which must see nothing, and the
            // same server under another path (a follow would show up as its second request).
            let elsewhere = try server([200])
            let toOther = try server([status], location: elsewhere.url + "/moved")
            let toSelf = try server([status, 200], location: "/moved")
            let hooks = [WebhookPlan(urlEnv: "OTHER", format: .json, secretEnv: "SEC", on: [.fail]),
                         WebhookPlan(urlEnv: "SELF", format: .slack, on: [.fail])]
            let results = Alerts.send(report: AlertsTests.sampleReport(), webhooks: hooks, htmlReportPath: nil,
                                      environment: ["OTHER": toOther.url + "/hook", "SELF": toSelf.url + "/hook",
                                                    "SEC": "k"],
                                      hostname: "h")
            XCTAssertEqual(results, [
                AlertResult(target: "127.0.0.1:\(toOther.port)", format: "json", status: "failed", attempts: 1,
                            error: "HTTP \(status): redirect not followed", httpStatus: status),
                AlertResult(target: "127.0.0.1:\(toSelf.port)", format: "slack", status: "failed", attempts: 1,
                            error: "HTTP \(status): redirect not followed", httpStatus: status),
            ], "status \(status)")
            XCTAssertEqual(toOther.requests.map(\.method), ["POST"], "status \(status)")
            XCTAssertEqual(toOther.requests.map(\.target), ["/hook"])
            XCTAssertEqual(elsewhere.requests.count, 0, "status \(status): the redirect's target got a request")
            XCTAssertEqual(toSelf.requests.map(\.target), ["/hook"], "status \(status): followed to /moved")
        }
    }

    /// The status reaches report.json's alert entry (`http_status`), beside `status: failed`.
    func testRedirectStatusIsInTheReportsAlertEntry() throws {
        let s = try server([307], location: "/elsewhere")
        var report = AlertsTests.sampleReport()
        report.alerts = Alerts.send(report: report, webhooks: [WebhookPlan(urlEnv: "U", on: [.fail])],
                                    htmlReportPath: nil, environment: ["U": s.url + "/x"], hostname: "h")
        let data = try JSONReport.encode(report)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let alerts = try XCTUnwrap(json["alerts"] as? [[String: Any]])
        XCTAssertEqual(alerts.count, 1)
        XCTAssertEqual(alerts[0]["status"] as? String, "failed")
        XCTAssertEqual(alerts[0]["http_status"] as? Int, 307)
        XCTAssertEqual(alerts[0]["error"] as? String, "HTTP 307: redirect not followed")
        XCTAssertEqual(s.requests.count, 1)
        // And it decodes back.
        XCTAssertEqual(try JSONDecoder().decode(Report.self, from: data).alerts.first?.httpStatus, 307)
    }

    /// curl's proxy variables pick the proxy per scheme; `no_proxy` exempts hosts.
    func testProxyFromTheEnvironment() throws {
        let https = try XCTUnwrap(URL(string: "https://hooks.example.com/services/T/B/X"))
        let http = try XCTUnwrap(URL(string: "http://127.0.0.1:9000/hook"))
        XCTAssertNil(WebhookProxy.proxy(for: https, environment: [:]))
        XCTAssertNotNil(WebhookProxy.proxy(for: https, environment: ["https_proxy": "http://proxy:3128"]))
        XCTAssertNotNil(WebhookProxy.proxy(for: https, environment: ["HTTPS_PROXY": "proxy:3128"]))
        XCTAssertNil(WebhookProxy.proxy(for: https, environment: ["http_proxy": "http://proxy:3128"]))
        XCTAssertNil(WebhookProxy.proxy(for: http, environment: ["https_proxy": "http://proxy:3128"]))
        XCTAssertNil(WebhookProxy.proxy(for: https, environment: ["https_proxy": "http://proxy:3128", "no_proxy": ".example.com"]))
        XCTAssertNil(WebhookProxy.proxy(for: http, environment: ["http_proxy": "http://proxy:3128", "NO_PROXY": "localhost,127.0.0.1"]))
        XCTAssertNil(WebhookProxy.proxy(for: http, environment: ["http_proxy": "http://proxy:3128", "no_proxy": "*"]))
        XCTAssertNotNil(WebhookProxy.proxy(for: http, environment: ["http_proxy": "http://u:p@proxy:3128", "no_proxy": "example.com"]))
    }

    /// Through a proxy variable pointing at a real loopback server: the client opens its tunnel
    /// there (async-http-client uses CONNECT for http and https alike). The scripted server is no
    /// real proxy, so nothing is delivered, and the result still names only the webhook's host.
    func testProxyVariableSendsTheRequestToTheProxy() throws {
        let proxy = try server([200])
        let results = Alerts.send(report: AlertsTests.sampleReport(),
                                  webhooks: [WebhookPlan(urlEnv: "U", on: [.fail])], htmlReportPath: nil,
                                  environment: ["U": "http://hooks.invalid/T0/SECRET", "http_proxy": proxy.url],
                                  hostname: "h", policy: AlertPolicy(maxAttempts: 1, requestTimeout: 3, totalBudget: 3))
        XCTAssertEqual(results.first?.target, "hooks.invalid")
        XCTAssertEqual(proxy.requests.first?.method, "CONNECT")
        XCTAssertEqual(proxy.requests.first?.target, "hooks.invalid:80")
        XCTAssertFalse(Alerts.describe(results[0]).contains("SECRET"))
    }
}
