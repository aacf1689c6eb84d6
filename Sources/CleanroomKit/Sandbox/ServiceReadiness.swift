import Foundation
import CSpawn
#if canImport(Glibc)
import Glibc
#endif

/// One attempt of a service's readiness check (`ready` in slo.json): `tcp` connects to
/// 127.0.0.1:PORT, `http` sends a minimal HTTP/1.1 GET and wants a 2xx/3xx status, `log` matches
/// a regular expression against the service's captured stdout and stderr.
///
/// Network probes run *inside the run's network namespace* (with `network: none` the service's
/// 127.0.0.1 is not the host's): their sockets are made by a short-lived thread that joined it
/// (`cspawn_socket_in_netns`), so no thread of cleanroom changes namespace for longer than that.
struct ServiceReadiness {
    let check: ReadyCheck
    /// The run's network namespace (`/proc/<init>/ns/net`), -1 for `network: host`.
    let netnsFD: Int32
    private let regex: NSRegularExpression?
    /// Why the check itself is unusable (a bad regex or URL): fails the run at once.
    let invalid: String?
    private let target: HTTPTarget?

    init(check: ReadyCheck, netnsFD: Int32) {
        self.check = check
        self.netnsFD = netnsFD
        var regex: NSRegularExpression?
        var invalid: String?
        var target: HTTPTarget?
        switch check {
        case .log(let pattern):
            do { regex = try NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines]) } catch {
                invalid = "ready log regex \"\(pattern)\" is not a valid regular expression"
            }
        case .http(let url):
            switch HTTPTarget.parse(url) {
            case .success(let t): target = t
            case .failure(let why): invalid = "ready http \"\(url)\": \(why.text)"
            }
        case .tcp(let port):
            if !(1...65535).contains(port) { invalid = "ready tcp port \(port) is not a TCP port" }
        }
        self.regex = regex
        self.invalid = invalid
        self.target = target
    }

    /// How the check reads in messages: `tcp 127.0.0.1:8080`, `http http://…`, `log /regex/`.
    var label: String {
        switch check {
        case .tcp(let port): return "tcp 127.0.0.1:\(port)"
        case .http(let url): return "http GET \(url)"
        case .log(let pattern): return "log /\(pattern)/"
        }
    }

    /// One attempt: nil when ready, else why not (for the "not ready" message). Network attempts
    /// are bounded by `budget` seconds (a server that accepts but never answers).
    func attempt(stdout: TailBuffer, stderr: TailBuffer, budget: Double) -> String? {
        switch check {
        case .tcp(let port):
            switch connect(host: .v4(0x7f00_0001), port: port, budget: budget) {
            case .success(let fd): close(fd); return nil
            case .failure(let why): return "\(label): \(why.text)"
            }
        case .http:
            guard let t = target else { return invalid }
            return httpGet(t, budget: budget).map { "\(label): \($0)" }
        case .log:
            guard let regex else { return invalid }
            for buf in [stdout, stderr] {
                let text = String(decoding: buf.bytes, as: UTF8.self)
                if regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil { return nil }
            }
            return "\(label): no match in its output yet"
        }
    }

    // MARK: sockets

    struct Why: Error { let text: String }

    enum Host: Equatable {
        case v4(UInt32)          // host byte order
        case v6([UInt8])         // 16 bytes
    }

    /// The socket itself is NamespacedConnect's (shared with the Prometheus scrape); the wording is ours.
    private func connect(host: Host, port: Int, budget: Double) -> Result<Int32, Why> {
        let ms = Int32(max(1, min(budget, 1) * 1000))
        switch NamespacedConnect.open(host, port: port, netnsFD: netnsFD, waitMS: ms) {
        case .success(let fd): return .success(fd)
        case .failure(.socket(let e)): return .failure(Why(text: "socket: \(Self.errText(e))"))
        case .failure(.connect(let e)): return .failure(Why(text: Self.errText(e)))
        case .failure(.timedOut): return .failure(Why(text: "no answer to the connection within \(ms) ms"))
        }
    }

    /// nil when the server answered 2xx/3xx; else why not.
    private func httpGet(_ t: HTTPTarget, budget: Double) -> String? {
        let deadline = Monotonic.now + max(0.05, min(budget, 2))
        let fd: Int32
        switch connect(host: t.host, port: t.port, budget: budget) {
        case .success(let f): fd = f
        case .failure(let why): return why.text
        }
        defer { close(fd) }
        let request = Array("GET \(t.path) HTTP/1.1\r\nHost: \(t.hostHeader)\r\nUser-Agent: cleanroom-ready\r\nAccept: */*\r\nConnection: close\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            let n = request.withUnsafeBytes { send(fd, $0.baseAddress! + sent, request.count - sent, Int32(MSG_NOSIGNAL)) }
            if n > 0 { sent += n; continue }
            if n < 0 && (errno == EAGAIN || errno == EINTR) {
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                if poll(&p, 1, Int32(max(1, (deadline - Monotonic.now) * 1000))) <= 0 { return "could not send the request in time" }
                continue
            }
            return "send: \(Self.errText(errno))"
        }
        var got: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 1024)
        while !got.contains(0x0a) && got.count < 8192 {
            let left = deadline - Monotonic.now
            if left <= 0 { return "no status line within \(Units.format(max(0.05, min(budget, 2)), .duration))" }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, Int32(max(1, left * 1000))) <= 0 { continue }
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 1024, 0) }
            if n > 0 { got += buf[0..<n]; continue }
            if n < 0 && (errno == EAGAIN || errno == EINTR) { continue }
            return n == 0 ? "the connection was closed before a status line" : "recv: \(Self.errText(errno))"
        }
        let line = String(decoding: got.prefix { $0 != 0x0d && $0 != 0x0a }, as: UTF8.self)
        let parts = line.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let code = Int(parts[1]) else {
            return "not an HTTP status line: \"\(line.prefix(80))\""
        }
        return (200..<400).contains(code) ? nil : "status \(code)"
    }

    static func errText(_ e: Int32) -> String {
        let s = String(cString: strerror(e))
        return s.prefix(1).lowercased() + s.dropFirst()
    }
}

/// `http://HOST[:PORT]/PATH` with HOST an IP literal or `localhost` (names are not resolved: the
/// run's namespace has no resolver of its own, and a readiness URL points at the service itself).
struct HTTPTarget: Equatable {
    var host: ServiceReadiness.Host
    var hostHeader: String
    var port: Int
    var path: String

    static func parse(_ url: String) -> Result<HTTPTarget, ServiceReadiness.Why> {
        func fail(_ s: String) -> Result<HTTPTarget, ServiceReadiness.Why> { .failure(.init(text: s)) }
        guard url.lowercased().hasPrefix("http://") else {
            return fail(url.lowercased().hasPrefix("https://") ? "https is not supported for readiness (use http or tcp)" : "only http:// URLs")
        }
        let rest = url.dropFirst(7)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = String(rest[..<slash])
        var path = String(rest[slash...])
        if path.isEmpty { path = "/" }
        if let hash = path.firstIndex(of: "#") { path = String(path[..<hash]) }
        var hostText = authority
        var port = 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return fail("unterminated IPv6 address") }
            hostText = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { guard let p = Int(after.dropFirst()) else { return fail("bad port") }; port = p }
        } else if let colon = authority.lastIndex(of: ":") {
            hostText = String(authority[..<colon])
            guard let p = Int(authority[authority.index(after: colon)...]) else { return fail("bad port") }
            port = p
        }
        guard (1...65535).contains(port) else { return fail("port \(port) is out of range") }
        let host: ServiceReadiness.Host
        if hostText.lowercased() == "localhost" {
            host = .v4(0x7f00_0001)
        } else if let v4 = parseV4(hostText) {
            host = .v4(v4)
        } else {
            var a = in6_addr()
            guard inet_pton(AF_INET6, hostText, &a) == 1 else {
                return fail("host \"\(hostText)\" is not an IP address or localhost (names are not resolved)")
            }
            host = .v6(withUnsafeBytes(of: a) { Array($0) })
        }
        return .success(HTTPTarget(host: host, hostHeader: authority, port: port, path: path))
    }

    static func parseV4(_ s: String) -> UInt32? {
        let p = s.split(separator: ".", omittingEmptySubsequences: false)
        guard p.count == 4 else { return nil }
        var v: UInt32 = 0
        for x in p { guard let b = UInt8(x) else { return nil }; v = v << 8 | UInt32(b) }
        return v
    }
}
