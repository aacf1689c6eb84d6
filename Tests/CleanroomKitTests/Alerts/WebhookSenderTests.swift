import Foundation
import XCTest
@testable import CleanroomKit

/// Webhooks are sent by a helper executable, `cleanroom-webhook` (Alerts/WebhookTransport.swift),
/// so that the HTTP stack is not in the `cleanroom` binary every command loads. What that split
/// must keep: the URL and the secret never in an argument list or an environment, a sender that is
/// missing, fails or hangs is a `failed` alert with the reason (never a hang of cleanroom), and
/// the `cleanroom` binary holds none of the HTTP stack. AlertsTests and AlertRedirectTests send
/// through the real sender to real local servers.
final class WebhookSenderTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "webhook-sender-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: dir)
        super.tearDown()
    }

    /// The real sender, built beside the `cleanroom` the end-to-end tests run.
    static var builtSender: String {
        URL(fileURLWithPath: E2E.binary).deletingLastPathComponent().appendingPathComponent("cleanroom-webhook").path
    }

    func request(budget: Double = 10) -> WebhookRequest {
        WebhookRequest(url: "https://hooks.example.com/services/T000/B000/very-secret-token", display: "hooks.example.com",
                       format: "json", headers: ["Content-Type": "application/json"], body: Data("{\"a\":1}".utf8),
                       secret: "the-signing-secret",
                       policy: AlertPolicy(maxAttempts: 1, initialBackoff: 0.1, requestTimeout: 1, totalBudget: budget),
                       proxyEnvironment: ["https_proxy": "http://proxy:3128"])
    }

    /// A stand-in sender: a shell script with `body` after a line that records its PID.
    func script(_ name: String, _ body: String) throws -> String {
        let path = dir + "/" + name
        try ("#!/bin/sh\necho $$ > \"\(dir)/\(name).pid\"\n" + body + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(chmod(path, 0o755), 0)
        return path
    }

    func testTheRequestReachesTheSenderOnItsStdinOnlyAndItsAnswerIsTheResult() throws {
        let sender = try script("sender", """
        { echo "ARGS: $0 $*"; env; } > "\(dir)/seen.txt"
        cat > "\(dir)/stdin.json"
        printf '%s' '{"target":"hooks.example.com","format":"json","status":"delivered","attempts":2,"http_status":204}'
        """)
        let result = WebhookTransport.post(request(), sender: sender)
        XCTAssertEqual(result, AlertResult(target: "hooks.example.com", format: "json", status: "delivered", attempts: 2,
                                           httpStatus: 204))
        let seen = try String(contentsOfFile: dir + "/seen.txt", encoding: .utf8)
        XCTAssertTrue(seen.hasPrefix("ARGS: \(sender) \n"), seen)
        for secret in ["very-secret-token", "the-signing-secret"] {
            XCTAssertFalse(seen.contains(secret), "\(secret) in the sender's arguments or environment")
        }
        let handed = try JSONDecoder().decode(WebhookRequest.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/stdin.json")))
        XCTAssertEqual(handed, request())
    }

    func testASenderThatHangsIsKilledAtItsBudgetAndTheAlertSaysSo() throws {
        let sender = try script("hangs", "exec sleep 1000")
        let started = Date()
        let outcome = WebhookTransport.run(sender, input: Data("{}".utf8), seconds: 0.5)
        guard case .failure(let f) = outcome else { return XCTFail("a hung sender gave \(outcome)") }
        XCTAssertEqual(f.why, "the webhook sender did not finish within 500ms: stopped")
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.5)
        // Killed and reaped by cleanroom: its PID names no process any more.
        let pid = try XCTUnwrap(pid_t(String(contentsOfFile: dir + "/hangs.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        XCTAssertEqual(kill(pid, 0), -1)
        XCTAssertEqual(errno, ESRCH)
    }

    func testASenderThatFailsOrAnswersNothingUsableIsAFailedAlertWithTheReason() throws {
        let cases: [(String, String)] = [
            ("exit 3", "the webhook sender failed (exit 3)"),
            ("kill -9 $$", "the webhook sender was killed by signal 9"),
            ("echo 'not json'", "the webhook sender gave no result"),
            ("exit 0", "the webhook sender gave no result"),
        ]
        for (i, (body, why)) in cases.enumerated() {
            let result = WebhookTransport.post(request(), sender: try script("s\(i)", body))
            XCTAssertEqual(result, AlertResult(target: "hooks.example.com", format: "json", status: "failed", attempts: 0,
                                               error: why), body)
        }
    }

    func testWithoutASenderTheAlertFailsSayingSo() {
        let result = WebhookTransport.post(request(), sender: nil)
        XCTAssertEqual(result.status, "failed")
        XCTAssertEqual(result.error, "the webhook sender (cleanroom-webhook) is not installed beside cleanroom: reinstall cleanroom")
    }

    /// The real sender given what is not a request: exit 2, and not a word on stdout or stderr
    /// (whatever it said could only be about what it was handed).
    func testTheSenderRefusesWhatIsNotARequestSilently() throws {
        let sender = Self.builtSender
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: sender), "build cleanroom-webhook first")
        for input in ["", "not json", "{\"url\": \"https://hooks.example.com/x\"}", String(repeating: "x", count: 17 << 20)] {
            let file = dir + "/input"
            try input.write(toFile: file, atomically: true, encoding: .utf8)
            let r = try E2E.combinedOutput("/bin/sh", ["-c", "\"$0\" < \"$1\"", sender, file])
            XCTAssertEqual(r.status, 2, "input of \(input.utf8.count) bytes")
            XCTAssertEqual(r.text, "", "input of \(input.utf8.count) bytes")
        }
    }

    /// An installed prefix's libexec first, then the executable's own directory (a build
    /// directory); only an executable regular file counts.
    func testTheSenderIsFoundBesideTheExecutableOnly() throws {
        let fm = FileManager.default
        for d in ["p/bin", "p/libexec/cleanroom", "build", "plain/bin", "plain/libexec/cleanroom/cleanroom-webhook"] {
            try fm.createDirectory(atPath: dir + "/" + d, withIntermediateDirectories: true)
        }
        let installed = try script("p/libexec/cleanroom/cleanroom-webhook", "exit 0")
        let built = try script("build/cleanroom-webhook", "exit 0")
        try "not executable".write(toFile: dir + "/plain/bin/cleanroom-webhook", atomically: true, encoding: .utf8)
        XCTAssertEqual(WebhookTransport.senderPath(besideExecutable: dir + "/p/bin/cleanroom"),
                       dir + "/p/bin/../libexec/cleanroom/cleanroom-webhook")
        XCTAssertEqual(URL(fileURLWithPath: WebhookTransport.senderPath(besideExecutable: dir + "/p/bin/cleanroom")!).standardized.path,
                       URL(fileURLWithPath: installed).standardized.path)
        XCTAssertEqual(WebhookTransport.senderPath(besideExecutable: dir + "/build/cleanroom"), built)
        // A directory at the libexec path and a file without the x bit: neither is a sender.
        XCTAssertNil(WebhookTransport.senderPath(besideExecutable: dir + "/plain/bin/cleanroom"))
    }

    /// The point of the split: the binary every command loads holds none of SwiftNIO,
    /// async-http-client, swift-crypto or BoringSSL (their names would be in its symbols and
    /// its reflection metadata), and the sender does.
    func testTheCleanroomBinaryHoldsNoHTTPStackAndTheSenderDoes() throws {
        let sender = Self.builtSender
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: E2E.binary), "build the cleanroom executable first")
        func holds(_ binary: String) throws -> [String] {
            try ["AsyncHTTPClient", "NIOPosix", "CCryptoBoringSSL", "NIOSSL"].filter { name in
                let r = try E2E.combinedOutput("/bin/grep", ["-q", "-a", "-F", name, binary])
                XCTAssertTrue(r.status == 0 || r.status == 1, "grep: \(r.text)")
                return r.status == 0
            }
        }
        XCTAssertEqual(try holds(E2E.binary), [])
        XCTAssertEqual(try holds(sender), ["AsyncHTTPClient", "NIOPosix", "CCryptoBoringSSL", "NIOSSL"])
    }
}
