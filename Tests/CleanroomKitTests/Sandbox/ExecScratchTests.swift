import Foundation
import XCTest
@testable import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

/// `cleanroom exec`'s scratch space through the built binary (docs/sandbox.md "Scratch space"):
/// symlinks an unprivileged user plants are never followed, and the directory is gone after every
/// exit path, or swept by the next `exec` after a SIGKILL. Each test gives `exec` its own TMPDIR,
/// sticky and world-writable like /tmp, so what `nobody` plants there is real and contained.
final class ExecScratchTests: XCTestCase {
    var binary = ""
    var tmp = ""
    var parent: String { tmp + "/cleanroom-\(geteuid())" }

    override func setUpWithError() throws {
        try XCTSkipUnless(geteuid() == 0, "root needed")
        binary = TestFixtures.repoRoot.appendingPathComponent(".build/debug/cleanroom").path
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: binary), "build the cleanroom executable first")
        var template = Array("/tmp/cleanroom-scratch-test-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else { throw XCTSkip("mkdtemp failed") }
        tmp = String(cString: template)
        chmod(tmp, 0o1777)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: tmp) }

    func start(_ args: [String], cwd: String = SandboxTest.scratch(), env extra: [String: String] = [:],
               unset: [String] = []) throws -> (Process, Pipe, Pipe) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["exec"] + args
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        var env = ProcessInfo.processInfo.environment
        env["XDG_RUNTIME_DIR"] = nil
        env["TMPDIR"] = tmp
        for (k, v) in extra { env[k] = v }
        for k in unset { env[k] = nil }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        return (p, out, err)
    }

    func exec(_ args: [String], env: [String: String] = [:], unset: [String] = []) throws -> (code: Int32, out: String, err: String, pid: pid_t) {
        let (p, out, err) = try start(args, env: env, unset: unset)
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self), p.processIdentifier)
    }

    /// Runs `script` with sh as user nobody (uid/gid 65534, no supplementary groups); its stdout.
    @discardableResult
    func asNobody(_ script: String, _ args: [String] = []) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { throw XCTSkip("setpriv (util-linux) not installed") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        p.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", "--", "/bin/sh", "-c", script, "sh"] + args
        p.environment = ["PATH": "/usr/bin:/bin"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "as nobody: \(script)")
        return String(decoding: o, as: UTF8.self)
    }

    func entries(_ dir: String) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() }

    /// Files the test owns, where planted symlinks point: they must come through untouched.
    func victim() throws -> (dir: String, check: () -> Void) {
        let dir = SandboxTest.scratch() + "/victim"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let names = ["stdout.txt", "stderr.txt", "metrics.jsonl"]
        for n in names { try "precious \(n)\n".write(toFile: dir + "/" + n, atomically: false, encoding: .utf8) }
        return (dir, {
            XCTAssertEqual(self.entries(dir), names.sorted(), "nothing was added to the victim directory")
            for n in names {
                XCTAssertEqual(try? String(contentsOfFile: dir + "/" + n, encoding: .utf8), "precious \(n)\n", "\(n) was written through a symlink")
            }
        })
    }

    /// The old predictable names (`$TMPDIR/cleanroom-exec-<pid>`), planted by nobody for the next
    /// 3000 PIDs as symlinks to the test's files, are never used: exec runs, in its own place.
    func testSymlinksAtThePredictableOldPathAreNeverFollowed() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else { throw XCTSkip("/usr/bin/python3 needed to plant without forking") }
        let (dir, check) = try victim()
        // One process plants them all (a shell loop would use up the PIDs it plants for).
        let last = try asNobody("""
            exec /usr/bin/python3 -c 'import os, sys
            t, v = sys.argv[1], sys.argv[2]
            last = int(open("/proc/sys/kernel/ns_last_pid").read()); top = int(open("/proc/sys/kernel/pid_max").read())
            for i in range(1, 3000): os.symlink(v, "%s/cleanroom-exec-%d" % (t, (last + i) % top))
            print(last)' "$1" "$2"
            """, [tmp, dir])
        let r = try exec(["--", "sh", "-c", "echo hello; echo oops >&2"])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertEqual(r.out, "hello\n")
        XCTAssertTrue(r.err.hasPrefix("oops\n"), r.err)
        let planted = "\(tmp)/cleanroom-exec-\(r.pid)"
        XCTAssertEqual((try? FileManager.default.destinationOfSymbolicLink(atPath: planted)), dir,
                       "exec's PID \(r.pid) was planted for (after \(last.trimmingCharacters(in: .whitespacesAndNewlines)))")
        check()
        var st = stat()
        XCTAssertNotEqual(lstat(parent, &st), 0, "the run's directory is gone, and the private parent it left empty")
    }

    /// nobody makes exec's private parent first — a symlink to the test's files, or a directory
    /// of its own with symlinks inside: exec refuses with exit 3 and a reason, writes nothing.
    func testAParentPlantedByAnotherUserIsRefusedWithExit3() throws {
        let (dir, check) = try victim()
        let cases: [(plant: String, reason: String)] = [
            ("ln -s \"$2\" \"$1\"", "is a symbolic link"),
            ("mkdir -m 0777 \"$1\" && for f in stdout.txt stderr.txt metrics.jsonl; do ln -s \"$2/$f\" \"$1/$f\"; done", "is owned by uid 65534, not 0"),
        ]
        for c in cases {
            try asNobody(c.plant, [parent, dir])
            let r = try exec(["--", "sh", "-c", "echo ran > ran.txt"])
            XCTAssertEqual(r.code, 3, r.err)
            XCTAssertTrue(r.err.contains("scratch space: \(parent) \(c.reason): another user may have made it"), r.err)
            XCTAssertEqual(r.out, "")
            check()
            try FileManager.default.removeItem(atPath: parent)   // the link itself, or nobody's directory
        }
        // Ours but open to others (made with a loose umask, say): refused too, never chmod'ed.
        XCTAssertEqual(mkdir(parent, 0o755), 0)
        chmod(parent, 0o755)
        let loose = try exec(["--", "true"])
        XCTAssertEqual(loose.code, 3)
        XCTAssertTrue(loose.err.contains("is open to other users (mode 0755, expected 0700)"), loose.err)
    }

    /// Capture and metrics files are made afresh (unlink, then O_EXCL|O_NOFOLLOW): a symlink at
    /// their name — in `cleanroom run`'s output directories too — is replaced, its target untouched.
    func testCaptureFilesReplaceAPlantedSymlinkInsteadOfFollowingIt() throws {
        let (dir, check) = try victim()
        var req = SandboxTest.request(["sh", "-c", "echo out; echo '{\"name\": \"x\", \"value\": 1}' >> $CLEANROOM_METRICS"])
        req.metricsFile = true
        try FileManager.default.createDirectory(atPath: req.outputDirectory, withIntermediateDirectories: true)
        for f in ["stdout.txt", "stderr.txt", "metrics.jsonl"] { XCTAssertEqual(symlink(dir + "/" + f, req.outputDirectory + "/" + f), 0) }
        let r = try Sandbox.run(req)
        XCTAssertEqual(r.outcome, .ok, r.detail ?? "")
        XCTAssertEqual(SandboxTest.stdout(req), "out\n")
        for f in ["stdout.txt", "stderr.txt", "metrics.jsonl"] {
            XCTAssertNil(try? FileManager.default.destinationOfSymbolicLink(atPath: req.outputDirectory + "/" + f), "\(f) is a regular file now")
        }
        XCTAssertEqual(try? String(contentsOfFile: req.outputDirectory + "/metrics.jsonl", encoding: .utf8), "{\"name\": \"x\", \"value\": 1}\n")
        check()
    }

    /// `exec`'s capture stays in memory (`captureInMemory`): the record carries the kept tails and
    /// no stdout.txt or stderr.txt is made; only the metrics file the run binds is in the directory.
    func testACaptureKeptInMemoryMakesNoFiles() throws {
        var req = SandboxTest.request(["sh", "-c", "echo out; printf '0123456789' >&2"], outputLimit: 4)
        req.metricsFile = true
        req.captureInMemory = true
        let r = try Sandbox.run(req)
        XCTAssertEqual(r.outcome, .ok, r.detail ?? "")
        XCTAssertNil(r.output, "no capture files to name")
        XCTAssertEqual(r.capture.map { String(decoding: $0.stdout, as: UTF8.self) }, "out\n")
        XCTAssertEqual(r.capture.map { String(decoding: $0.stderr, as: UTF8.self) }, "6789", "the kept tail")
        XCTAssertEqual(r.capture?.truncated, true)
        XCTAssertEqual(entries(req.outputDirectory), ["metrics.jsonl"])
        // Not in what is encoded (report.json, `exec --json` adds the text itself).
        let json = String(decoding: try JSONEncoder().encode(r), as: UTF8.self)
        XCTAssertFalse(json.contains("capture") || json.contains("6789"), json)
    }

    /// A private XDG_RUNTIME_DIR is preferred; one that others can enter is ignored.
    func testTheRuntimeDirectoryIsUsedOnlyWhenPrivate() throws {
        let xdg = SandboxTest.scratch() + "/xdg"
        XCTAssertEqual(mkdir(xdg, 0o700), 0)
        let ok = try exec(["--", "sh", "-c", "echo $CLEANROOM_METRICS"], env: ["XDG_RUNTIME_DIR": xdg])
        XCTAssertEqual(ok.code, 0, ok.err)
        XCTAssertTrue(ok.out.hasPrefix("\(xdg)/cleanroom/cr-\(ok.pid)-"), ok.out)
        XCTAssertTrue(ok.out.hasSuffix("/metrics.jsonl\n"), ok.out)
        XCTAssertFalse(FileManager.default.fileExists(atPath: xdg + "/cleanroom"), "removed once empty")
        chmod(xdg, 0o755)
        let open = try exec(["--", "sh", "-c", "echo $CLEANROOM_METRICS"], env: ["XDG_RUNTIME_DIR": xdg])
        XCTAssertTrue(open.out.hasPrefix("\(parent)/cr-\(open.pid)-"), open.out)
    }

    /// Without TMPDIR (and no private runtime directory) the scratch is in /dev/shm when that is a
    /// tmpfs: in memory, where making and removing it costs microseconds instead of a disk's
    /// metadata writes. The run does not see the host's /dev/shm — its own is empty but for the
    /// metrics file, bound back at its path — and what it appends there is read.
    func testWithoutTMPDIRTheScratchIsInMemoryAndTheRunSeesOnlyItsOwnFile() throws {
        try XCTSkipUnless(FileTree.isTmpfs("/dev/shm"), "/dev/shm is not a tmpfs here")
        let shmParent = "/dev/shm/cleanroom-\(geteuid())"
        let sibling = shmParent + "/cr-\(RunID.ownerPID)-\(RunID.ownerStart)-exec-live"   // a live exec's directory, as the sweep sees it
        XCTAssertTrue(mkdir(shmParent, 0o700) == 0 || errno == EEXIST)
        XCTAssertEqual(mkdir(sibling, 0o700), 0)
        defer { rmdir(sibling); rmdir(shmParent) }
        let script = #"echo "$CLEANROOM_METRICS"; find /dev/shm | sort | tr '\n' ' '; echo '{"name":"shm","value":7}' >> "$CLEANROOM_METRICS""#
        let r = try exec(["--json", "--", "sh", "-c", script], unset: ["TMPDIR"])
        XCTAssertEqual(r.code, 0, r.err)
        let record = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any], r.out)
        let lines = (record["stdout"] as? String ?? "").split(separator: "\n").map(String.init)
        let metrics = try XCTUnwrap(lines.first, "\(record)")
        XCTAssertTrue(metrics.hasPrefix(shmParent + "/cr-\(r.pid)-") && metrics.hasSuffix("/metrics.jsonl"), metrics)
        let dir = (metrics as NSString).deletingLastPathComponent
        XCTAssertEqual(lines.dropFirst().first, "/dev/shm \(shmParent) \(dir) \(metrics) ",
                       "the run's own /dev/shm: the path to its metrics file and nothing else (no host file, no sibling)")
        let custom = (record["custom"] as? [String: Any])?["shm"] as? [String: Any]
        XCTAssertEqual(custom?["values"] as? [Double], [7], "\(record["custom"] ?? "none")")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir), "the scratch directory is removed")
        XCTAssertTrue(FileManager.default.fileExists(atPath: sibling), "another exec's directory is left alone")
    }

    /// A workload that swaps its metrics file for a FIFO (it can, under `filesystem: host`) made
    /// `exec` hang for ever after the run, in the read of the file. Now the record says the file
    /// was not read and exec exits. The process is waited for as an event; a guard kills it (by
    /// PID, it is ours) if it never ends, so a regression fails instead of hanging the suite.
    func testAFIFOLeftAtTheMetricsPathDoesNotHangExec() throws {
        let (p, out, err) = try start(["--json", "--filesystem", "host", "--", "sh", "-c", #"rm "$CLEANROOM_METRICS" && mkfifo "$CLEANROOM_METRICS""#])
        let ended = DispatchSemaphore(value: 0)
        Thread.detachNewThread { p.waitUntilExit(); ended.signal() }
        if ended.wait(timeout: .now() + 60) == .timedOut {
            kill(p.processIdentifier, SIGKILL)
            ended.wait()
            XCTFail("exec never ended: it blocked on the FIFO")
            return
        }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(p.terminationStatus, 0, e)
        let record = try XCTUnwrap(try JSONSerialization.jsonObject(with: o) as? [String: Any], e)
        let malformed = record["custom_malformed"] as? [String: Any]
        XCTAssertTrue((malformed?["examples"] as? [String])?.first?.contains("FIFO") == true, "\(record)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: parent), "the scratch directory, FIFO and all, is removed: \(entries(parent))")
    }

    /// Gone after a plain run, --json, a failing workload and a sandbox set-up failure (exit 3).
    func testScratchDirectoryIsRemovedOnEveryExitPath() throws {
        let bad = SandboxTest.scratch() + "/bad-profile.json"
        try "[]".write(toFile: bad, atomically: true, encoding: .utf8)
        for (args, code) in [(["--", "/bin/true"], Int32(0)), (["--json", "--", "/bin/true"], 0),
                             (["--", "/bin/sh", "-c", "exit 7"], 7), (["--seccomp", bad, "--", "true"], 3)] {
            let r = try exec(args)
            XCTAssertEqual(r.code, code, "\(args): \(r.err)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: parent), "\(args): \(entries(parent)) left behind")
        }
    }

    /// Starts a run that records its scratch directory and then waits; returns exec and that directory.
    func startWaitingRun(marker: String) throws -> (Process, String) {
        let cwd = SandboxTest.scratch()
        let (p, _, _) = try start(["--", "sh", "-c", "echo $CLEANROOM_METRICS > ready.tmp && mv ready.tmp ready; sleep 600", marker], cwd: cwd)
        // Wait for the event (the workload is running), not for a time.
        var polls = 0
        while !FileManager.default.fileExists(atPath: cwd + "/ready") && p.isRunning && polls < 3000 { usleep(20_000); polls += 1 }
        let metrics = try XCTUnwrap(try? String(contentsOfFile: cwd + "/ready", encoding: .utf8), "the workload never started")
        let dir = (metrics.trimmingCharacters(in: .whitespacesAndNewlines) as NSString).deletingLastPathComponent
        XCTAssertTrue(dir.hasPrefix(parent + "/cr-\(p.processIdentifier)-"), dir)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir), "the scratch directory exists during the run")
        // The private parent, while a run uses it: a real directory, ours, 0700.
        var st = stat()
        XCTAssertEqual(lstat(parent, &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFDIR)
        XCTAssertEqual(st.st_mode & 0o7777, 0o700)
        XCTAssertEqual(st.st_uid, geteuid())
        return (p, dir)
    }

    func testSIGINTAndSIGTERMMidRunRemoveTheScratchDirectory() throws {
        for sig in [SIGINT, SIGTERM] {
            let marker = "cleanroom-scratch-sig-\(UUID().uuidString.prefix(8))"
            let (p, dir) = try startWaitingRun(marker: marker)
            kill(p.processIdentifier, sig)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 130, "signal \(sig)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir), "signal \(sig): \(dir) left behind")
            XCTAssertFalse(FileManager.default.fileExists(atPath: parent), "signal \(sig): \(entries(parent)) left behind")
            SandboxTest.assertNothingLeft(marker: marker)
        }
    }

    /// A SIGKILLed exec leaves its directory; the next exec's start removes it — and nothing of a
    /// live owner, nothing of another user, nothing not named by this scheme.
    func testTheNextExecSweepsADeadOwnersDirectoryOnly() throws {
        let marker = "cleanroom-scratch-kill-\(UUID().uuidString.prefix(8))"
        let (p, dead) = try startWaitingRun(marker: marker)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTAssertTrue(FileManager.default.fileExists(atPath: dead), "SIGKILL leaves the directory (what the sweep is for)")
        let live = parent + "/cr-\(RunID.ownerPID)-\(RunID.ownerStart)-exec-live01"
        let foreign = parent + "/cr-4194303-1-exec-other1"
        let unrelated = parent + "/notes"
        for d in [live, foreign, unrelated] { XCTAssertEqual(mkdir(d, 0o700), 0, d) }
        chown(foreign, 65534, 65534)
        let r = try exec(["--", "true"])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dead), "the dead owner's directory was swept")
        XCTAssertEqual(entries(parent), [live, foreign, unrelated].map { ($0 as NSString).lastPathComponent }.sorted())
        // The killed exec's run (its cgroup, its sleep) is a leftover too: swept here, as any
        // cleanroom start does in the background.
        Sandbox.sweepLeftovers()
        SandboxTest.assertNothingLeft(marker: marker)
    }

    /// A dead cleanroom's cgroups (an owner PID that cannot exist) are removed by the next `exec`,
    /// whose leftover scan runs on a prewarm thread beside the probe and the filter; a live owner's
    /// group stays. Every hierarchy of this host.
    func testTheNextExecRemovesADeadOwnersCgroups() throws {
        let backend = SandboxHost.current.backend
        guard !backend.parents.isEmpty else { throw XCTSkip("no cgroups on this host") }
        let dead = "cr-4194303-1-7"
        defer { for p in backend.parents { _ = rmdir(p + "/" + dead) } }   // when the test fails
        for p in backend.parents {
            try SysFS.mkdir(p)
            try SysFS.mkdir(p + "/" + dead)
        }
        let mine = try backend.create(name: RunID.next(), limits: Limits(), device: nil)
        defer { _ = backend.remove(mine) }
        let r = try exec(["--", "true"])
        XCTAssertEqual(r.code, 0, r.err)
        for p in backend.parents {
            XCTAssertFalse(FileManager.default.fileExists(atPath: p + "/" + dead), "\(p)/\(dead) left after the exec")
        }
        for d in mine.directories { XCTAssertTrue(FileManager.default.fileExists(atPath: d), "a live owner's group stays: \(d)") }
    }
}
