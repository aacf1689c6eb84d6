import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real HTTP/1.1 server on 127.0.0.1 (ephemeral port) for the alert tests: records every
/// request and answers with scripted status codes, one connection per request. Bounded: the
/// accept loop polls every 50 ms and stops on `stop()`; each connection has a 5 s read timeout.
final class LoopbackHTTPServer: @unchecked Sendable {
    struct Request {
        var method: String
        var target: String           // path and query as sent
        var headers: [String: String] // lower-cased names
        var body: Data
    }

    struct Response {
        var status: Int
        /// Seconds to wait before answering (to provoke client timeouts).
        var delay: TimeInterval = 0
        /// A `Location` header (for 3xx answers).
        var location: String? = nil
    }

    private let lock = NSLock()
    private var script: [Response]
    private var received: [Request] = []
    private var listenFD: Int32 = -1
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)
    private(set) var port: UInt16 = 0

    /// `statuses` answer the requests in order; the last one answers every request after.
    init(statuses: [Int], delay: TimeInterval = 0, location: String? = nil) {
        script = statuses.map { Response(status: $0, delay: delay, location: location) }
    }

    var requests: [Request] { lock.lock(); defer { lock.unlock() }; return received }

    var url: String { "http://127.0.0.1:\(port)" }

    func start() throws {
        listenFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listenFD >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var one: Int32 = 1
        setsockopt(listenFD, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listenFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listenFD, 16) == 0 else { close(listenFD); throw POSIXError(.EADDRINUSE) }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listenFD, $0, &len) }
        }
        port = UInt16(bigEndian: addr.sin_port)
        let t = Thread { [self] in self.acceptLoop() }
        t.start()
    }

    func stop() {
        lock.lock(); let already = stopping; stopping = true; lock.unlock()
        guard !already, listenFD >= 0 else { return }
        _ = finished.wait(timeout: .now() + 10)
        close(listenFD)
    }

    private var isStopping: Bool { lock.lock(); defer { lock.unlock() }; return stopping }

    private func acceptLoop() {
        defer { finished.signal() }
        while !isStopping {
            var pfd = pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 50) > 0 else { continue }
            let conn = accept(listenFD, nil, nil)
            guard conn >= 0 else { continue }
            handle(conn)
            close(conn)
        }
    }

    private func handle(_ fd: Int32) {
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var buffer = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        let separator = Data("\r\n\r\n".utf8)
        var headerEnd: Range<Data.Index>?
        while headerEnd == nil {
            let n = read(fd, &chunk, chunk.count)
            guard n > 0 else { return }
            buffer.append(contentsOf: chunk[0..<n])
            headerEnd = buffer.range(of: separator)
        }
        let head = String(decoding: buffer[buffer.startIndex..<headerEnd!.lowerBound], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        var headers: [String: String] = [:]
        for l in lines {
            guard let colon = l.firstIndex(of: ":") else { continue }
            headers[l[..<colon].lowercased()] = l[l.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        var body = Data(buffer[headerEnd!.upperBound...])
        while body.count < length {
            let n = read(fd, &chunk, chunk.count)
            guard n > 0 else { break }
            body.append(contentsOf: chunk[0..<n])
        }
        lock.lock()
        received.append(Request(method: requestLine.first.map(String.init) ?? "", target: requestLine.count > 1 ? String(requestLine[1]) : "",
                                headers: headers, body: body))
        let response = script.count > 1 ? script.removeFirst() : script[0]
        lock.unlock()
        if response.delay > 0 { Thread.sleep(forTimeInterval: response.delay) }
        let location = response.location.map { "Location: \($0)\r\n" } ?? ""
        let text = "HTTP/1.1 \(response.status) Scripted\r\n\(location)Content-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
        _ = text.withCString { write(fd, $0, strlen($0)) }
    }

    /// A port on 127.0.0.1 with nothing listening (bound, then closed).
    static func deadPort() -> UInt16 {
        let s = LoopbackHTTPServer(statuses: [200])
        try? s.start()
        let p = s.port
        s.stop()
        return p
    }
}
