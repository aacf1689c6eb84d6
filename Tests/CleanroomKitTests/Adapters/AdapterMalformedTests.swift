import Foundation
import XCTest
@testable import CleanroomKit

/// Unknown or broken input is counted, never fatal: every adapter on garbage, on empty input and on
/// a real output with one damaged entry (the good entries still read).
final class AdapterMalformedTests: XCTestCase {
    func testEveryFormatCountsGarbageAndEmptyInput() {
        for adapter in BenchmarkFormats.adapters {
            for input in ["", "garbage\n\u{0}\u{1}not this format", "{\"unexpected\": [1, 2]}", "[{\"x\": 1}]"] {
                let out = adapter.parse(Data(input.utf8))
                if adapter == JSONLinesAdapter.self && input.isEmpty { continue }   // an empty metrics file is no error
                XCTAssertFalse(out.malformed.isEmpty, "\(adapter.format) on \(input.debugDescription) said nothing is wrong")
            }
        }
    }

    func damaged(_ name: String, _ replace: String, with: String) throws -> Data {
        let text = String(decoding: try AdapterFixtureTests.fixture(name), as: UTF8.self)
        XCTAssertTrue(text.contains(replace), "\(name) has no \(replace)")
        return Data(text.replacingOccurrences(of: replace, with: with).utf8)
    }

    func testGoogleBenchmarkEntryWithoutTime() throws {
        let out = GoogleBenchmarkAdapter.parse(try damaged("google-benchmark.json", "\"real_time\": 2.4099845787865373e+01", with: "\"real_time\": \"fast\""))
        XCTAssertEqual(out.malformed.count, 1, "\(out.malformed)")
        XCTAssertEqual(out.values("BM_StringCopy/64.real_time").count, 2)
    }

    func testPytestRoundThatIsNotANumber() throws {
        let out = PytestBenchmarkAdapter.parse(try damaged("pytest-benchmark.json", "1.5127000096981646e-05", with: "\"x\""))
        XCTAssertEqual(out.malformed.count, 1)
        XCTAssertEqual(out.values("test_fib_10.time").count, 4)
    }

    func testGoBenchBrokenLine() throws {
        let out = GoBenchAdapter.parse(try damaged("go-bench.txt", "167.1 ns/op", with: "fast ns/op"))
        XCTAssertEqual(out.malformed.count, 1)
        XCTAssertEqual(out.values("BenchmarkJoin.time").count, 2)
    }

    func testCatch2MissingMean() throws {
        let out = Catch2Adapter.parse(try damaged("catch2.xml", "<mean value=\"6783.34\"", with: "<median value=\"6783.34\""))
        XCTAssertEqual(out.malformed.count, 1)
        XCTAssertEqual(out.values("fib_20.mean").count, 1)
    }

    func testHyperfineResultWithoutTimes() throws {
        let out = HyperfineAdapter.parse(try damaged("hyperfine.json", "\"times\"", with: "\"timez\""))
        XCTAssertEqual(out.malformed.count, 2)
        XCTAssertTrue(out.values("true.time").isEmpty)
    }

    func testWrkUnreadableLatency() throws {
        let out = WrkAdapter.parse(try damaged("wrk.txt", "99%   44.21ms", with: "99%   lots"))
        XCTAssertEqual(out.malformed.count, 1)
        XCTAssertEqual(out.values("wrk.requests_per_sec"), [891.81])
        // Cut before the summary: wrk did not finish.
        let cut = WrkAdapter.parse(try damaged("wrk.txt", "Requests/sec:", with: "Interrupted:"))
        XCTAssertTrue(cut.malformed.contains { $0.contains("Requests/sec") })
    }

    func testRedisShortRow() throws {
        let out = RedisBenchmarkAdapter.parse(try damaged("redis-benchmark.csv", "\"GET\",\"57142.86\",", with: "\"GET\","))
        XCTAssertEqual(out.malformed.count, 1)
        XCTAssertEqual(out.values("SET.rps"), [47619.05])
    }

    func testPgbenchBrokenProgress() throws {
        let out = PgbenchAdapter.parse(try damaged("pgbench.txt", "596.0 tps", with: "many tps"))
        XCTAssertEqual(out.malformed.count, 1)
        XCTAssertEqual(out.values("pgbench.progress_tps").count, 3)
    }

    func testFioJobWithoutName() throws {
        let out = FioAdapter.parse(try damaged("fio.json", "\"jobname\"", with: "\"jobnom\""))
        XCTAssertEqual(out.malformed.count, 1)
    }

    func testAbBrokenPercentileRow() throws {
        let out = ApacheBenchAdapter.parse(try damaged("ab-percentiles.csv", "1,1.048", with: "1;1.048"))
        XCTAssertEqual(out.malformed.count, 1)
        XCTAssertEqual(out.names.count, 100)
    }

    func testCargoBenchBrokenLine() throws {
        let out = CargoBenchAdapter.parse(try damaged("cargo-bench.txt", "12,345 ns/iter", with: "lots ns/iter"))
        XCTAssertEqual(out.malformed.count, 1)
        XCTAssertEqual(out.values("tests::bench_add_two.time").count, 1)
    }

    func testCriterionMismatchedSamples() {
        let out = CriterionAdapter.parse(Data("{\"iters\":[1,2],\"times\":[5]}".utf8), source: "target/criterion/x/new/sample.json")
        XCTAssertEqual(out.malformed.count, 1)
    }

    func testJMHUnknownUnitAndBDNFailedBenchmark() throws {
        let jmh = JMHAdapter.parse(try damaged("jmh.json", "\"us/op\"", with: "\"furlongs\""))
        XCTAssertEqual(jmh.values("org.example.Codec.encode.thrpt").count, 6)
        let bdn = BenchmarkDotNetAdapter.parse(try damaged("benchmarkdotnet-report-full.json", "\"Mean\":1234.5", with: "\"Mode\":1234.5"))
        XCTAssertEqual(bdn.malformed.count, 1)
        XCTAssertEqual(bdn.values("Bench.Md5Bench.Sha256.time").count, 3)
    }

    func testPackageBenchmarkEntryWithoutValue() throws {
        let out = PackageBenchmarkAdapter.parse(try damaged("package-benchmark.json", "\"value\" : 27", with: "\"value\" : \"27us\""))
        XCTAssertEqual(out.malformed.count, 1)
        XCTAssertEqual(out.names.count, 2)
    }

    func testMergeCountsMalformedAndUnitConflictsLikeCustomLines() {
        var custom = CustomMetrics.parse("{\"name\": \"wrk.requests_per_sec\", \"value\": 5, \"unit\": \"ms\"}\nnot json\n")
        XCTAssertEqual(custom.malformed?.count, 1)
        let source = MetricsSource(format: "wrk", origin: .stdout)
        MetricsFrom.merge(AdapterOutput(observations: [.init(name: "wrk.requests_per_sec", value: 900, unit: "req/s"),
                                                       .init(name: "wrk.latency_p99", value: 0.04, unit: "s")],
                                        malformed: ["line 3: cannot read"]), from: source, into: &custom)
        XCTAssertEqual(custom.malformed?.count, 3)
        XCTAssertTrue(custom.malformed!.examples.contains { $0.hasPrefix("metrics_from wrk stdout: wrk.requests_per_sec: unit") })
        XCTAssertEqual(custom.series["wrk.latency_p99"]?.values, [0.04])
        XCTAssertEqual(custom.series["wrk.requests_per_sec"]?.values, [0.005])
    }

    func testMissingFileIsCountedNotFatal() {
        var custom = CustomMetrics()
        MetricsFrom.collect([MetricsSource(format: "google-benchmark", origin: .file("nope.json"))], cwd: "/nonexistent",
                            stdoutPath: nil, into: &custom)
        XCTAssertEqual(custom.malformed?.count, 1)
        XCTAssertTrue(custom.malformed!.examples[0].contains("no file nope.json"))
    }

    /// `metrics_from: stdout` says why the run's stdout was not read, as file sources do.
    func testAnUnreadableStdoutIsNotedWithTheReason() throws {
        let dir = NSTemporaryDirectory() + "cleanroom-adapter-stdout-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir + "/stdout.txt", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var custom = CustomMetrics()
        let wrk = MetricsSource(format: "wrk", origin: .stdout)
        MetricsFrom.collect([wrk], cwd: dir, stdoutPath: dir + "/stdout.txt", into: &custom)
        MetricsFrom.collect([wrk], cwd: dir, stdoutPath: dir + "/missing.txt", into: &custom)
        MetricsFrom.collect([wrk], cwd: dir, stdoutPath: nil, into: &custom)
        let notes = custom.malformed?.examples ?? []
        XCTAssertEqual(custom.malformed?.count, 3, "\(notes)")
        XCTAssertTrue(notes.contains { $0.contains("the run's stdout could not be read") && $0.contains("directory") }, "\(notes)")
        XCTAssertTrue(notes.contains { $0.contains("the run's stdout could not be read: no such file") }, "\(notes)")
        XCTAssertTrue(notes.contains { $0.contains("the run's stdout was not kept in a file") }, "\(notes)")
    }

    /// A `metrics_from` path the workload made a FIFO (or a device) is noted as not read, without
    /// blocking: the open and the read of a FIFO with no writer never returned before.
    func testAFIFOAtAMetricsFromPathIsNotedWithoutBlocking() throws {
        let dir = NSTemporaryDirectory() + "cleanroom-adapter-fifo-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertEqual(mkfifo(dir + "/out.json", 0o600), 0)
        XCTAssertEqual(symlink("/dev/zero", dir + "/zero.json"), 0)
        nonisolated(unsafe) var custom = CustomMetrics()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            MetricsFrom.collect([MetricsSource(format: "google-benchmark", origin: .file("out.json")),
                                 MetricsSource(format: "google-benchmark", origin: .file("zero.json"))],
                                cwd: dir, stdoutPath: nil, into: &custom)
            done.signal()
        }
        if done.wait(timeout: .now() + 30) == .timedOut {
            let w = open(dir + "/out.json", O_WRONLY | O_NONBLOCK)
            if w >= 0 { close(w) }
            done.wait()
            XCTFail("the read of a FIFO blocked until a writer came")
        }
        XCTAssertEqual(custom.malformed?.count, 2, "\(String(describing: custom.malformed))")
        XCTAssertTrue(custom.malformed?.examples.contains { $0.contains("out.json could not be read") && $0.contains("FIFO") } == true,
                      "\(String(describing: custom.malformed))")
        XCTAssertTrue(custom.malformed?.examples.contains { $0.contains("zero.json could not be read") && $0.contains("character device") } == true,
                      "\(String(describing: custom.malformed))")
    }

    func testNamesAreObjectiveWords() {
        XCTAssertEqual(AdapterNames.metricName("fib 15", "mean"), "fib_15.mean")
        XCTAssertEqual(AdapterNames.metricName("test_x[param-1]", "time"), "test_x_param_1.time")
        XCTAssertEqual(AdapterNames.metricName("BM_Sort/1000", "real_time"), "BM_Sort/1000.real_time")
        let obj = try? ObjectiveParser.parse("p99(custom.test_x_param_1.time) < 2ms")
        XCTAssertEqual(obj?.metric, .custom("test_x_param_1.time"))
    }
}
