import Foundation
import XCTest
@testable import CleanroomKit

/// The real tools under `cleanroom run`, read through `metrics_from`, gated by objectives on their
/// figures; and a 200-benchmark Google Benchmark suite gated by one glob objective against a baseline.
/// A tool that is not installed skips its part (scripts/install-deps installs them all on CI).
final class BenchmarkToolsEndToEndTests: EndToEndTestCase {
    static func which(_ tool: String) -> String? {
        ["/usr/bin/", "/usr/sbin/", "/usr/local/bin/"].map { $0 + tool }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Compiles a C++ fixture from Fixtures/bench/src (once per source change).
    static func compileCXX(_ source: String, _ out: String, libs: [String]) throws -> String {
        let src = TestFixtures.repoRoot.appendingPathComponent("Fixtures/bench/src/" + source).path
        let bin = TestFixtures.binDir + "/" + out
        let fm = FileManager.default
        try fm.createDirectory(atPath: TestFixtures.binDir, withIntermediateDirectories: true)
        if let b = try? fm.attributesOfItem(atPath: bin)[.modificationDate] as? Date,
           let s = try? fm.attributesOfItem(atPath: src)[.modificationDate] as? Date, b >= s { return bin }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let tmp = bin + ".tmp-\(getpid())"
        p.arguments = ["g++", "-O1", "-o", tmp, src] + libs + ["-lpthread"]
        try p.run(); p.waitUntilExit()
        guard p.terminationStatus == 0, rename(tmp, bin) == 0 else { throw XCTSkip("g++ could not build \(source) (libbenchmark-dev / catch2 missing?)") }
        return bin
    }

    func testGlobObjectiveOverTwoHundredBenchmarksCatchesTwoSlowed() throws {
        try XCTSkipUnless(Self.which("g++") != nil && FileManager.default.fileExists(atPath: "/usr/include/benchmark/benchmark.h"), "g++ and libbenchmark-dev needed")
        let bin = try Self.compileCXX("gbench_suite.cc", "gbench_suite", libs: ["-lbenchmark"])
        let dir = E2E.scratch()
        func config(slow: String?) -> [String: Any] {
            var w: [String: Any] = ["name": "gsuite", "command": [bin, "--benchmark_repetitions=3", "--benchmark_out=gb.json", "--benchmark_out_format=json"],
                                    "metrics_from": [["format": "google-benchmark", "path": "gb.json"]]]
            if let slow { w["env"] = ["CLEANROOM_SLOW": slow] }
            return E2E.config(workloads: [w], slos: [["name": "BenchTime", "workload": "gsuite",
                                                      "objective": "median(custom.BM_*.real_time) <= baseline + 10%"]],
                              defaults: ["repeat": 2])
        }
        try E2E.writeConfig(config(slow: nil), in: dir, name: "base.json")
        try E2E.writeConfig(config(slow: "BM_017,BM_123"), in: dir, name: "head.json")
        let base = try E2E.cleanroom(["run", "-c", "base.json", "-o", "base"], in: dir)
        XCTAssertEqual(base.code, 0, "\(base)")
        let baseReport = try E2E.report(dir + "/base/report.json")
        let baseSlos = E2E.slos(baseReport)
        XCTAssertEqual(baseSlos.count, 200, "no baseline: one no_data result per benchmark")
        XCTAssertTrue(baseSlos.allSatisfy { $0["status"] as? String == "no_data" })

        let head = try E2E.cleanroom(["run", "-c", "head.json", "-o", "head", "--format", "all", "--baseline", "base/report.json"], in: dir)
        XCTAssertEqual(head.code, 1, "two benchmarks 20 % slower fail the gate: \(head)")
        let slos = E2E.slos(try E2E.report(dir + "/head/report.json"))
        XCTAssertEqual(slos.count, 200)
        let failed = slos.filter { $0["status"] as? String == "fail" }.compactMap { $0["metric"] as? String }.sorted()
        XCTAssertEqual(failed, ["BM_017/iterations:20/manual_time.real_time", "BM_123/iterations:20/manual_time.real_time"])
        XCTAssertEqual(slos.filter { $0["status"] as? String == "pass" }.count, 198)
        let measured = E2E.measuredRuns(try E2E.report(dir + "/head/report.json"), "gsuite")
        let custom = measured.first?["custom"] as? [String: Any] ?? [:]
        let series = custom["BM_017/iterations:20/manual_time.real_time"] as? [String: Any]
        XCTAssertEqual((series?["values"] as? [Double])?.count, 3, "one observation per repetition")
        XCTAssertEqual(series?["unit"] as? String, "s")

        let junit = try String(contentsOfFile: dir + "/head/junit.xml", encoding: .utf8)
        XCTAssertTrue(junit.contains("name=\"BenchTime[gsuite/BM_017/iterations:20/manual_time.real_time]\""))
        XCTAssertEqual(junit.components(separatedBy: "<testcase name=\"BenchTime[gsuite/").count - 1, 200)
        let md = try String(contentsOfFile: dir + "/head/summary.md", encoding: .utf8)
        XCTAssertTrue(md.contains("BenchTime on gsuite\\: 198 of 200 passed"), md)
        let html = try String(contentsOfFile: dir + "/head/report.html", encoding: .utf8)
        XCTAssertTrue(html.contains("<details class=\"group\">"))
        XCTAssertTrue(head.out.contains("BenchTime on gsuite: 198 of 200 passed") || head.err.contains("BenchTime on gsuite: 198 of 200 passed"), "\(head)")
        if let keep = ProcessInfo.processInfo.environment["CLEANROOM_KEEP_GLOB_REPORT"] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(atPath: dir + "/head", toPath: keep)
        }
    }

    /// A service's Prometheus endpoint scraped from inside the run's `network: none` namespace before
    /// and after the workload; the quantiles match the hand calculation in PrometheusExporterTests.
    func testPrometheusScrapeUnderNetworkNone() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/python3"), "python3 needed")
        let dir = E2E.scratch()
        // Copied into the scratch directory: a checkout under /tmp is hidden by the run's private /tmp.
        let fixtures = dir + "/prometheus"
        try? FileManager.default.removeItem(atPath: fixtures)
        try FileManager.default.copyItem(atPath: TestFixtures.repoRoot.appendingPathComponent("Fixtures/prometheus").path,
                                         toPath: fixtures)
        let w: [String: Any] = [
            "name": "exporter-load", "command": ["python3", fixtures + "/load.py", "18751"],
            "services": [["name": "api", "command": ["python3", fixtures + "/exporter.py", "18751"],
                          "ready": ["http": "http://127.0.0.1:18751/health"]]],
            "metrics_from": [["format": "prometheus", "service": "api", "path": "/metrics"]],
        ]
        try E2E.writeConfig(E2E.config(workloads: [w], slos: [
            ["name": "P99", "workload": "exporter-load", "objective": "max(custom.app_request_duration_seconds.p99) <= 100ms"],
            ["name": "Served", "workload": "exporter-load", "objective": "min(custom.app_request_duration_seconds.count) >= 100"],
            ["name": "ApiMemory", "workload": "exporter-load", "objective": "max(svc.api.memory_peak) < 200MiB"],
        ], defaults: ["repeat": 2, "sandbox": ["network": "none"]]), in: dir)
        let r = try E2E.cleanroom(["run", "-o", "out"], in: dir)
        XCTAssertEqual(r.code, 0, "\(r)")
        let report = try E2E.report(dir + "/out/report.json")
        let runs = E2E.measuredRuns(report, "exporter-load")
        XCTAssertEqual(runs.count, 2)
        for run in runs {
            XCTAssertNil(run["custom_malformed"], "\(run["custom_malformed"]!)")
            let custom = (run["custom"] as? [String: [String: Any]] ?? [:]).mapValues {
                CustomSeries(unit: $0["unit"] as? String ?? "", values: $0["values"] as? [Double] ?? [])
            }
            // One observation per run: each run starts its own exporter, so before is all zeros.
            XCTAssertEqual(custom["app_request_duration_seconds.p99"]?.values.count, 1)
            PrometheusExporterTests.checkHandCalculation(custom)
        }
        for name in ["P99", "Served", "ApiMemory"] { XCTAssertEqual(E2E.status(report, name), "pass", name) }
    }

    /// One workload per installed tool, each with an objective on the tool's own figures (go test -bench
    /// and pgbench have their own tests: DatabaseAndGoBenchEndToEndTests).
    func testRealToolsReadThroughMetricsFrom() throws {
        let dir = E2E.scratch()
        var workloads: [[String: Any]] = []
        var slos: [[String: Any]] = []
        var expected: [String: [String]] = [:]   // workload → custom metrics it must have
        func add(_ w: [String: Any], _ objective: String, metrics: [String]) {
            let name = w["name"] as! String
            workloads.append(w)
            slos.append(["name": "Gate-\(name)", "workload": name, "objective": objective])
            expected[name] = metrics
        }
        let www = dir + "/www"
        try FileManager.default.createDirectory(atPath: www, withIntermediateDirectories: true)
        try "hello\n".write(toFile: www + "/index.html", atomically: true, encoding: .utf8)
        let http: [String: Any] = ["name": "web", "command": ["python3", "-m", "http.server", "18741", "--bind", "127.0.0.1", "--directory", www],
                                   "ready": ["http": "http://127.0.0.1:18741/"]]
        if Self.which("wrk") != nil {
            add(["name": "wrk", "command": ["wrk", "-t1", "-c2", "-d1s", "--latency", "http://127.0.0.1:18741/"], "services": [http],
                 "metrics_from": [["format": "wrk", "stdout": true]]],
                "min(custom.wrk.requests_per_sec) > 10", metrics: ["wrk.latency_p99", "wrk.requests_per_sec"])
        }
        if Self.which("ab") != nil {
            add(["name": "ab", "command": ["ab", "-n", "200", "-c", "2", "-e", "ab.csv", "http://127.0.0.1:18741/"], "services": [http],
                 "metrics_from": [["format": "ab", "stdout": true], ["format": "ab", "path": "ab.csv"]]],
                "max(custom.ab.failed) <= 0", metrics: ["ab.requests_per_sec", "ab.latency_p0", "ab.latency_p100"])
        }
        if Self.which("redis-benchmark") != nil && Self.which("redis-server") != nil {
            add(["name": "redis", "command": ["redis-benchmark", "-h", "127.0.0.1", "-p", "18742", "-t", "set,get", "-n", "2000", "-c", "2", "--csv"],
                 "services": [["name": "redis", "command": ["redis-server", "--port", "18742", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                               "ready": ["tcp": 18742]]],
                 "metrics_from": [["format": "redis-benchmark", "stdout": true]]],
                "max(custom.*.p99_latency) < 1s", metrics: ["SET.rps", "GET.p99_latency"])
        }
        if Self.which("hyperfine") != nil {
            add(["name": "hyperfine", "command": ["hyperfine", "--runs", "3", "-N", "--export-json", "hf.json", "true"],
                 "metrics_from": [["format": "hyperfine", "path": "hf.json"]]],
                "max(custom.true.time) < 1s", metrics: ["true.time"])
        }
        if Self.which("fio") != nil {
            add(["name": "fio", "command": ["fio", "--name=seqread", "--rw=read", "--size=1M", "--bs=4k", "--filename=fio.dat", "--ioengine=psync", "--output-format=json"],
                 "metrics_from": [["format": "fio", "stdout": true]]],
                "min(custom.seqread.read_iops) > 0", metrics: ["seqread.read_iops", "seqread.read_clat_p99"])
        }
        if Self.which("g++") != nil, FileManager.default.fileExists(atPath: "/usr/include/catch2/catch.hpp"),
           let bin = try? Self.compileCXX("catch2_bench.cpp", "catch2_bench", libs: []) {
            add(["name": "catch2", "command": [bin, "--reporter", "xml", "--benchmark-samples", "5"],
                 "metrics_from": [["format": "catch2", "stdout": true]]],
                "max(custom.fib_15.mean) < 1s", metrics: ["fib_15.mean", "sort_1000_ints.stddev"])
        }
        if Self.which("pytest-benchmark") != nil || FileManager.default.fileExists(atPath: "/usr/lib/python3/dist-packages/pytest_benchmark") {
            let src = TestFixtures.repoRoot.appendingPathComponent("Fixtures/bench/src/test_pybench.py").path
            add(["name": "pytest", "command": ["python3", "-m", "pytest", "-q", "-p", "no:cacheprovider", src, "--benchmark-json=pb.json",
                                             "--benchmark-save-data", "--benchmark-min-rounds=5", "--benchmark-max-time=0.00001"],
                 "env": ["PYTHONDONTWRITEBYTECODE": "1"],
                 "metrics_from": [["format": "pytest-benchmark", "path": "pb.json"]]],
                "p90(custom.test_fib_10.time) < 1s", metrics: ["test_fib_10.time", "test_sorted.ops"])
        }
        try XCTSkipIf(workloads.isEmpty, "none of the benchmark tools is installed")
        try E2E.writeConfig(E2E.config(workloads: workloads, slos: slos, defaults: ["repeat": 1, "timeout": "120s",
                                                                                     "sandbox": ["filesystem": "host"]]), in: dir)
        let r = try E2E.cleanroom(["run", "-o", "out"], in: dir)
        let report = try E2E.report(dir + "/out/report.json")
        for (name, metrics) in expected {
            let run = E2E.measuredRuns(report, name).first ?? [:]
            let custom = run["custom"] as? [String: Any] ?? [:]
            for m in metrics { XCTAssertNotNil(custom[m], "\(name): no custom.\(m); has \(custom.keys.sorted().prefix(12)); malformed \(run["custom_malformed"] ?? "none")") }
            XCTAssertNil(run["custom_malformed"], "\(name): \(run["custom_malformed"]!)")
            XCTAssertEqual(E2E.status(report, "Gate-\(name)"), "pass", "\(name)")
        }
        XCTAssertEqual(r.code, 0, "\(r)")
    }
}
