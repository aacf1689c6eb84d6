import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import CleanroomKit

/// Issue 14: a root workload tries to leave. Every attempt is made with seccomp off (the kernel and
/// the mounts must refuse on their own) and is harmless even where a protection were missing: a
/// sysctl gets its own value written back, cgroup writes aim only at the run's own group (the only
/// one visible), mounts would land in the run's private mount namespace.
final class SandboxEscapeTests: XCTestCase {
    static let modes: [FilesystemMode] = [.host, .privateTmp, .readonly]

    override func setUpWithError() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root: the workload runs as uid 0") }
        guard SandboxHost.current.backend.mode != .none else { throw XCTSkip("needs cgroups") }
    }

    func run(_ script: String, _ mode: FilesystemMode, limits: Limits = Limits(), seccomp: SeccompMode = .none,
             env: [String: String] = [:]) throws -> (RunRecord, String) {
        let req = SandboxTest.request(["sh", "-c", script], limits: limits, settings: SandboxSettings(seccomp: seccomp, filesystem: mode), env: env)
        let r = try Sandbox.run(req)
        return (r, SandboxTest.stdout(req) + SandboxTest.stderr(req))
    }

    /// cleanroom's own `cleanroom` parent groups, as the host names them: the only place outside
    /// its group a hostile test may try to move a run (never the host's root or anyone else's).
    static var ownParents: [String] {
        switch SandboxHost.current.backend {
        case let v1 as CgroupV1Backend: return v1.parents
        case let v2 as CgroupV2Backend: return [v2.parent]
        default: return []
        }
    }

    /// No cgroupfs mount in the run's table is writable or shows more than the run's own group;
    /// moving into cleanroom's parent group, making a group there and mounting a hierarchy of its
    /// own are refused; and afterwards the limits still hold: allocating past `memory` ends `oom`.
    func testCgroupEscapesAreRefusedAndTheLimitStillHolds() throws {
        let parents = Self.ownParents
        XCTAssertFalse(parents.isEmpty)
        for mode in Self.modes {
            let (r, out) = try run("""
                grep -E ' - (cgroup|cgroup2) ' /proc/self/mountinfo | while read id parent dev root point opts rest; do
                  case "$opts" in ro,*|ro) ;; *) echo "writable cgroup mount $point";; esac
                  [ "$root" = / ] || echo "cgroup mount $point shows $root"
                done
                for d in $CR_PARENTS; do
                  echo $$ 2>/dev/null > "$d/cgroup.procs" && echo "moved into $d"
                  mkdir "$d/escape-$$" 2>/dev/null && { echo "made a group in $d"; rmdir "$d/escape-$$"; }
                done
                for d in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
                  [ -e "$d/cgroup.procs" ] || continue
                  [ -w "$d/cgroup.procs" ] && echo "writable: $d"
                done
                mkdir -p ./cg
                for t in "cgroup2 none" "cgroup -o memory none" "sysfs sysfs" "proc proc"; do
                  mount -t $t ./cg 2>/dev/null && { echo "mounted $t"; umount ./cg; }
                done
                grep -c '^0::/$' /proc/self/cgroup
                python3 -c "b = bytearray(200 << 20); [b.__setitem__(i, 1) for i in range(0, len(b), 4096)]"
                """, mode, limits: Limits(memory: 64 << 20), env: ["CR_PARENTS": parents.joined(separator: " ")])
            XCTAssertEqual(r.outcome, .oom, "\(mode): \(r.detail ?? "") \(out)")
            XCTAssertFalse(out.contains("writable") || out.contains("shows") || out.contains("moved")
                           || out.contains("made a group") || out.contains("mounted"), "\(mode): \(out)")
            XCTAssertTrue(out.hasPrefix("1\n"), "\(mode): the run's cgroup namespace has its group as / (\(out))")
            SandboxTest.assertNothingLeft()
        }
    }

    /// The same attempts, then a fork bomb: still held at `pids` by the run's own group (every
    /// process it made is in the group: pids_peak is the limit), and nothing outlives the run.
    func testAfterTheAttemptsAForkBombIsStillContained() throws {
        let bomb = try TestFixtures.binary("forkbomb")
        let dir = SandboxTest.scratch()
        try FileManager.default.copyItem(atPath: bomb, toPath: dir + "/forkbomb")
        for mode in Self.modes {
            let req = SandboxTest.request(["sh", "-c", """
                for d in $CR_PARENTS; do echo $$ 2>/dev/null > "$d/cgroup.procs"; done
                mount -t cgroup2 none /mnt 2>/dev/null
                exec ./forkbomb
                """], cwd: dir, limits: Limits(pids: 32), settings: SandboxSettings(seccomp: .none, filesystem: mode),
                timeout: 2, killGrace: 0.5, env: ["CR_PARENTS": Self.ownParents.joined(separator: " ")])
            let r = try SandboxExecutor.measuredRun(req, sampling: 0.05)
            XCTAssertEqual(r.outcome, .timeout, "\(mode): \(r.detail ?? "")")
            XCTAssertEqual(r.metrics["pids_peak"], 32, "\(mode): the bomb filled the run's own group, no more")
            SandboxTest.assertNothingLeft(marker: "./forkbomb")
        }
    }

    /// The runtime's view: the run's own limits at /sys/fs/cgroup, under the host's file names,
    /// every mount there read-only (on hybrid hosts one call makes the tmpfs and all the views so).
    func testSysFsCgroupShowsTheRunsOwnLimits() throws {
        let v2 = SandboxHost.current.backend.mode == .v2
        let pidsMax = v2 ? "/sys/fs/cgroup/pids.max" : "/sys/fs/cgroup/pids/pids.max"
        let script = (v2 ? "cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max"
                         : "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max")
            + "\nawk '$5 ~ \"^/sys/fs/cgroup\" { print $5, substr($6, 1, 2) }' /proc/self/mountinfo | sort"
            + "\n(echo 1000 > \(pidsMax)) 2>&1 | grep -o 'Read-only file system'"
            + "\ncat \(pidsMax)"
        // Pure v2: the run's group is /sys/fs/cgroup. Else a tmpfs there and one view per hierarchy
        // (`…/<hierarchy>/cleanroom` is each parent).
        let views = v2 ? ["/sys/fs/cgroup"] : ["/sys/fs/cgroup"] + SandboxHost.current.backend.parents.map {
            "/sys/fs/cgroup/" + ($0.split(separator: "/").dropLast().last.map(String.init) ?? "?")
        }
        let expected = "\(48 << 20)\n37\n" + views.sorted().map { "\($0) ro\n" }.joined() + "Read-only file system\n37\n"
        for mode in Self.modes {
            let (r, out) = try run(script, mode, limits: Limits(memory: 48 << 20, pids: 37))
            XCTAssertEqual(r.outcome, .ok, "\(mode): \(r.detail ?? "") \(out)")
            XCTAssertEqual(out, expected, "\(mode)")
        }
    }

    /// Kernel tunables read-only and Docker's masked files and directories empty, in every filesystem mode.
    func testProcTunablesAreReadOnlyAndKernelFilesMasked() throws {
        for mode in Self.modes {
            let (r, out) = try run("""
                v=$(cat /proc/sys/vm/swappiness)
                echo "$v" 2>/dev/null > /proc/sys/vm/swappiness && echo "sysctl written"
                echo 1 2>/dev/null > /proc/sys/kernel/ns_last_pid && echo "sysctl written"
                for p in /proc/sys /proc/sysrq-trigger /proc/irq /proc/bus /proc/fs; do
                  [ -e $p ] || continue
                  awk -v p=$p '$5 == p { print $6 }' /proc/self/mountinfo | grep -q '^ro' || echo "$p not read-only"
                done
                for p in /proc/keys /proc/timer_list /proc/kcore /proc/sched_debug; do
                  [ -e $p ] || continue
                  [ "$(head -c 64 $p 2>/dev/null | wc -c)" = 0 ] || echo "$p readable"
                done
                for p in /proc/acpi /proc/scsi /proc/asound /sys/firmware; do
                  [ -e $p ] || continue
                  [ -d $p ] || echo "$p not a directory"
                  [ -z "$(ls -A $p 2>/dev/null)" ] || echo "$p listed"
                  # Empty on some hosts anyway (/proc/acpi here): the mask itself must be there.
                  awk -v p=$p '$5 == p { print $9 }' /proc/self/mountinfo | grep -qx tmpfs || echo "$p not masked"
                done
                echo checked
                """, mode)
            XCTAssertEqual(r.outcome, .ok, "\(mode): \(r.detail ?? "") \(out)")
            XCTAssertEqual(out, "checked\n", "\(mode)")
        }
    }

    /// The init (PID 1 of the run) is a copy of cleanroom: its memory, environment, argv and
    /// ptrace are out of reach of the workload and of services, in every filesystem mode.
    func testInitMemoryEnvironmentAndArgvAreUnreadable() throws {
        setenv("CLEANROOM_ESCAPE_TEST_SECRET", "planted-in-the-heap", 1)
        defer { unsetenv("CLEANROOM_ESCAPE_TEST_SECRET") }
        let probe = """
            cat /proc/1/environ >/dev/null 2>&1 && echo "environ readable"
            head -c 1 /proc/1/mem 2>&1 | grep -q 'Input/output' && echo "mem open"
            cat /proc/1/maps >/dev/null 2>&1 && echo "maps readable"
            tr '\\0' ' ' < /proc/1/cmdline | grep -q '[a-z]' && echo "cmdline shows: $(tr '\\0' ' ' < /proc/1/cmdline)"
            python3 -c "
            import ctypes; libc = ctypes.CDLL(None, use_errno=True)
            if libc.ptrace(16, 1, 0, 0) == 0: print('ptrace attached')
            "
            echo checked
            """
        for mode in Self.modes {
            let (r, out) = try run(probe, mode)
            XCTAssertEqual(r.outcome, .ok, "\(mode): \(r.detail ?? "") \(out)")
            XCTAssertEqual(out, "checked\n", "\(mode)")
        }
        // A service looks too, from inside the run's namespaces, before the workload starts.
        let dir = SandboxTest.scratch()
        var req = SandboxTest.request(["cat", dir + "/svc.txt"], cwd: dir, settings: SandboxSettings(seccomp: .none))
        req.services = [ServicePlan(name: "snoop", command: ["sh", "-c", "{ \(probe); } > \(dir)/svc.txt 2>&1; echo ready; exec sleep 60"],
                                    ready: .log(regex: "ready"), readyTimeout: 20)]
        let r = try Sandbox.run(req)
        XCTAssertEqual(r.outcome, .ok, r.detail ?? "")
        XCTAssertEqual(SandboxTest.stdout(req), "checked\n")
    }

    /// A user namespace gives the workload capabilities there, not over the host's mounts:
    /// tunables, cgroups and the masked files stay out of reach; a setuid binary gains nothing.
    func testUserNamespaceAndSetuidRegainNothing() throws {
        for mode in Self.modes {
            let (r, out) = try run("""
                unshare -U -r -m --propagation private sh -c '
                  v=$(cat /proc/sys/vm/swappiness)
                  echo "$v" 2>/dev/null > /proc/sys/vm/swappiness && echo "sysctl written in userns"
                  mount -o remount,rw /proc/sys 2>/dev/null && echo "remounted /proc/sys"
                  umount /proc/sys 2>/dev/null && echo "unmounted /proc/sys"
                  umount -l /sys/fs/cgroup 2>/dev/null && echo "unmounted /sys/fs/cgroup"
                  mount -o remount,rw /sys 2>/dev/null && echo "remounted /sys"
                  mkdir -p ./cg; mount -t cgroup2 none ./cg 2>/dev/null && echo "mounted cgroup2 in userns"
                  mount -t proc proc ./cg 2>/dev/null && echo "mounted proc in userns"
                  true'
                cp "$(command -v grep)" ./suid-grep && chmod u+s ./suid-grep
                ./suid-grep -E '^CapEff' /proc/self/status
                echo checked
                """, mode)
            XCTAssertEqual(r.outcome, .ok, "\(mode): \(r.detail ?? "") \(out)")
            XCTAssertEqual(out, "CapEff:\t00000000a80425fb\nchecked\n", "\(mode)")
        }
    }

    /// The init is exempt from the OOM killer (it only reaps); the workload is not, and cannot make
    /// itself so: a workload that could would leave a run at its memory limit with nothing the
    /// kernel may kill (on cgroup v2 it then hangs until the timeout). The init, which does the
    /// workload's set-up, keeps no more capabilities than the workload.
    func testTheWorkloadCannotMakeItselfUnkillableAndTheInitHoldsNoMore() throws {
        let (r, out) = try run("""
            cat /proc/self/oom_score_adj
            echo -1000 2>/dev/null > /proc/self/oom_score_adj && echo "lowered to -1000" || echo refused
            grep -E '^CapEff' /proc/1/status
            cat /proc/1/oom_score_adj
            """, .privateTmp)
        XCTAssertEqual(r.outcome, .ok, "\(r.detail ?? "") \(out)")
        // Lowering needs CAP_SYS_RESOURCE, which root lacks in some containers (this VM's root
        // has CapEff 0x1fffeffffff): the init then stays eligible (docs/sandbox.md). The guest's
        // checks.sh asserts -1000 where root has it.
        let initAdj = Self.hasCapSysResource ? "-1000" : "0"
        XCTAssertEqual(out, "0\nrefused\nCapEff:\t00000000a80425fb\n\(initAdj)\n")
        // And at the limit the workload is killed, whatever it tries.
        let alloc = try TestFixtures.binary("alloc_mib")
        let (oom, text) = try run("""
            echo -1000 > /proc/self/oom_score_adj 2>/dev/null
            exec \(alloc) 200 100
            """, .privateTmp, limits: Limits(memory: 64 << 20))
        XCTAssertEqual(oom.outcome, .oom, "\(oom.detail ?? "") \(text)")
    }

    static var hasCapSysResource: Bool {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let eff = status.split(separator: "\n").first { $0.hasPrefix("CapEff:") }?.split(separator: "\t").last
        return eff.flatMap { UInt64($0, radix: 16) }.map { $0 & (1 << 24) != 0 } ?? false
    }

    /// End to end through the built binary, with the secret where CI puts it: in cleanroom's
    /// environment from the start (the strings /proc/PID/environ shows, not a later setenv).
    func testASecretInCleanroomsEnvironmentNeverReachesTheRun() throws {
        let binary = TestFixtures.repoRoot.appendingPathComponent(".build/debug/cleanroom").path
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: binary), "build the cleanroom executable first")
        let secret = "cr-secret-\(UUID().uuidString)"
        for mode in Self.modes {
            let (status, text) = try E2E.combinedOutput(binary, ["exec", "--seccomp", "none", "--filesystem", mode.rawValue, "--", "sh", "-c", """
                for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline /proc/self/environ; do cat "$f" 2>/dev/null; done | tr '\\0' '\\n'
                dd if=/proc/1/mem bs=4096 skip=1 count=1 2>/dev/null | wc -c
                """], env: ["PATH": "/usr/bin:/bin", "CI_JOB_TOKEN": secret], in: SandboxTest.scratch())
            XCTAssertEqual(status, 0, "\(mode): \(text)")
            XCTAssertFalse(text.contains(secret), "\(mode): the secret reached the run:\n\(text)")
            XCTAssertTrue(text.contains("PATH="), "\(mode): the workload's own environment is listed (the probe ran): \(text)")
        }
    }
}
