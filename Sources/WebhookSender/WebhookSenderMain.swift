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
        var input: [UInt8] = []
        guard (try? BoundedRead.readAll(0, "stdin", into: &input, upTo: inputLimit + 1)) != nil, input.count <= inputLimit,
              let request = try? JSONDecoder().decode(WebhookRequest.self, from: Data(input)) else { return 2 }
        let result = WebhookDelivery.post(request)
        guard let out = try? JSONEncoder().encode(result) else { return 2 }
        return out.withUnsafeBytes { Descriptors.writeAll(1, $0) } == 0 ? 0 : 1
    }
}
