import Foundation
import XCTest
@testable import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

/// Issue 11 through the built binary: every bad input exits 2 with a message that says what is
/// wrong and what would be right, and nothing runs; faults (full disk, signals while writing,
/// a second writer) lose nothing and lie about nothing.
final class RobustnessTests: EndToEndTestCase {
    // MARK: 1. exec flags: one validation, two front ends

    /// The message `validate` gives for `rawJSON` (the value's JSON text) under KEY or
    /// `PARENT.KEY` of a workload.
    func configMessage(_ key: String, _ rawJSON: String, in dir: String) throws -> String {
        let parts = key.split(separator: ".").map(String.init)
        let member = parts.count == 2 ? "\"\(parts[0])\": {\"\(parts[1])\": \(rawJSON)}" : "\"\(key)\": \(rawJSON)"
        let text = "{\"version\": 1, \"workloads\": [{\"name\": \"w\", \"command\": [\"true\"], \(member)}]}"
        try text.write(toFile: dir + "/probe.json", atomically: true, encoding: .utf8)
        let r = try E2E.cleanroom(["validate", "probe.json"], in: dir)
        XCTAssertEqual(r.code, 2, r.description)
        let line = try XCTUnwrap(r.err.split(separator: "\n").first { $0.contains("workloads[0].\(key): ") }, r.description)
        return String(line[line.range(of: "workloads[0].\(key): ")!.upperBound...])
    }

    func testExecFlagsAreCheckedLikeTheSameKeysInSloJson() throws {
        let dir = E2E.scratch()
        // (flag, value, the slo.json key, the value as written in slo.json, words the message must have)
        let cases: [(flag: String, value: String, key: String, json: String, expect: [String])] = [
            ("--memory", "512", "limits.memory", "512", ["too small", "512MiB"]),
            ("--memory", "18446744073709551615", "limits.memory", "18446744073709551615", ["too large", "at most"]),
            ("--memory", "1e30GiB", "limits.memory", "\"1e30GiB\"", ["too large", "at most"]),
            ("--memory", "0", "limits.memory", "0", ["too small", "at least 1MiB"]),
            ("--timeout", "0", "timeout", "0", ["too small", "above 0s"]),
            ("--timeout", "1e300s", "timeout", "\"1e300s\"", ["too large", "365 days"]),
            ("--cpus", "1e9", "limits.cpus", "1e9", ["out of range", "at most 4096"]),
            ("--pids", "99999999999", "limits.pids", "99999999999", ["out of range", "between 1 and 4194304"]),
            ("--kill-grace", "fortnight", "kill_grace", "\"fortnight\"", ["not a number"]),
            ("--network", "hots", "sandbox.network", "\"hots\"", ["did you mean \"host\""]),
        ]
        for c in cases {
            let r = try E2E.cleanroom(["exec", c.flag, c.value, "--", "touch", "ran"], in: dir)
            XCTAssertEqual(r.code, 2, "\(c.flag) \(c.value): \(r)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/ran"), "exit 2 promises nothing ran: \(c.flag) \(c.value)")
            let prefix = "cleanroom exec: \(c.flag) \(c.value): "
            let line = try XCTUnwrap(r.err.split(separator: "\n").first { $0.hasPrefix(prefix) }, r.description)
            for e in c.expect { XCTAssertTrue(line.contains(e), "\(line) lacks \(e)") }
            // The same words as slo.json's check of the same key: one validation.
            let fromConfig = try configMessage(c.key, c.json, in: dir)
            let fromFlag = String(line.dropFirst(prefix.count))
            XCTAssertEqual(fromFlag, fromConfig, "\(c.flag) \(c.value)")
        }
    }

    func testExecHelpAndUnknownFlags() throws {
        let dir = E2E.scratch()
        let help = try E2E.cleanroom(["exec", "--help"], in: dir)
        XCTAssertEqual(help.code, 0, help.description)
        XCTAssertTrue(help.out.contains("--memory") && help.out.contains("USAGE"), help.out)
        for args in [["--bogus", "--", "touch", "ran"], ["--memroy", "1GiB", "--", "touch", "ran"], ["--json", "-x", "--", "touch", "ran"]] {
            let r = try E2E.cleanroom(["exec"] + args, in: dir)
            XCTAssertEqual(r.code, 2, "\(args): \(r)")
            XCTAssertTrue(r.err.contains("unknown option \(args.first { $0.hasPrefix("-") && $0 != "--json" }!)"), r.err)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/ran"))
        }
        let typo = try E2E.cleanroom(["exec", "--memroy", "1GiB", "--", "true"], in: dir)
        XCTAssertTrue(typo.err.contains("did you mean --memory?"), typo.err)
        // After `--` everything is the command's, --help included.
        let passthrough = try E2E.cleanroom(["exec", "--", "sh", "-c", "echo \"$1\"", "sh", "--help"], in: dir)
        XCTAssertEqual(passthrough.code, 0, passthrough.description)
        XCTAssertEqual(passthrough.out, "--help\n")
    }

    // MARK: 2. bounded reading

    func testInputsThatAreNotRegularFilesOrTooLargeAreRefusedWithoutHanging() throws {
        let dir = E2E.scratch()
        let fifo = dir + "/fifo.json"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let big = dir + "/big.json"
        XCTAssertTrue(FileManager.default.createFile(atPath: big, contents: nil))
        XCTAssertEqual(truncate(big, 65 << 20), 0)   // sparse: stat says 65 MiB, reading gives zeros
        let cases: [([String], String)] = [
            (["validate", "/dev/zero"], "is a character device"),
            (["run", "-c", "/dev/urandom", "-o", "out"], "is a character device"),
            (["validate", fifo], "is a FIFO"),
            (["check", fifo], "is a FIFO"),
            (["check", "/dev/zero"], "is a character device"),
            (["merge", "/dev/zero", "-o", "out"], "is a character device"),
            (["validate", big], "larger than the maximum of 64MiB"),
            (["exec", "--seccomp", "/dev/zero", "--", "touch", "ran"], "is a character device"),
        ]
        for (args, expect) in cases {
            let r = try E2E.cleanroom(args, in: dir)
            XCTAssertEqual(r.code, 2, "\(args): \(r)")
            XCTAssertTrue(r.err.contains(expect), "\(args): \(r.err)")
            XCTAssertTrue(r.err.contains("regular file") || r.err.contains("right file"), "says what would be right: \(r.err)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out"), "nothing written on exit 2")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/ran"), "nothing run on exit 2")
    }

    // MARK: 3. NUL bytes

    func testNulBytesAreRefusedWithTheirJsonPath() throws {
        let dir = E2E.scratch()
        let text = """
        {"version": 1, "workloads": [{"name": "w", "command": ["sh", "-c", "touch ran\\u0000; rm -rf x"],
          "env": {"A": "b\\u0000c"}, "cwd": "sub\\u0000dir"},
          {"name": "bad\\u0000name", "command": ["true"]}]}
        """
        try text.write(toFile: dir + "/slo.json", atomically: true, encoding: .utf8)
        let v = try E2E.cleanroom(["validate", "slo.json"], in: dir)
        XCTAssertEqual(v.code, 2, v.description)
        for path in ["workloads[0].command[2]", "workloads[0].env.A", "workloads[0].cwd", "workloads[1].name"] {
            XCTAssertTrue(v.err.contains("\(path): ") && v.err.contains("NUL"), "\(path) not named: \(v.err)")
        }
        let r = try E2E.cleanroom(["run", "-o", "out"], in: dir)
        XCTAssertEqual(r.code, 2, r.description)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/ran"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out"))
    }

    // MARK: 4. output failures

    /// A tmpfs of `size` mounted at a fresh directory under `dir`, unmounted by the test.
    func smallTmpfs(in dir: String, size: String) throws -> String {
        let mnt = dir + "/small"
        try FileManager.default.createDirectory(atPath: mnt, withIntermediateDirectories: true)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/mount")
        p.arguments = ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", mnt]
        try p.run(); p.waitUntilExit()
        try XCTSkipUnless(p.terminationStatus == 0, "cannot mount a tmpfs here")
        addTeardownBlock { _ = umount2(mnt, Int32(MNT_DETACH)) }
        return mnt
    }

    func testACaptureFileThatCannotBeWrittenIsAnErrorAndTheReportSaysSo() throws {
        let dir = E2E.scratch()
        let mnt = try smallTmpfs(in: dir, size: "400k")
        // 1 MiB of stdout cannot fit; the report (a few KiB) can.
        try E2E.writeConfig(E2E.config(workloads: [["name": "loud", "command": E2E.sh("head -c 1048576 /dev/zero | tr '\\\\0' x")]],
                                       slos: [], defaults: ["repeat": 1]), in: dir)
        let r = try E2E.cleanroom(["run", "-o", mnt + "/out", "--format", "json"], in: dir)
        XCTAssertEqual(r.code, 3, r.description)
        XCTAssertTrue(r.err.contains("stdout.txt could not be written"), r.err)
        let report = try E2E.report(mnt + "/out/report.json")
        XCTAssertEqual(report["verdict"] as? String, "error")
        let w = try XCTUnwrap(E2E.workload(report, "loud"))
        XCTAssertTrue((w["error"] as? String ?? "").contains("stdout.txt could not be written"), "\(w)")
        let run = try XCTUnwrap(E2E.runs(report, "loud").first)
        XCTAssertNil(run["output"], "the report must not point to a capture that is not there")
        XCTAssertFalse(FileManager.default.fileExists(atPath: mnt + "/out/runs/loud/1/stdout.txt"))
    }

    func testAReportThatCannotBeWrittenExits3() throws {
        let dir = E2E.scratch()
        let mnt = try smallTmpfs(in: dir, size: "64k")
        try FileManager.default.createDirectory(atPath: mnt + "/out", withIntermediateDirectories: true)
        // Fill the file system, leaving no room for a report.
        _ = FileManager.default.createFile(atPath: mnt + "/filler", contents: Data(count: 60 << 10))
        _ = FileManager.default.createFile(atPath: mnt + "/filler2", contents: Data(count: 8 << 10))
        try E2E.writeConfig(E2E.config(workloads: [["name": "quiet", "command": ["true"]]], slos: [], defaults: ["repeat": 1]), in: dir)
        let r = try E2E.cleanroom(["run", "-o", mnt + "/out", "--format", "json,html"], in: dir)
        XCTAssertEqual(r.code, 3, r.description)
        XCTAssertTrue(r.err.contains("cannot write") || r.err.contains("could not be written"), r.err)
        XCTAssertFalse(r.out.contains("verdict: PASS"), r.out)
        // Whatever is there is whole: no temporary file left, report.json (if any) parses.
        let names = (try? FileManager.default.contentsOfDirectory(atPath: mnt + "/out")) ?? []
        XCTAssertFalse(names.contains { $0.contains(".tmp-") }, "\(names)")
        if names.contains("report.json") { XCTAssertEqual(try E2E.report(mnt + "/out/report.json")["verdict"] as? String, "error") }
        // `report` into the full directory: exit 3 too.
        try? FileManager.default.removeItem(atPath: mnt + "/filler2")
        try? FileManager.default.removeItem(atPath: mnt + "/out")
        let fixture = TestFixtures.repoRoot.appendingPathComponent("Tests/CleanroomKitTests/Reports/fixtures/fail-report.json").path
        let rr = try E2E.cleanroom(["report", fixture, "-o", mnt + "/out2", "--format", "html"], in: dir)
        XCTAssertEqual(rr.code, 3, rr.description)
        XCTAssertTrue(rr.err.contains("cannot write the reports"), rr.err)
    }

    // MARK: 5. signals during alert delivery

    func testSigintWhileAWebhookHangsExits130WithAnInterruptedReport() throws {
        let server = LoopbackHTTPServer(statuses: [200], delay: 20)
        try server.start()
        defer { server.stop() }
        let dir = E2E.scratch()
        var cfg = E2E.config(workloads: [["name": "w", "command": ["true"]]],
                             slos: [["name": "Never", "workload": "w", "objective": "max(wall_time) < 1ns", "noise": "off"]],
                             defaults: ["repeat": 1])
        cfg["alerts"] = ["webhooks": [["url_env": "HOOK_URL", "on": ["fail"]]]]
        try E2E.writeConfig(cfg, in: dir)
        var env = E2E.environment
        env["HOOK_URL"] = server.url + "/hook"
        let running = try E2E.Running(["run", "-o", "out"], in: dir, env: env)
        // The event: the webhook received the POST and is now holding it.
        while server.requests.isEmpty, running.process.isRunning { usleep(20_000) }
        XCTAssertFalse(server.requests.isEmpty, "the webhook was never called")
        // The webhook sender cleanroom started (docs/alerts.md): it must not outlive cleanroom.
        let senders = Self.children(of: running.pid, named: "cleanroom-webhook")
        XCTAssertEqual(senders.count, 1, "the sender holding the request")
        kill(running.pid, SIGINT)
        let r = running.wait()
        // Its own budget would end it 10 s after it started: dead within 5 s of cleanroom's exit
        // means cleanroom stopped it.
        for pid in senders {
            var gone = false
            for _ in 0..<250 where !gone { gone = Self.isGone(pid); if !gone { usleep(20_000) } }
            XCTAssertTrue(gone, "the webhook sender \(pid) outlived cleanroom")
        }
        print("exit \(r.code) \(String(format: "%.2f", r.seconds)) s after start, webhook still held: \(server.requests.count == 1)")
        XCTAssertEqual(r.code, 130, r.description)
        XCTAssertTrue(r.err.contains("interrupted"), r.err)
        let report = try E2E.report(dir + "/out/report.json")
        XCTAssertEqual(report["verdict"] as? String, "interrupted")
        let alerts = report["alerts"] as? [[String: Any]] ?? []
        XCTAssertEqual(alerts.first?["status"] as? String, "pending", "\(alerts)")
        XCTAssertEqual(server.requests.count, 1, "cleanroom exited while the webhook still held the only request")
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: dir + "/out")) ?? []
        XCTAssertFalse(leftovers.contains { $0.contains(".tmp-") }, "\(leftovers)")
    }

    /// Children of `parent` whose command name (`/proc/PID/comm`) is `name`.
    static func children(of parent: pid_t, named name: String) -> [pid_t] {
        let all = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return all.compactMap { pid_t($0) }.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.range(of: ")", options: .backwards),
                  let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8) else { return false }
            let fields = stat[close.upperBound...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == parent && comm.trimmingCharacters(in: .newlines) == String(name.prefix(15))
        }
    }

    /// Whether `pid` has exited: no such process, or a zombie not yet reaped.
    static func isGone(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.range(of: ")", options: .backwards) else { return true }
        return stat[close.upperBound...].split(separator: " ").first == "Z"
    }

    // MARK: 7. one writer per output directory

    func testASecondWriterWaitsThenExits2NamingTheHolder() throws {
        let dir = E2E.scratch()
        try E2E.writeConfig(E2E.config(workloads: [["name": "slow", "command": E2E.sh("touch \(dir)/started; sleep 30")]],
                                       slos: [], defaults: ["repeat": 1]), in: dir)
        let first = try E2E.Running(["run", "-o", "out"], in: dir, env: E2E.environment)
        while !FileManager.default.fileExists(atPath: dir + "/started"), first.process.isRunning { usleep(20_000) }
        XCTAssertTrue(first.process.isRunning, "the first run ended early")
        try E2E.writeConfig(E2E.config(workloads: [["name": "other", "command": E2E.sh("touch \(dir)/second-ran")]],
                                       slos: [], defaults: ["repeat": 1]), in: dir, name: "two.json")
        var env = E2E.environment
        env["CLEANROOM_LOCK_WAIT"] = "0.5"
        let second = try E2E.cleanroom(["run", "-c", "two.json", "-o", "out"], in: dir, env: env)
        XCTAssertEqual(second.code, 2, second.description)
        XCTAssertTrue(second.err.contains("in use by another cleanroom (pid \(first.pid), cleanroom run"), second.err)
        XCTAssertTrue(second.err.contains("-o"), "says what would be right: \(second.err)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/second-ran"), "nothing run on exit 2")
        let fixture = TestFixtures.repoRoot.appendingPathComponent("Tests/CleanroomKitTests/Reports/fixtures/pass-report.json").path
        let rerender = try E2E.cleanroom(["report", fixture, "-o", "out"], in: dir, env: env)
        XCTAssertEqual(rerender.code, 2, rerender.description)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out/report.html"), "the second writer wrote nothing")
        kill(first.pid, SIGINT)
        XCTAssertEqual(first.wait().code, 130)
        // The lock went with the first process: the directory is usable again at once.
        let again = try E2E.cleanroom(["report", fixture, "-o", "out", "--format", "json"], in: dir, env: env)
        XCTAssertEqual(again.code, 0, again.description)
    }

    // MARK: 8. report input validated

    func testReportInputsAreCheckedAgainstTheReportShape() throws {
        let dir = E2E.scratch()
        let fixture = TestFixtures.repoRoot.appendingPathComponent("Tests/CleanroomKitTests/Reports/fixtures/pass-report.json").path
        let good = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixture))) as? [String: Any])
        func write(_ obj: [String: Any], _ name: String) throws -> String {
            try JSONSerialization.data(withJSONObject: obj).write(to: URL(fileURLWithPath: dir + "/" + name))
            return dir + "/" + name
        }
        var noWorkloads = good; noWorkloads["workloads"] = nil
        var swapped = good
        var wl = (swapped["workloads"] as! [[String: Any]])
        var runs = wl[0]["runs"] as! [[String: Any]]
        runs[0]["outcome"] = 7
        wl[0]["runs"] = runs
        swapped["workloads"] = wl
        let cases: [(String, String)] = [
            (try write(noWorkloads, "no-workloads.json"), "workloads (line 1, column 1): missing key \"workloads\""),
            (try write(swapped, "swapped.json"), "workloads[0].runs[0].outcome"),
        ]
        for (path, expect) in cases {
            for args in [["check", path], ["report", path, "-o", "out"], ["merge", path, "-o", "out"], ["compare", fixture, path]] {
                let r = try E2E.cleanroom(args, in: dir)
                XCTAssertEqual(r.code, 2, "\(args): \(r)")
                XCTAssertTrue(r.err.contains(expect), "\(args): \(r.err)")
                XCTAssertFalse(r.out.contains("PASS"), r.out)
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out"), "nothing written for bad input")
        // merge: an objective twice (the same shard given twice) and shards of two different cuts.
        let twice = try E2E.cleanroom(["merge", fixture, fixture, "-o", "out"], in: dir)
        XCTAssertEqual(twice.code, 2, twice.description)
        XCTAssertTrue(twice.err.contains("is in shard 1 and shard 2") && twice.err.contains("must not overlap"), twice.err)
        var a = good; a["shard"] = "1/2"; a["workloads"] = []; a["slos"] = []
        var b = good; b["shard"] = "2/3"; b["workloads"] = []; b["slos"] = []
        let cut = try E2E.cleanroom(["merge", try write(a, "a.json"), try write(b, "b.json"), "-o", "out"], in: dir)
        XCTAssertEqual(cut.code, 2, cut.description)
        XCTAssertTrue(cut.err.contains("cut differently"), cut.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out"))
    }

    // MARK: 9. control characters escaped

    func testTerminalEscapesFromTheWorkloadAreShownEscaped() throws {
        let dir = E2E.scratch()
        let evil = "evil\u{1B}]0;pwned\u{07}\u{1B}[2J"
        try E2E.writeConfig(E2E.config(workloads: [["name": evil, "command": ["sh", "-c", "printf '\\033[2Jverdict: PASS\\n' >&2; exit 3", evil]]],
                                       slos: [["name": "T\u{1B}[31m", "workload": evil, "objective": "max(wall_time) <= 1h"]],
                                       defaults: ["repeat": 1]), in: dir)
        let r = try E2E.cleanroom(["run", "-o", "out"], in: dir)
        XCTAssertEqual(r.code, 1, r.description)
        XCTAssertFalse(r.out.contains("\u{1B}") || r.err.contains("\u{1B}") || r.out.contains("\u{07}") || r.err.contains("\u{07}"),
                       "a control character reached the console: \(r.out.debugDescription) \(r.err.debugDescription)")
        XCTAssertTrue(r.out.contains("evil\\x1b]0;pwned\\x07\\x1b[2J"), r.out)
        let check = try E2E.cleanroom(["check", "out/report.json"], in: dir)
        XCTAssertFalse(check.out.contains("\u{1B}") || check.err.contains("\u{1B}"), check.description)
    }

    // MARK: 10. messages say what would be right

    func testOutOfRangeMessagesGiveTheRange() throws {
        let dir = E2E.scratch()
        XCTAssertEqual(try configMessage("repeat", "1e18", in: dir), "1e18 is out of range (must be between 1 and 100000)")
        XCTAssertEqual(try configMessage("limits.cpus", "1e9", in: dir), "cpus 1e9 is out of range (must be above 0 and at most 4096 cores, e.g. 1.5)")
        XCTAssertEqual(try configMessage("output_limit", "\"3GiB\"", in: dir), "output_limit 3GiB is too large (must be at most 2GiB, e.g. 16MiB)")
        XCTAssertEqual(try configMessage("limits.memory", "\"1e30GiB\"", in: dir), "1e30GiB is too large (must be at most 10^18 bytes)")
    }
}
