import Foundation

/// A webhook URL taken from the environment, and the only part of it that may be shown:
/// the host (with the port when one is written). Path, query, user and password are secret
/// material for most webhook services (Slack's incoming-webhook token is the path).
struct WebhookTarget {
    let url: URL
    /// `hooks.slack.com`, `127.0.0.1:8080`, `[::1]:9000`.
    let display: String

    /// nil unless `raw` is an absolute http(s) URL with a host.
    init?(_ raw: String) {
        guard let comps = URLComponents(string: raw),
              let scheme = comps.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = comps.host, !host.isEmpty,
              let url = comps.url else { return nil }
        self.url = url
        let shownHost = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        display = comps.port.map { "\(shownHost):\($0)" } ?? shownHost
    }
}
