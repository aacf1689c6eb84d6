import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// POSTs a body with bounded retries: network errors and 5xx are retried after 0.5 s, 1 s, …
/// (`AlertPolicy`), anything else is final. Synchronous: a CLI has nothing else to do meanwhile.
enum WebhookTransport {

    /// What one attempt came to.
    enum Attempt: Equatable {
        case delivered(status: Int)
        /// Worth another try: a network error or a 5xx.
        case transient(String)
        /// Not worth another try: a 4xx, a redirect not followed, a TLS failure.
        case final(String)
    }

    static func post(_ body: Data, headers: [String: String], to target: WebhookTarget, format: String,
                     policy: AlertPolicy) -> AlertResult {
        let start = Date()
        var attempts = 0
        var lastError = "not attempted"
        var backoff = policy.initialBackoff
        while attempts < max(1, policy.maxAttempts) {
            let left = policy.totalBudget - Date().timeIntervalSince(start)
            if attempts > 0 && left <= 0.05 { break }
            attempts += 1
            let timeout = min(policy.requestTimeout, max(0.1, left))
            switch once(body, headers: headers, url: target.url, timeout: timeout) {
            case .delivered:
                return AlertResult(target: target.display, format: format, status: "delivered", attempts: attempts)
            case .final(let why):
                return AlertResult(target: target.display, format: format, status: "failed", attempts: attempts, error: why)
            case .transient(let why):
                lastError = why
            }
            guard attempts < policy.maxAttempts else { break }
            // Sleep only if the budget still leaves room for another attempt after the pause.
            let remaining = policy.totalBudget - Date().timeIntervalSince(start)
            if backoff >= remaining { break }
            Thread.sleep(forTimeInterval: backoff)
            backoff *= 2
        }
        let budgetNote = attempts < policy.maxAttempts ? " (gave up: \(Int(policy.totalBudget)) s budget spent)" : ""
        return AlertResult(target: target.display, format: format, status: "failed", attempts: attempts,
                           error: lastError + budgetNote)
    }

    /// One POST, waited for at most `timeout` (+ a little, for the session to report it).
    static func once(_ body: Data, headers: [String: String], url: URL, timeout: TimeInterval) -> Attempt {
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        config.timeoutIntervalForResource = timeout
        config.requestCachePolicy = .reloadIgnoringLocalCacheData
        config.urlCache = nil
        config.httpCookieStorage = nil
        let session = URLSession(configuration: config)
        defer { session.finishTasksAndInvalidate() }

        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.httpBody = body
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }

        let box = AttemptBox()
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: request) { _, response, error in
            box.value = classify(response: response, error: error)
            done.signal()
        }
        task.resume()
        if done.wait(timeout: .now() + timeout + 1) == .timedOut {
            task.cancel()
            return .transient("no response within \(formatSeconds(timeout))")
        }
        return box.value ?? .transient("no response")
    }

    /// Turns URLSession's answer into an attempt outcome. Never interpolates `error` or the
    /// response: both can carry the URL (NSErrorFailingURLKey, `response.url`).
    static func classify(response: URLResponse?, error: Error?) -> Attempt {
        if let error {
            if let u = error as? URLError { return networkError(u.code) }
            let ns = error as NSError
            if ns.domain == NSURLErrorDomain, let code = URLError.Code(rawValue: ns.code) { return networkError(code) }
            return .transient("network error")
        }
        guard let http = response as? HTTPURLResponse else { return .transient("no HTTP response") }
        let status = http.statusCode
        switch status {
        case 200..<300: return .delivered(status: status)
        case 500..<600: return .transient("HTTP \(status)")
        case 400..<500: return .final("HTTP \(status) (not retried)")
        default: return .final("HTTP \(status)")
        }
    }

    /// Fixed phrases per URLError code: what went wrong, without where.
    static func networkError(_ code: URLError.Code) -> Attempt {
        switch code {
        case .cannotConnectToHost: return .transient("connection refused")
        case .timedOut: return .transient("timed out")
        case .cannotFindHost, .dnsLookupFailed: return .transient("host name not resolved")
        case .networkConnectionLost: return .transient("connection lost")
        case .notConnectedToInternet: return .transient("no network")
        case .badServerResponse, .zeroByteResource, .cannotParseResponse: return .transient("bad response from server")
        case .cancelled: return .transient("cancelled")
        case .badURL, .unsupportedURL: return .final("the URL is not usable")
        case .serverCertificateUntrusted, .serverCertificateHasBadDate, .serverCertificateNotYetValid,
             .serverCertificateHasUnknownRoot, .secureConnectionFailed, .clientCertificateRejected,
             .clientCertificateRequired:
            return .final("TLS failed (certificate or handshake)")
        case .httpTooManyRedirects, .redirectToNonExistentLocation: return .final("bad redirect")
        default: return .transient("network error (URLError \(code.rawValue))")
        }
    }

    static func formatSeconds(_ t: TimeInterval) -> String { String(format: "%.1f s", t) }
}

private final class AttemptBox: @unchecked Sendable {
    var value: WebhookTransport.Attempt?
}
