import CSpawn
#if canImport(Glibc)
import Glibc
#endif

/// A TCP connection to an IP address as seen from inside a network namespace: the socket is made by
/// a short-lived thread that joined it (`cspawn_socket_in_netns`, non-blocking), so under
/// `network: none` 127.0.0.1 is the run's own loopback, and no thread of cleanroom stays in another
/// namespace. Shared by the services' readiness probe (ServiceReadiness) and the Prometheus scrape
/// (HTTPFetch), which word their failures differently: hence failures are data, not text.
enum NamespacedConnect {
    enum Failure: Error, Equatable {
        /// The socket could not be made (an errno: joining the namespace, or socket(2) itself).
        case socket(Int32)
        /// connect(2) failed, at once or once it completed (SO_ERROR): an errno.
        case connect(Int32)
        /// The connection did not complete within the wait.
        case timedOut
    }

    /// A connected, non-blocking socket to `host:port` in `netnsFD` (-1: cleanroom's own namespace).
    /// `waitMS` is read only if the connection is still in progress, so a caller with a deadline
    /// gives what is left of it at that moment.
    static func open(_ host: ServiceReadiness.Host, port: Int, netnsFD: Int32,
                     waitMS: @autoclosure () -> Int32) -> Result<Int32, Failure> {
        var domain = AF_INET6
        if case .v4 = host { domain = AF_INET }
        let fd = cspawn_socket_in_netns(netnsFD, domain, Int32(SOCK_STREAM.rawValue))
        guard fd >= 0 else { return .failure(.socket(-fd)) }
        var rc: Int32
        switch host {
        case .v4(let addr):
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = in_port_t(UInt16(port).bigEndian)
            sa.sin_addr = in_addr(s_addr: addr.bigEndian)
            rc = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        case .v6(let bytes):
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            sa.sin6_port = in_port_t(UInt16(port).bigEndian)
            withUnsafeMutableBytes(of: &sa.sin6_addr) { dst in for i in 0..<16 { dst[i] = bytes[i] } }
            rc = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        }
        if rc == 0 { return .success(fd) }
        guard errno == EINPROGRESS else { let e = errno; close(fd); return .failure(.connect(e)) }
        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard poll(&p, 1, waitMS()) == 1 else { close(fd); return .failure(.timedOut) }
        var err: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
        if err != 0 { close(fd); return .failure(.connect(err)) }
        return .success(fd)
    }
}
