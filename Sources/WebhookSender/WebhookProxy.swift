import AsyncHTTPClient
import FoundationEssentials

/// The proxy a webhook goes through, from the variables curl reads (`https_proxy`/`HTTPS_PROXY`
/// for https URLs, `http_proxy`/`HTTP_PROXY` for http, `no_proxy`/`NO_PROXY` to exempt hosts),
/// so a CI runner behind a proxy delivers alerts as it did when URLSession (libcurl) sent them.
/// Only `http://` proxies (with optional `user:password@`, sent as Basic auth); https URLs go
/// through them with CONNECT.
enum WebhookProxy {

    static func proxy(for url: URL, environment env: [String: String]) -> HTTPClient.Configuration.Proxy? {
        guard let host = url.host?.lowercased(), !host.isEmpty else { return nil }
        if exempt(host: host, noProxy: env["no_proxy"] ?? env["NO_PROXY"]) { return nil }
        let names = url.scheme?.lowercased() == "https" ? ["https_proxy", "HTTPS_PROXY"] : ["http_proxy", "HTTP_PROXY"]
        guard let raw = names.lazy.compactMap({ env[$0] }).first(where: { !$0.isEmpty }) else { return nil }
        let withScheme = raw.contains("://") ? raw : "http://" + raw
        guard let comps = URLComponents(string: withScheme), comps.scheme?.lowercased() == "http",
              let proxyHost = comps.host, !proxyHost.isEmpty else { return nil }
        let port = comps.port ?? 80
        if let user = comps.user {
            let password = comps.password ?? ""
            return .server(host: proxyHost, port: port,
                           authorization: .basic(username: user.removingPercentEncoding ?? user,
                                                 password: password.removingPercentEncoding ?? password))
        }
        return .server(host: proxyHost, port: port)
    }

    /// curl's `no_proxy`: `*`, or a comma list of host names (a name matches itself and its
    /// subdomains; a leading dot is ignored) and literal addresses.
    static func exempt(host: String, noProxy: String?) -> Bool {
        guard let noProxy else { return false }
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        for entry in noProxy.split(separator: ",") {
            var e = String(entry.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()).lowercased()
            if e == "*" { return true }
            if e.hasPrefix(".") { e.removeFirst() }
            if e.isEmpty { continue }
            if bare == e || bare.hasSuffix("." + e) { return true }
        }
        return false
    }
}
