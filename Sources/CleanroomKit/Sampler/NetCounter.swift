import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Bytes through the run's own network namespace (`network: none` gives it one with only `lo`).
///
/// The sampler thread joins that namespace with setns(2) as soon as the run's process is in it,
/// and reads `/proc/thread-self/net/dev` once, at the end: the thread holds the namespace alive,
/// so the final figure is read after the workload exited, whatever the teardown order. If setns
/// is refused (no CAP_SYS_ADMIN), it reads `/proc/PID/net/dev` of the run's process instead, each
/// sample, keeping the last value that could be read.
///
/// Semantics: the sum over every interface of the namespace of received (`net_rx_bytes`) and
/// transmitted (`net_tx_bytes`) bytes, as the interfaces count them (headers included). With only
/// `lo`, every byte the run sends to itself is counted once as tx and once as rx. The namespace
/// is created with the run, so its counters start at 0.
///
/// Only the sampler thread may call this class.
final class NetCounter {
    enum State {
        case waiting          // the run's process is not yet in a namespace of its own
        case joined(KeptFile) // the thread is in the run's namespace
        case peeking(KeptFile)// reading /proc/PID/net/dev from outside
        case failed(String)
    }

    private let pid: pid_t
    private let hostInode: UInt64
    private(set) var state: State = .waiting
    private var last: (rx: Int64, tx: Int64)?
    /// The run's process was seen in the host's namespace (not yet unshared, or never).
    private var sawHostNamespace = false

    /// The run's namespace, open (kept by the sandbox for the run); -1: from /proc/PID/ns/net.
    private let netnsFD: Int32

    init(pid: pid_t, netnsFD: Int32 = -1) {
        self.pid = pid
        self.netnsFD = netnsFD
        var st = stat()
        // /proc/self resolves to the thread-group leader: the host's (cleanroom's) namespace.
        hostInode = stat("/proc/self/ns/net", &st) == 0 ? UInt64(st.st_ino) : 0
    }

    /// Tries to reach the run's namespace (once it exists) and, from outside it, reads its
    /// counters (`final`: read them in any case).
    func poll(final: Bool = false) {
        switch state {
        case .waiting:
            let fd = netnsFD >= 0 ? netnsFD : open("/proc/\(pid)/ns/net", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                state = .failed(sawHostNamespace
                    ? "the run stayed in the host's network namespace (network isolation was not set up); per-run bytes cannot be separated"
                    : "the run's process exited before its network namespace could be read")
                return
            }
            defer { if fd != netnsFD { close(fd) } }
            var st = stat()
            guard fstat(fd, &st) == 0 else { return }
            if UInt64(st.st_ino) == hostInode {   // not unshared yet: try again next sample
                sawHostNamespace = true
                return
            }
            if Self.joinNetNamespace(fd), let f = KeptFile("/proc/thread-self/net/dev") {
                state = .joined(f)
            } else if let f = KeptFile("/proc/\(pid)/net/dev") {
                state = .peeking(f)
            } else {
                state = .failed("the run's network namespace could not be read")
                return
            }
            poll(final: final)
        case .joined(let f):
            if final, let v = f.read(KernelText.netDev) { last = v }
        case .peeking(let f):
            if let v = f.read(KernelText.netDev) { last = v }
        case .failed:
            break
        }
    }

    /// The final figures (call after the workload exited, from the sampler thread).
    func finish(into f: inout Figures) {
        poll(final: true)
        switch state {
        case .joined:
            if let v = last {
                f.set(.netRxBytes, Double(v.rx), source: "run's network namespace /proc/net/dev (all interfaces)")
                f.set(.netTxBytes, Double(v.tx), source: "run's network namespace /proc/net/dev (all interfaces)")
            } else {
                f.missing(.netRxBytes, "the run's /proc/net/dev could not be parsed")
                f.missing(.netTxBytes, "the run's /proc/net/dev could not be parsed")
            }
        case .peeking:
            if let v = last {
                let src = "/proc/\(pid)/net/dev of the run's namespace (last read before it ended)"
                f.set(.netRxBytes, Double(v.rx), source: src)
                f.set(.netTxBytes, Double(v.tx), source: src)
            } else {
                f.missing(.netRxBytes, "the run's namespace ended before its counters could be read")
                f.missing(.netTxBytes, "the run's namespace ended before its counters could be read")
            }
        case .waiting:
            let why = "the run shared the host's network namespace (network isolation was not set up); per-run bytes cannot be separated"
            f.missing(.netRxBytes, why); f.missing(.netTxBytes, why)
        case .failed(let why):
            f.missing(.netRxBytes, why); f.missing(.netTxBytes, why)
        }
    }

    /// setns(fd, CLONE_NEWNET) for the calling thread. Glibc's Swift module does not export setns
    /// (a GNU extension), so it is looked up in libc at run time.
    static func joinNetNamespace(_ fd: Int32) -> Bool {
        typealias SetNS = @convention(c) (Int32, Int32) -> Int32
        guard let sym = setnsSymbol else { return false }
        let cloneNewNet: Int32 = 0x4000_0000
        return unsafeBitCast(sym, to: SetNS.self)(fd, cloneNewNet) == 0
    }

    nonisolated(unsafe) private static let setnsSymbol: UnsafeMutableRawPointer? = dlsym(nil, "setns")

    static let hostReason = "network: host shares the host's interfaces; per-run bytes cannot be separated"
}
