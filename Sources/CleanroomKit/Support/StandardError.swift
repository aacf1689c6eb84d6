#if canImport(Glibc)
import Glibc
#endif

/// Writes to descriptor 2 with write(2): unbuffered (so no fflush), and without stdio's global
/// `stderr`, which Swift 6 rejects as shared mutable state.
enum StandardError {
    static func write(_ text: String) {
        var bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress! + done, $0.count - done) }
            if n < 0 { if errno == EINTR { continue }; return }
            done += n
        }
    }
}
