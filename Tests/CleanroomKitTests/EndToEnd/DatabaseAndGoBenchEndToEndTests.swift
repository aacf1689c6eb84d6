import Foundation
import XCTest
@testable import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

/// pgbench against a real PostgreSQL server, and `go test -bench`, each under `cleanroom run` configured
/// as docs/benchmarks.md tells a user to, gated by objectives on the tool's own figures; the figures in
/// the report are checked against the tool's own output of the same run, read here by hand (not by the
/// adapter). Skipped only when the Debian packages are absent (scripts/install-deps installs them).
final class DatabaseAndGoBenchEndToEndTests: EndToEndTestCase {
    /// /usr/lib/postgresql/<newest>/bin when it has the server, initdb, pg_ctl and pgbench.
    static func postgresBin() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }
        return versions.map { "\(root)/\($0)/bin" }.first { bin in
            ["postgres", "initdb", "pg_ctl", "pgbench"].allSatisfy { FileManager.default.isExecutableFile(atPath: bin + "/" + $0) }
        }
    }

    /// Every number before `unit` on the lines of `text` that start with `prefix`, in order.
    static func figures(_ text: String, lines prefix: String, before unit: String) -> [Double] {
        text.split(separator: "\n").filter { $0.hasPrefix(prefix) }.compactMap { line in
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," })
            guard let i = f.firstIndex(where: { $0 == unit }), i > 0 else { return nil }
            return Double(f[i - 1])
        }
    }

    static func values(_ run: [String: Any], _ metric: String) -> [Double] {
        ((run["custom"] as? [String: Any])?[metric] as? [String: Any])?["values"] as? [Double] ?? []
    }

    /// A PostgreSQL server as a service of the run (a non-root user: the `postgres` account the Debian
    /// package creates, through setpriv), initialised by the workload's `setup`, reachable only on a unix
    /// socket; pgbench as the workload, read with `metrics_from` pgbench on stdout.
    func testPgbenchAgainstARealPostgresService() throws {
        guard let bin = Self.postgresBin(), getpwnam("postgres") != nil,
              FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            throw XCTSkip("postgresql and postgresql-contrib needed (the server, initdb, pg_ctl, pgbench and the postgres user; scripts/install-deps installs them), and util-linux's setpriv")
        }
        // The server's data and socket live in a fresh directory the postgres user can reach (the test's
        // scratch directory may sit under a home directory it cannot enter). It is the run's cwd: with
        // filesystem private-tmp a cwd under /tmp is bound back into the run.
        var template = Array("/tmp/cleanroom-pg-XXXXXX".utf8CString)
        let pg = String(cString: try XCTUnwrap(mkdtemp(&template), "mkdtemp: errno \(errno)"))
        var cleanroomPID: pid_t = 0
        defer {
            // The server only ever runs inside cleanroom's runs, which stop it; anything still carrying
            // the directory's name is ours (killed by PID there) and fails the test.
            if cleanroomPID != 0 { E2E.assertNothingLeft(cleanroomPID: cleanroomPID, marker: pg) }
            try? FileManager.default.removeItem(atPath: pg)
        }
        XCTAssertEqual(chmod(pg, 0o755), 0)
        let data = pg + "/data", sock = pg + "/sock"
        let asPostgres = "setpriv --reuid=postgres --regid=postgres --clear-groups --"
        let setup = """
            set -e
            mkdir -m 700 \(data); mkdir \(sock); chown postgres: \(data) \(sock)
            \(asPostgres) \(bin)/initdb -D \(data) -A trust -U postgres --no-sync
            \(asPostgres) \(bin)/pg_ctl -D \(data) -o '-k \(sock) -c listen_addresses=' -w start
            \(bin)/pgbench -h \(sock) -U postgres -i -s 1 -q postgres
            \(asPostgres) \(bin)/pg_ctl -D \(data) -m fast -w stop
            """
        let w: [String: Any] = [
            "name": "pgbench", "cwd": pg, "setup": ["sh", "-c", setup],
            "services": [["name": "pg",
                          "command": ["setpriv", "--reuid=postgres", "--regid=postgres", "--clear-groups", "--",
                                      bin + "/postgres", "-D", data, "-k", sock, "-c", "listen_addresses="],
                          "ready": ["log": "ready to accept connections"]]],
            // -P progress lines go to stderr: 2>&1 puts them where `stdout: true` reads.
            "command": ["sh", "-c", "exec \(bin)/pgbench -h \(sock) -U postgres -c 2 -j 1 -T 3 -P 1 postgres 2>&1"],
            "metrics_from": [["format": "pgbench", "stdout": true]],
        ]
        let dir = E2E.scratch()
        try E2E.writeConfig(E2E.config(workloads: [w], slos: [
            ["name": "Throughput", "workload": "pgbench", "objective": "min(custom.pgbench.tps) > 1"],
            ["name": "Latency", "workload": "pgbench", "objective": "max(custom.pgbench.latency_average) < 2s"],
            ["name": "ServerMemory", "workload": "pgbench", "objective": "max(svc.pg.memory_peak) < 1GiB"],
        ], defaults: ["repeat": 2, "timeout": "120s"]), in: dir)
        let (r, report, runs) = try Self.runMeasured("pgbench", in: dir)
        cleanroomPID = r.pid
        var tps: [Double] = []
        for (i, (run, out)) in runs.enumerated() {
            // pgbench's own figures, read from its output here: `tps = 669.547064 (without …)`.
            let said = Self.figures(out, lines: "tps = ", before: "(without")
            XCTAssertEqual(said.count, 1, out)
            XCTAssertEqual(Self.values(run, "pgbench.tps"), said, "one tps per run, as pgbench printed it")
            let progress = Self.figures(out, lines: "progress:", before: "tps")
            XCTAssertGreaterThanOrEqual(progress.count, 1, out)
            XCTAssertEqual(Self.values(run, "pgbench.progress_tps"), progress, "one observation per progress line")
            let latency = Self.values(run, "pgbench.latency_average")
            let done = Self.values(run, "pgbench.transactions")
            XCTAssertEqual(latency.count, 1); XCTAssertEqual(done.count, 1)
            guard let t = said.first, let l = latency.first, let n = done.first else { continue }
            tps.append(t)
            print("pgbench run \(i + 1): \(t) tx/s, latency \(l) s, \(n) transactions, \(progress.count) progress lines, \(Self.values(run, "pgbench.connection_time")) s connecting")
            XCTAssertGreaterThan(t, 1)
            XCTAssertEqual(Self.figures(out, lines: "latency average", before: "ms").first.map { $0 / 1000 } ?? -1, l, accuracy: 1e-12)
            // Plausible: two clients keep at most two transactions in flight (Little's law: with -P the
            // latency is pgbench's measured mean, so latency × tps <= 2), and the transactions counted
            // fill the -T 3 seconds at that rate, less the connection time pgbench leaves out of tps.
            let conn = Self.values(run, "pgbench.connection_time").first ?? 0
            XCTAssertLessThanOrEqual(l * t, 2.2, "latency \(l) s × \(t) tx/s")
            XCTAssertGreaterThanOrEqual(n / t + conn, 2.5, "\(n) transactions at \(t) tx/s after \(conn) s connecting")
            let server = (run["services"] as? [String: Any])?["pg"] as? [String: Any]
            XCTAssertGreaterThan((server?["metrics"] as? [String: Any])?["memory_peak"] as? Double ?? 0, 0, "the server's own cgroup was measured")
        }
        XCTAssertEqual(E2E.slo(report, "Throughput")?["observed"] as? Double ?? -1, tps.min() ?? 0, accuracy: 1e-9)
        for name in ["Throughput", "Latency", "ServerMemory"] { XCTAssertEqual(E2E.status(report, name), "pass", name) }
    }

    /// `go test -bench` on Fixtures/bench/src/go with the root file system read-only: Go's build cache
    /// goes to the run's private /tmp, set in the workload's env as docs/benchmarks.md says (without it
    /// go fails here, and under private-tmp it would write the host's ~/.cache/go-build).
    func testGoBenchUnderCleanroomRun() throws {
        try XCTSkipUnless(BenchmarkToolsEndToEndTests.which("go") != nil, "golang-go needed (scripts/install-deps installs it)")
        let src = TestFixtures.repoRoot.appendingPathComponent("Fixtures/bench/src/go").path
        let w: [String: Any] = [
            "name": "gobench", "cwd": src,
            "command": ["go", "test", "-run", "^$", "-bench", ".", "-benchmem", "-count", "3", "-benchtime", "2000x"],
            "env": ["GOCACHE": "/tmp/go-cache"],
            "metrics_from": [["format": "go-bench", "stdout": true]],
        ]
        let dir = E2E.scratch()
        try E2E.writeConfig(E2E.config(workloads: [w], slos: [
            ["name": "SortTime", "workload": "gobench", "objective": "median(custom.BenchmarkSort.time) < 50ms"],
            ["name": "JoinAllocs", "workload": "gobench", "objective": "max(custom.BenchmarkJoin.allocs) <= 1"],
        ], defaults: ["repeat": 2, "timeout": "300s", "sandbox": ["filesystem": "readonly"]]), in: dir)
        let (r, report, runs) = try Self.runMeasured("gobench", in: dir)
        E2E.assertNothingLeft(cleanroomPID: r.pid)
        var sort: [Double] = []
        for (run, out) in runs {
            for bench in ["BenchmarkSort", "BenchmarkJoin"] {
                // `BenchmarkSort-2   2000   94356 ns/op …`: one line per -count, in ns.
                let said = Self.figures(out, lines: bench + "-", before: "ns/op").map { $0 * 1e-9 }
                XCTAssertEqual(said.count, 3, out)
                let got = Self.values(run, bench + ".time")
                XCTAssertEqual(got.count, 3, "one observation per -count")
                for (a, b) in zip(got, said) { XCTAssertEqual(a, b, accuracy: b * 1e-12) }
                XCTAssertTrue(got.allSatisfy { $0 > 0 })
                if bench == "BenchmarkSort" { sort += got }
            }
            XCTAssertEqual(Self.values(run, "BenchmarkJoin.allocs"), [1, 1, 1])
        }
        let median = sort.sorted()[sort.count / 2 - 1...sort.count / 2].reduce(0, +) / 2
        XCTAssertEqual(E2E.slo(report, "SortTime")?["observed"] as? Double ?? -1, median, accuracy: median * 1e-9)
        for name in ["SortTime", "JoinAllocs"] { XCTAssertEqual(E2E.status(report, name), "pass", name) }
        print("go BenchmarkSort s/op: \(sort)")
    }

    /// `cleanroom run -o out` in `dir` (it must pass), and each of the workload's 2 measured runs
    /// with the stdout it captured; no run may have malformed custom metrics.
    static func runMeasured(_ workload: String, in dir: String) throws
        -> (E2E.Result, [String: Any], [(run: [String: Any], stdout: String)]) {
        let r = try E2E.cleanroom(["run", "-o", "out"], in: dir)
        XCTAssertEqual(r.code, 0, "\(r)")
        let report = try E2E.report(dir + "/out/report.json")
        let runs = E2E.measuredRuns(report, workload)
        XCTAssertEqual(runs.count, 2)
        return (r, report, try runs.enumerated().map { i, run in
            XCTAssertNil(run["custom_malformed"], "\(run["custom_malformed"]!)")
            return (run, try String(contentsOfFile: dir + "/out/runs/\(workload)/\(i + 1)/stdout.txt", encoding: .utf8))
        })
    }
}
