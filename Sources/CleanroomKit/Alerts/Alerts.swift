import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How hard one webhook is tried. The defaults bound a dead webhook to about 10 s of a CI job.
public struct AlertPolicy: Codable, Sendable, Equatable {
    /// Attempts per webhook, the first one included.
    public var maxAttempts: Int
    /// Pause before the second attempt; doubled before each further one (0.5 s, 1 s, 2 s …).
    public var initialBackoff: TimeInterval
    /// Per-request timeout (connect + send + response).
    public var requestTimeout: TimeInterval
    /// Wall-clock budget for all attempts of one webhook: no attempt starts after it, and the
    /// last attempt's timeout is cut to what is left.
    public var totalBudget: TimeInterval

    public init(maxAttempts: Int = 3, initialBackoff: TimeInterval = 0.5, requestTimeout: TimeInterval = 5,
                totalBudget: TimeInterval = 10) {
        self.maxAttempts = maxAttempts; self.initialBackoff = initialBackoff
        self.requestTimeout = requestTimeout; self.totalBudget = totalBudget
    }

    public static let `default` = AlertPolicy()
}

/// The Alerts stage (SPEC "Alerts"): after the reports are written, one POST per webhook whose
/// `on` list holds the verdict. Alerts only report: nothing here changes a verdict or an exit
/// code, and nothing here throws — every problem becomes an `AlertResult` with status `failed`.
///
/// Secrets stay out of everything this produces: a result names the webhook's host (and port)
/// only, and error sentences are built from fixed phrases, HTTP status codes and the *names* of
/// environment variables, never from a URL, a query string, a secret or a server's reply.
public enum Alerts {

    /// Sends every webhook that applies to `report.verdict` (concurrently, so several dead
    /// webhooks still cost one `policy.totalBudget`) and returns one result per webhook sent,
    /// in the order of `webhooks`. Webhooks whose `on` does not hold the verdict get no result.
    ///
    /// - Parameters:
    ///   - htmlReportPath: where report.html is (a path, or a link the caller made, e.g. a CI
    ///     artifact URL); carried in the `json` payload as `report.html`.
    ///   - environment: where `url_env` and `secret_env` are looked up.
    ///   - hostname: the machine's name shown in the payloads; defaults to gethostname(2).
    public static func send(report: Report, webhooks: [WebhookPlan], htmlReportPath: String?,
                            environment: [String: String] = ProcessInfo.processInfo.environment,
                            hostname: String? = nil, policy: AlertPolicy = .default) -> [AlertResult] {
        let due = webhooks.filter { applies($0, to: report.verdict) }
        guard !due.isEmpty else { return [] }
        let machine = hostname ?? localHostname()
        let results = ResultSlots(count: due.count)
        // One thread per webhook (a handful at most): they spend their time waiting on the
        // network, and concurrentPerform would run only as many at once as there are cores.
        let group = DispatchGroup()
        for (i, hook) in due.enumerated() {
            group.enter()
            let t = Thread {
                results.set(i, deliver(hook, report: report, htmlReportPath: htmlReportPath,
                                       environment: environment, hostname: machine, policy: policy))
                group.leave()
            }
            t.start()
        }
        group.wait()
        return results.values
    }

    /// Whether `webhook` is to be sent for `verdict`.
    public static func applies(_ webhook: WebhookPlan, to verdict: Verdict) -> Bool {
        webhook.on.contains(verdict)
    }

    /// One console line for a result, e.g. `alert json → hooks.example.com: delivered (1 attempt)`.
    /// Built from the result alone, so it is as free of URLs and secrets as the result is.
    public static func describe(_ r: AlertResult) -> String {
        let tries = "\(r.attempts) attempt" + (r.attempts == 1 ? "" : "s")
        return "alert \(r.format) → \(r.target): \(r.status) (\(tries))" + (r.error.map { ": \($0)" } ?? "")
    }

    /// Sends one webhook: resolves its URL and secret from the environment, builds the body, and
    /// hands the POST (signing, bounded retries) to the webhook sender.
    static func deliver(_ webhook: WebhookPlan, report: Report, htmlReportPath: String?,
                        environment: [String: String], hostname: String, policy: AlertPolicy) -> AlertResult {
        let format = webhook.format.rawValue
        // Without a usable URL there is no host to name: the target is then `$URL_ENV`.
        func failed(_ target: String, _ error: String) -> AlertResult {
            AlertResult(target: target, format: format, status: "failed", attempts: 0, error: error)
        }
        guard let raw = environment[webhook.urlEnv], !raw.trimmingBlanks.isEmpty else {
            return failed("$" + webhook.urlEnv, "\(webhook.urlEnv) is not set")
        }
        guard let target = WebhookTarget(raw.trimmingBlanks) else {
            return failed("$" + webhook.urlEnv, "\(webhook.urlEnv) does not hold an http:// or https:// URL with a host")
        }
        var secret: String?
        if let secretEnv = webhook.secretEnv {
            // A receiver that verifies signatures would reject an unsigned body anyway; saying so
            // here is clearer than a 401 later, and never sends unsigned what was meant signed.
            guard let s = environment[secretEnv], !s.isEmpty else {
                return failed(target.display, "\(secretEnv) (secret_env) is not set: not sent unsigned")
            }
            secret = s
        }

        let body: Data
        do {
            switch webhook.format {
            case .json: body = try AlertPayload(report: report, htmlReportPath: htmlReportPath, hostname: hostname).encoded()
            case .slack: body = try SlackMessage(report: report, hostname: hostname).encoded()
            }
        } catch {
            return failed(target.display, "could not encode the \(format) payload")
        }
        let request = WebhookRequest(
            url: target.url.absoluteString, display: target.display, format: format,
            headers: ["Content-Type": "application/json", "User-Agent": "cleanroom"], body: body, secret: secret,
            policy: policy, proxyEnvironment: environment.filter { WebhookRequest.proxyVariables.contains($0.key) })
        return WebhookTransport.post(request)
    }

    /// gethostname(2): no DNS lookup (ProcessInfo.hostName may resolve the name).
    static func localHostname() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count - 1) == 0 else { return "unknown" }
        return String(cString: buf)
    }
}

/// Results written from concurrent deliveries, read once all are done.
private final class ResultSlots: @unchecked Sendable {
    private var slots: [AlertResult?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: AlertResult) { lock.lock(); slots[i] = r; lock.unlock() }
    var values: [AlertResult] { lock.lock(); defer { lock.unlock() }; return slots.compactMap { $0 } }
}
