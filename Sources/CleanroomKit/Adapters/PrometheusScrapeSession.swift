import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The Prometheus scrapes of one run: the sandbox calls `scrape(.before, …)` once the services are
/// ready and `scrape(.after, …)` when the workload has exited, before the services are stopped, each
/// time with the run's network namespace (so `127.0.0.1` is the services' loopback under
/// `network: none`). `output()` then gives the observations (PrometheusScrape) and what went wrong.
public final class PrometheusScrapeSession: @unchecked Sendable {
    public enum Moment: String { case before, after }

    public let sources: [MetricsSource]
    private let lock = NSLock()
    private var texts: [Moment: [Int: String]] = [:]
    private var problems: [String] = []

    public init(sources: [MetricsSource]) {
        self.sources = sources.filter { if case .scrape = $0.origin { return true } else { return false } }
    }

    public var isEmpty: Bool { sources.isEmpty }

    /// Fetches every endpoint from the network namespace of the run whose init is `initPID`
    /// (`ownNetwork` false: `network: host`, cleanroom's own namespace).
    public func scrape(_ moment: Moment, initPID: pid_t, ownNetwork: Bool) {
        guard !isEmpty else { return }
        var fd: Int32 = -1
        if ownNetwork {
            fd = open("/proc/\(initPID)/ns/net", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                lock.lock(); problems.append("scrape \(moment.rawValue) the workload: open /proc/\(initPID)/ns/net: \(ServiceReadiness.errText(errno))"); lock.unlock()
                return
            }
        }
        defer { if fd >= 0 { close(fd) } }
        scrape(moment, netnsFD: fd)
    }

    /// Fetches every endpoint; `netnsFD` is the run's network namespace (-1: cleanroom's own).
    public func scrape(_ moment: Moment, netnsFD: Int32, timeout: Double = 5) {
        for (i, s) in sources.enumerated() {
            guard case .scrape(let target) = s.origin else { continue }
            let result = HTTPFetch.get(target.url, netnsFD: netnsFD, timeout: timeout)
            lock.lock()
            switch result {
            case .success(let body): texts[moment, default: [:]][i] = body
            case .failure(let why): problems.append("metrics_from \(s.label): scrape \(moment.rawValue) the workload: \(why.text)")
            }
            lock.unlock()
        }
    }

    /// Observations of every endpoint scraped both before and after the workload.
    public func output() -> [(MetricsSource, AdapterOutput)] {
        lock.lock(); defer { lock.unlock() }
        var out: [(MetricsSource, AdapterOutput)] = []
        for (i, s) in sources.enumerated() {
            guard let b = texts[.before]?[i], let a = texts[.after]?[i] else {
                // Scrapes happen around services only: say so rather than report nothing.
                if problems.isEmpty {
                    out.append((s, AdapterOutput(observations: [], malformed: ["not scraped both before and after the workload (scrapes run while the workload's services are up; did the run start?)"])))
                }
                continue
            }
            out.append((s, PrometheusScrape.observations(before: PrometheusText.parse(b), after: PrometheusText.parse(a))))
        }
        if !problems.isEmpty, let first = sources.first { out.append((first, AdapterOutput(observations: [], malformed: problems))) }
        return out
    }

    /// Merges the observations into the run's custom metrics.
    public func merge(into custom: inout CustomMetrics) {
        for (source, o) in output() { MetricsFrom.merge(o, from: source, into: &custom) }
    }
}

/// A minimal HTTP/1.1 GET of a loopback URL from inside a network namespace (connected by
/// NamespacedConnect, as the readiness probe is), reading the whole body (Content-Length,
/// chunked, or until close), at most 16 MiB, within `timeout`.
enum HTTPFetch {
    struct Why: Error { let text: String }
    static let bodyLimit = 16 << 20

    static func get(_ url: String, netnsFD: Int32, timeout: Double) -> Result<String, Why> {
        guard case .success(let t) = HTTPTarget.parse(url) else { return .failure(Why(text: "\(url) is not an http:// URL on an IP address")) }
        let deadline = Monotonic.now + timeout
        func left() -> Int32 { Int32(max(1, (deadline - Monotonic.now) * 1000)) }
        let fd: Int32
        switch NamespacedConnect.open(t.host, port: t.port, netnsFD: netnsFD, waitMS: left()) {
        case .success(let f): fd = f
        case .failure(.socket(let e)): return .failure(Why(text: "socket: \(ServiceReadiness.errText(e))"))
        case .failure(.connect(let e)): return .failure(Why(text: "connect \(t.hostHeader): \(ServiceReadiness.errText(e))"))
        case .failure(.timedOut): return .failure(Why(text: "connect \(t.hostHeader): no answer in time"))
        }
        defer { close(fd) }
        let request = Array("GET \(t.path) HTTP/1.1\r\nHost: \(t.hostHeader)\r\nUser-Agent: cleanroom-scrape\r\nAccept: text/plain;version=0.0.4, application/openmetrics-text;version=1.0.0;q=0.5\r\nConnection: close\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            let n = request.withUnsafeBytes { send(fd, $0.baseAddress! + sent, request.count - sent, Int32(MSG_NOSIGNAL)) }
            if n > 0 { sent += n; continue }
            guard n < 0, errno == EAGAIN || errno == EINTR, Monotonic.now < deadline else { return .failure(Why(text: "send: could not send the request")) }
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = poll(&p, 1, left())
        }
        var got: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while got.count <= bodyLimit {
            if Monotonic.now >= deadline { return .failure(Why(text: "no complete answer within \(Units.format(timeout, .duration))")) }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, left()) <= 0 { continue }
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 65536, 0) }
            if n > 0 { got += buf[0..<n]; continue }
            if n < 0 && (errno == EAGAIN || errno == EINTR) { continue }
            if n < 0 { return .failure(Why(text: "recv: \(ServiceReadiness.errText(errno))")) }
            break
        }
        if got.count > bodyLimit { return .failure(Why(text: "answer larger than \(Units.format(Double(bodyLimit), .bytes))")) }
        return parseResponse(got)
    }

    /// Status 200 and the body (de-chunked when `Transfer-Encoding: chunked`).
    static func parseResponse(_ bytes: [UInt8]) -> Result<String, Why> {
        let sep: [UInt8] = [13, 10, 13, 10]
        guard let h = (0..<max(0, bytes.count - 3)).first(where: { bytes[$0..<$0 + 4].elementsEqual(sep) }) else {
            return .failure(Why(text: "the answer has no HTTP header"))
        }
        let head = String(decoding: bytes[..<h], as: UTF8.self).components(separatedBy: "\r\n")
        let status = head.first?.split(separator: " ") ?? []
        guard status.count >= 2, status[0].hasPrefix("HTTP/"), let code = Int(status[1]) else {
            return .failure(Why(text: "not an HTTP status line: \"\(head.first?.prefix(80) ?? "")\""))
        }
        guard code == 200 else { return .failure(Why(text: "status \(code)")) }
        var body = Array(bytes[(h + 4)...])
        let chunked = head.dropFirst().contains { $0.lowercased().hasPrefix("transfer-encoding:") && $0.lowercased().contains("chunked") }
        if chunked {
            var out: [UInt8] = [], i = 0
            while i < body.count {
                guard let eol = body[i...].firstIndex(of: 10) else { break }
                let sizeText = String(decoding: body[i..<eol], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                guard let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16) else { return .failure(Why(text: "bad chunk size")) }
                if size == 0 { break }
                let start = eol + 1
                guard start + size <= body.count else { return .failure(Why(text: "truncated chunk")) }
                out += body[start..<start + size]
                i = start + size + 2
            }
            body = out
        }
        return .success(String(decoding: body, as: UTF8.self))
    }
}
