import AsyncHTTPClient
import CleanroomKit
import FoundationEssentials
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
#if canImport(Glibc)
import Glibc
#endif

/// POSTs one webhook's body with bounded retries: network errors and 5xx are retried after 0.5 s,
/// 1 s, … (`AlertPolicy`), anything else is final. Runs in `cleanroom-webhook`, the helper that
/// cleanroom starts once per webhook (`WebhookTransport`): SwiftNIO, async-http-client and
/// BoringSSL live in that binary only, so no other command loads or relocates them at start
/// (docs/BENCHMARKS.md, "2026-12-06, seventeenth session").
///
/// Through async-http-client rather than URLSession: FoundationNetworking loads libcurl and ~40
/// libraries. Redirects are never followed: a webhook that answers 3xx has moved or is
/// misconfigured, and following it would resend the signed body to another place (or, as
/// URLSession did for 302/303, turn the POST into a body-less GET and call that `delivered`).
enum WebhookDelivery {

    /// What one attempt came to.
    enum Attempt: Equatable {
        case delivered(status: Int)
        /// Worth another try: a network error or a 5xx.
        case transient(String)
        /// Not worth another try: a 4xx, a redirect not followed, a TLS failure. `status` is the
        /// HTTP status when there was one.
        case final(String, status: Int? = nil)
    }

    /// Sends `request` (its body signed first when it carries a secret).
    static func post(_ request: WebhookRequest) -> AlertResult {
        var headers = request.headers
        if let secret = request.secret {
            headers[WebhookSignature.header] = WebhookSignature.sign(body: request.body, secret: secret)
        }
        guard let url = URL(string: request.url) else {
            return AlertResult(target: request.display, format: request.format, status: "failed", attempts: 0,
                               error: "the URL is not usable")
        }
        return post(request.body, headers: headers, url: url, display: request.display, format: request.format,
                    policy: request.policy, environment: request.proxyEnvironment)
    }

    static func post(_ body: Data, headers: [String: String], url: URL, display: String, format: String,
                     policy: AlertPolicy, environment: [String: String]) -> AlertResult {
        let start = ContinuousClock.now
        func elapsed() -> Double { (ContinuousClock.now - start).seconds }
        let client = makeClient(for: url, environment: environment)
        defer { try? client.syncShutdown() }
        var attempts = 0
        var lastError = "not attempted"
        var lastStatus: Int?
        var backoff = policy.initialBackoff
        while attempts < max(1, policy.maxAttempts) {
            let left = policy.totalBudget - elapsed()
            if attempts > 0 && left <= 0.05 { break }
            attempts += 1
            let timeout = min(policy.requestTimeout, max(0.1, left))
            switch once(body, headers: headers, url: url, timeout: timeout, client: client) {
            case .delivered(let status):
                return AlertResult(target: display, format: format, status: "delivered", attempts: attempts,
                                   httpStatus: status)
            case .final(let why, let status):
                return AlertResult(target: display, format: format, status: "failed", attempts: attempts,
                                   error: why, httpStatus: status)
            case .transient(let why):
                lastError = why
                lastStatus = httpStatus(inTransient: why)
            }
            guard attempts < policy.maxAttempts else { break }
            // Sleep only if the budget still leaves room for another attempt after the pause.
            let remaining = policy.totalBudget - elapsed()
            if backoff >= remaining { break }
            sleepSeconds(backoff)
            backoff *= 2
        }
        let budgetNote = attempts < policy.maxAttempts ? " (gave up: \(Int(policy.totalBudget)) s budget spent)" : ""
        return AlertResult(target: display, format: format, status: "failed", attempts: attempts,
                           error: lastError + budgetNote, httpStatus: lastStatus)
    }

    /// One client per webhook delivery: redirects off, no connection-retry loop inside the client
    /// (our own loop retries, within the budget), the proxy the environment names for this URL.
    static func makeClient(for url: URL, environment: [String: String]) -> HTTPClient {
        var config = HTTPClient.Configuration(redirectConfiguration: .disallow)
        config.connectionPool.retryConnectionEstablishment = false
        config.decompression = .disabled
        config.proxy = WebhookProxy.proxy(for: url, environment: environment)
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: config)
    }

    /// One POST, waited for at most `timeout`.
    static func once(_ body: Data, headers: [String: String], url: URL, timeout: Double, client: HTTPClient) -> Attempt {
        var h = HTTPHeaders()
        for (k, v) in headers.sorted(by: { $0.key < $1.key }) { h.add(name: k, value: v) }
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(url: url, method: .POST, headers: h, body: .bytes(body))
        } catch {
            return .final("the URL is not usable")
        }
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeout * 1e9))
        do {
            let response = try client.execute(request: request, deadline: deadline).wait()
            return classify(status: Int(response.status.code))
        } catch {
            return classify(error: error)
        }
    }

    /// An HTTP status as an attempt outcome. 3xx is final: redirects are not followed.
    static func classify(status: Int) -> Attempt {
        switch status {
        case 200..<300: return .delivered(status: status)
        case 500..<600: return .transient("HTTP \(status)")
        case 300..<400: return .final("HTTP \(status): redirect not followed", status: status)
        case 400..<500: return .final("HTTP \(status) (not retried)", status: status)
        default: return .final("HTTP \(status)", status: status)
        }
    }

    /// Fixed phrases per error kind: what went wrong, never where. An error's own description
    /// is never used: it can carry the host, the path or the query.
    static func classify(error: Error) -> Attempt {
        if let e = error as? HTTPClientError {
            switch e {
            case .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout, .tlsHandshakeTimeout,
                 .getConnectionFromPoolTimeout, .httpProxyHandshakeTimeout, .socksHandshakeTimeout:
                return .transient("timed out")
            case .remoteConnectionClosed, .uncleanShutdown: return .transient("connection lost")
            case .invalidURL, .emptyHost, .emptyScheme: return .final("the URL is not usable")
            case .proxyAuthenticationRequired, .invalidProxyResponse: return .final("the proxy refused the request")
            case .cancelled: return .transient("cancelled")
            default: return .transient("network error")
            }
        }
        if let e = error as? NIOConnectionError {
            if e.dnsAError != nil && e.dnsAAAAError != nil && e.connectionErrors.isEmpty {
                return .transient("host name not resolved")
            }
            if let first = e.connectionErrors.first { return classify(error: first.error) }
            return .transient("could not connect")
        }
        if let e = error as? IOError { return networkError(errno: e.errnoCode) }
        if error is ChannelError {
            if case ChannelError.connectTimeout = error { return .transient("timed out") }
            return .transient("connection lost")
        }
        if error is NIOSSLError || error is BoringSSLError { return .final("TLS failed (certificate or handshake)") }
        if error is SocketAddressError { return .transient("host name not resolved") }
        return .transient("network error")
    }

    static func networkError(errno code: Int32) -> Attempt {
        switch code {
        case ECONNREFUSED: return .transient("connection refused")
        case ETIMEDOUT: return .transient("timed out")
        case ECONNRESET, EPIPE: return .transient("connection lost")
        case ENETUNREACH, EHOSTUNREACH: return .transient("no network")
        default: return .transient("network error (errno \(code))")
        }
    }

    /// The status of a transient `HTTP 5xx` outcome, kept for the alert entry.
    static func httpStatus(inTransient why: String) -> Int? {
        guard why.hasPrefix("HTTP ") else { return nil }
        return Int(why.dropFirst(5).prefix(3))
    }

    static func sleepSeconds(_ t: Double) {
        var ts = timespec(tv_sec: Int(t), tv_nsec: Int((t - Double(Int(t))) * 1e9))
        var left = timespec()
        while nanosleep(&ts, &left) == -1 && errno == EINTR { ts = left }
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
