import CSpawn
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Hands one webhook to `cleanroom-webhook` and returns what it came to. The sender is a helper
/// executable of its own, as git's `git-remote-https` is, because the HTTP stack is the largest
/// part of what a binary relocates at start: linked into cleanroom, SwiftNIO, async-http-client,
/// BoringSSL and swift-crypto were ~30 % of the relocations of every command, `--version`
/// included, for the one in many runs that sends an alert (docs/BENCHMARKS.md, "2026-12-06,
/// seventeenth session").
///
/// The sender is looked for beside the real executable only — `../libexec/cleanroom/` of an
/// installed prefix, then the executable's own directory (a build directory) — never on PATH:
/// it is handed URLs and secrets. The request goes in through an in-memory file on its stdin
/// (not arguments or environment, which /proc shows); the result comes back on its stdout.
enum WebhookTransport {
    static let senderName = "cleanroom-webhook"

    /// The sender waits this much past its own budget before cleanroom kills it: it ends its own
    /// attempts at `totalBudget` (the last one's timeout cut to what is left).
    static let grace = 5.0

    /// Senders running now, so that an interrupt ends them with cleanroom (`stopAll`): a sender
    /// left behind would go on posting for up to its budget after cleanroom said `pending`.
    private static let live = LiveSenders()

    /// Kills every running sender (by the PIDs this process started) and refuses new ones: the
    /// interrupt path of report delivery, before cleanroom exits 130.
    static func stopAll() { live.stopAll() }

    /// The sender beside this process's real executable; nil if there is none.
    static func senderPath() -> String? {
        SysFS.realPathIfExists("/proc/self/exe").flatMap { senderPath(besideExecutable: $0) }
    }

    /// `PREFIX/libexec/cleanroom/cleanroom-webhook` for `PREFIX/bin/cleanroom`, else one in the
    /// executable's own directory: the first that is an executable regular file.
    static func senderPath(besideExecutable exe: String) -> String? {
        guard let slash = exe.utf8.lastIndex(of: UInt8(ascii: "/")) else { return nil }
        let dir = String(exe[..<slash])
        return [dir + "/../libexec/cleanroom/" + senderName, dir + "/" + senderName].first { SysFS.isExecutableFile($0) }
    }

    /// `sender`: the helper to run (nil: none was found).
    static func post(_ request: WebhookRequest, sender: String? = senderPath()) -> AlertResult {
        func failed(_ why: String) -> AlertResult {
            AlertResult(target: request.display, format: request.format, status: "failed", attempts: 0, error: why)
        }
        guard let sender else {
            return failed("the webhook sender (\(senderName)) is not installed beside cleanroom: reinstall cleanroom")
        }
        guard let input = try? JSONEncoder().encode(request) else { return failed("could not encode the request") }
        switch run(sender, input: input, seconds: request.policy.totalBudget + grace) {
        case .failure(let f):
            return failed(f.why)
        case .success(let output):
            guard let result = try? JSONDecoder().decode(AlertResult.self, from: output) else {
                return failed("the webhook sender gave no result")
            }
            return result
        }
    }

    /// Runs `sender` with `input` on its stdin and returns its stdout, or why not. Killed (by its
    /// PID, which only this thread reaps) if it has not finished within `seconds`.
    static func run(_ sender: String, input: Data, seconds: Double) -> Result<Data, SenderFailure> {
        let deadline = Int64(Monotonic.nowNS) + Int64(seconds * 1e9)
        let stdinFD = cspawn_memfd_cloexec("cleanroom-webhook-request")
        guard stdinFD >= 0 else { return .failure(.init("could not hand the request over (errno \(errno))")) }
        defer { close(stdinFD) }
        let written = input.withUnsafeBytes { Descriptors.writeAll(stdinFD, $0) } == 0
        guard written, lseek(stdinFD, 0, SEEK_SET) == 0 else {
            return .failure(.init("could not hand the request over (errno \(errno))"))
        }
        var out: [Int32] = [-1, -1]
        guard cspawn_pipe_cloexec(&out) == 0 else { return .failure(.init("could not start the webhook sender (errno \(errno))")) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinFD, 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // The sender starts with no signal blocked and the default action for the ones a user
        // sends: an interrupt that reaches cleanroom's process group ends it too.
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = sigset_t(), reset = sigset_t()
        sigemptyset(&none)
        sigemptyset(&reset)
        for s in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] { sigaddset(&reset, s) }
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setsigdefault(&attr, &reset)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(sender), nil]
        defer { for a in argv { free(a) } }
        let rc = live.spawn { (posix_spawn(&pid, sender, &actions, &attr, argv, environ), pid) }
        close(out[1])
        defer { close(out[0]) }
        guard let rc else { return .failure(.init("cleanroom was interrupted before the alert was sent")) }
        guard rc == 0 else { return .failure(.init("could not start the webhook sender (errno \(rc))")) }

        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var killed = false
        reading: while true {
            let left = deadline - Int64(Monotonic.nowNS)
            if left <= 0 { kill(pid, SIGKILL); killed = true; break }
            var p = pollfd(fd: out[0], events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, Int32(min(left / 1_000_000 + 1, 60_000)))
            if ready < 0 && errno != EINTR { kill(pid, SIGKILL); killed = true; break }
            guard ready > 0 else { continue }
            let n = chunk.withUnsafeMutableBytes { read(out[0], $0.baseAddress, $0.count) }
            switch n {
            case 0: break reading
            case ..<0: if errno == EINTR { continue } else { break reading }
            default:
                output += chunk.prefix(n)
                // A result is a few hundred bytes: a sender that says more is not ours.
                if output.count > 1 << 20 { kill(pid, SIGKILL); killed = true; break reading }
            }
        }
        // Waited for without reaping, then reaped under the lock `stopAll` takes: its kill can
        // never reach a PID the kernel has already handed to another process.
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
        let status = live.reap(pid)
        if killed {
            return .failure(.init("the webhook sender did not finish within \(Units.format(seconds, .duration)): stopped"))
        }
        let exited = status & 0x7f == 0
        guard exited, (status >> 8) & 0xff == 0 else {
            return .failure(.init(exited ? "the webhook sender failed (exit \((status >> 8) & 0xff))"
                                         : "the webhook sender was killed by signal \(status & 0x7f)"))
        }
        return .success(Data(output))
    }

    struct SenderFailure: Error {
        let why: String
        init(_ why: String) { self.why = why }
    }
}

/// The PIDs of the running senders; `stopAll` kills them and closes the door to new ones.
private final class LiveSenders: @unchecked Sendable {   // every field under `lock`
    private let lock = NSLock()
    private var pids: Set<pid_t> = []
    private var stopped = false

    /// Runs `spawn` (a posix_spawn: its result and the PID it filled) under the lock and records
    /// the PID, so that a `stopAll` cannot fall between the two; nil (nothing run) once stopped.
    func spawn(_ spawn: () -> (rc: Int32, pid: pid_t)) -> Int32? {
        lock.lock(); defer { lock.unlock() }
        guard !stopped else { return nil }
        let started = spawn()
        if started.rc == 0 { pids.insert(started.pid) }
        return started.rc
    }

    /// Reaps an exited sender (its wait status) and forgets its PID, in one step under the lock.
    func reap(_ pid: pid_t) -> Int32 {
        lock.lock(); defer { lock.unlock() }
        pids.remove(pid)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status
    }

    func stopAll() {
        lock.lock(); defer { lock.unlock() }
        stopped = true
        for pid in pids { kill(pid, SIGKILL) }
    }
}
