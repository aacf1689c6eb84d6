import FoundationEssentials

/// One webhook delivery as cleanroom hands it to its sender, `cleanroom-webhook`
/// (`WebhookTransport`): on the sender's stdin, in JSON. The sender signs the body when `secret`
/// is set and answers with the delivery's `AlertResult`.
public struct WebhookRequest: Codable, Sendable, Equatable {
    /// The whole URL (secret material: it never reaches a log, a report or an argument list).
    public var url: String
    /// What results may show of it: the host and port (`WebhookTarget.display`).
    public var display: String
    /// `json` or `slack`, carried into the result.
    public var format: String
    public var headers: [String: String]
    public var body: Data
    /// The HMAC-SHA256 key of `X-Cleanroom-Signature-256`; nil: sent unsigned.
    public var secret: String?
    public var policy: AlertPolicy
    /// The proxy variables (`http_proxy`, `HTTPS_PROXY`, `no_proxy` …) of the environment the
    /// webhook was resolved in: the sender reads the proxy from these, not from its own.
    public var proxyEnvironment: [String: String]

    public init(url: String, display: String, format: String, headers: [String: String], body: Data,
                secret: String?, policy: AlertPolicy, proxyEnvironment: [String: String]) {
        self.url = url; self.display = display; self.format = format; self.headers = headers; self.body = body
        self.secret = secret; self.policy = policy; self.proxyEnvironment = proxyEnvironment
    }

    /// The names the sender's proxy lookup reads (curl's).
    public static let proxyVariables = ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY"]
}
