import CleanroomKit
import CSpawn
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// `cleanroom-webhook`'s whole job: one `WebhookRequest` (JSON) on stdin, one delivery, its
/// `AlertResult` (JSON) on stdout. cleanroom hands the request over in an in-memory file, never in
/// the arguments or the environment, where the URL and the secret would show in /proc to every
/// process of the same user. Nothing is written to stderr: its words could only be about the URL.
public enum WebhookSenderMain {
    /// A request is a report's payload (a few KiB); anything near this is not one.
    static let inputLimit = 16 << 20

    /// The exit status: 0 with a result printed, 2 for input that is not a request.
    public static func run() -> Int32 {
        // Ends with the cleanroom thread that started it, even one killed outright (SIGKILL): no
        // delivery goes on for the rest of its budget behind a cleanroom that has gone.
        _ = cspawn_die_with_parent()
        // Only stdin, stdout and stderr are the sender's: whatever else cleanroom left open
        // without O_CLOEXEC would keep its holders (a reader of cleanroom's pipes) waiting on us.
        _ = cspawn_close_inherited()
        guard let input = readAll(fd: 0, limit: inputLimit),
              let request = try? JSONDecoder().decode(WebhookRequest.self, from: input) else { return 2 }
        let result = WebhookDelivery.post(request)
        guard let out = try? JSONEncoder().encode(result) else { return 2 }
        return writeAll(fd: 1, out) ? 0 : 1
    }

    static func readAll(fd: Int32, limit: Int) -> Data? {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n == 0 { return Data(bytes) }
            if n < 0 { if errno == EINTR { continue }; return nil }
            bytes += chunk.prefix(n)
            if bytes.count > limit { return nil }
        }
    }

    static func writeAll(fd: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { raw -> Bool in
            var off = 0
            while off < raw.count {
                let n = write(fd, raw.baseAddress! + off, raw.count - off)
                if n < 0 { if errno == EINTR { continue }; return false }
                off += n
            }
            return true
        }
    }
}
