import Foundation
import XCTest
@testable import CleanroomKit

/// Each adapter on its tool's real output, captured on this machine (Fixtures/bench/COMMANDS.md says
/// how). Expected values were read off the files by hand and converted to base units here.
final class AdapterFixtureTests: XCTestCase {
    static func fixture(_ name: String) throws -> Data {
        try Data(contentsOf: TestFixtures.repoRoot.appendingPathComponent("Fixtures/bench/" + name))
    }

    func check(_ out: AdapterOutput, _ name: String, count: Int, unit: String, first: Double? = nil,
               file: StaticString = #filePath, line: UInt = #line) {
        let v = out.values(name)
        XCTAssertEqual(v.count, count, "\(name): \(out.names)", file: file, line: line)
        XCTAssertEqual(out.unit(name), unit, name, file: file, line: line)
        if let first, let got = v.first {
            XCTAssertEqual(got, first, accuracy: abs(first) * 1e-9, name, file: file, line: line)
        }
    }

    func testGoogleBenchmark() throws {
        let out = GoogleBenchmarkAdapter.parse(try Self.fixture("google-benchmark.json"))
        XCTAssertEqual(out.malformed, [])
        // 3 benchmarks × 3 repetitions; the _mean/_median/_stddev/_cv aggregates are skipped.
        check(out, "BM_StringCopy/64.real_time", count: 3, unit: "s", first: 24.099845787865373e-9)
        check(out, "BM_StringCopy/4096.real_time", count: 3, unit: "s", first: 92.4334282417296e-9)
        check(out, "BM_Sort/1000.real_time", count: 3, unit: "s", first: 12.595414363752612e-6)   // time_unit "us"
        check(out, "BM_StringCopy/64.bytes_per_second", count: 3, unit: "B/s", first: 2658120286.5078692)
        check(out, "BM_Sort/1000.items_per_second", count: 3, unit: "items/s", first: 82506573.4583139)
        check(out, "BM_Sort/1000.cpu_time", count: 3, unit: "s")
        XCTAssertFalse(out.names.contains { $0.contains("_mean") || $0.contains("_median") })
    }

    func testPytestBenchmark() throws {
        let out = PytestBenchmarkAdapter.parse(try Self.fixture("pytest-benchmark.json"))
        XCTAssertEqual(out.malformed, [])
        check(out, "test_fib_10.time", count: 5, unit: "s", first: 1.5127000096981646e-05)   // stats.data: 5 rounds
        check(out, "test_sorted.time", count: 5, unit: "s", first: 1.4507999821944395e-05)
        check(out, "test_fib_10.mean", count: 1, unit: "s", first: 1.5667800062146854e-05)
        check(out, "test_sorted.median", count: 1, unit: "s", first: 1.4507999821944395e-05)
        check(out, "test_fib_10.ops", count: 1, unit: "ops/s", first: 63825.16984091363)
    }

    func testGoBench() throws {
        let out = GoBenchAdapter.parse(try Self.fixture("go-bench.txt"))
        XCTAssertEqual(out.malformed, [])
        // -count 3: three lines each; the -2 GOMAXPROCS suffix is dropped.
        check(out, "BenchmarkJoin.time", count: 3, unit: "s", first: 128.2e-9)
        XCTAssertEqual(out.values("BenchmarkJoin.time")[1], 167.1e-9, accuracy: 1e-15)
        check(out, "BenchmarkJoin.bytes", count: 3, unit: "B", first: 16)
        check(out, "BenchmarkJoin.allocs", count: 3, unit: "allocs", first: 1)
        check(out, "BenchmarkSort.time", count: 3, unit: "s", first: 94356e-9)
        check(out, "BenchmarkSort.throughput", count: 3, unit: "B/s", first: 84.79e6)
        XCTAssertEqual(out.names.count, 7)
    }

    func testCatch2() throws {
        let out = Catch2Adapter.parse(try Self.fixture("catch2.xml"))
        XCTAssertEqual(out.malformed, [])
        check(out, "fib_15.mean", count: 1, unit: "s", first: 6783.34e-9)
        check(out, "fib_15.stddev", count: 1, unit: "s", first: 214.545e-9)
        check(out, "fib_20.mean", count: 1, unit: "s", first: 125384e-9)
        check(out, "sort_1000_ints.mean", count: 1, unit: "s", first: 21413.9e-9)
        XCTAssertEqual(out.names.count, 6)
    }

    func testHyperfine() throws {
        let out = HyperfineAdapter.parse(try Self.fixture("hyperfine.json"))
        XCTAssertEqual(out.malformed, [])
        check(out, "sleep_0.01.time", count: 5, unit: "s", first: 0.010114186260000001)
        check(out, "true.time", count: 5, unit: "s", first: 0.0)
        check(out, "sleep_0.01.user", count: 1, unit: "s", first: 0.0010975)
        check(out, "true.system", count: 1, unit: "s", first: 0.000178008)
    }

    func testWrk() throws {
        let out = WrkAdapter.parse(try Self.fixture("wrk.txt"))
        XCTAssertEqual(out.malformed, [])
        check(out, "wrk.requests_per_sec", count: 1, unit: "req/s", first: 891.81)
        check(out, "wrk.latency_p50", count: 1, unit: "s", first: 3.62e-3)
        check(out, "wrk.latency_p99", count: 1, unit: "s", first: 44.21e-3)
        check(out, "wrk.latency_mean", count: 1, unit: "s", first: 5.94e-3)
        check(out, "wrk.latency_max", count: 1, unit: "s", first: 84.37e-3)
        check(out, "wrk.transfer_per_sec", count: 1, unit: "B/s", first: 165.47 * 1024)
        check(out, "wrk.requests", count: 1, unit: "requests", first: 1880)
        check(out, "wrk.errors", count: 1, unit: "errors", first: 0)
    }

    func testRedisBenchmark() throws {
        let out = RedisBenchmarkAdapter.parse(try Self.fixture("redis-benchmark.csv"))
        XCTAssertEqual(out.malformed, [])
        check(out, "SET.rps", count: 1, unit: "req/s", first: 47619.05)
        check(out, "GET.p99_latency", count: 1, unit: "s", first: 0.095e-3)
        check(out, "LPUSH.max_latency", count: 1, unit: "s", first: 3.199e-3)
        XCTAssertEqual(out.names.count, 3 * 7)
    }

    func testPgbench() throws {
        let out = PgbenchAdapter.parse(try Self.fixture("pgbench.txt"))
        XCTAssertEqual(out.malformed, [])
        check(out, "pgbench.progress_tps", count: 4, unit: "tx/s", first: 793.0)   // -P 1 for 4 s
        XCTAssertEqual(out.values("pgbench.progress_tps"), [793.0, 596.0, 661.0, 618.9])
        check(out, "pgbench.progress_latency", count: 4, unit: "s", first: 2.484e-3)
        check(out, "pgbench.tps", count: 1, unit: "tx/s", first: 669.547064)
        check(out, "pgbench.latency_average", count: 1, unit: "s", first: 2.984e-3)
        check(out, "pgbench.latency_stddev", count: 1, unit: "s", first: 3.065e-3)
        check(out, "pgbench.connection_time", count: 1, unit: "s", first: 14.002e-3)
        check(out, "pgbench.transactions", count: 1, unit: "transactions", first: 2671)
        check(out, "pgbench.failed", count: 1, unit: "transactions", first: 0)
    }

    func testFio() throws {
        let out = FioAdapter.parse(try Self.fixture("fio.json"))
        XCTAssertEqual(out.malformed, [])
        check(out, "randread.read_iops", count: 1, unit: "IO/s", first: 11636.363636)
        check(out, "randread.read_bw", count: 1, unit: "B/s", first: 47662545)
        check(out, "randread.read_lat_mean", count: 1, unit: "s", first: 83845.31543e-9)
        check(out, "randread.read_clat_p50", count: 1, unit: "s", first: 39680e-9)
        check(out, "randread.read_clat_p99", count: 1, unit: "s", first: 634880e-9)
        check(out, "randread.read_clat_p99.9", count: 1, unit: "s", first: 5734400e-9)
        XCTAssertTrue(out.values("randread.write_iops").isEmpty, "a direction that moved nothing gives no metrics")
    }

    func testApacheBench() throws {
        let out = ApacheBenchAdapter.parse(try Self.fixture("ab.txt"))
        XCTAssertEqual(out.malformed, [])
        check(out, "ab.requests_per_sec", count: 1, unit: "req/s", first: 866.12)
        check(out, "ab.time_per_request", count: 1, unit: "s", first: 4.618e-3)
        check(out, "ab.transfer_rate", count: 1, unit: "B/s", first: 160.71 * 1024)
        check(out, "ab.complete", count: 1, unit: "requests", first: 400)
        check(out, "ab.failed", count: 1, unit: "requests", first: 0)
        check(out, "ab.latency_p50", count: 1, unit: "s", first: 4e-3)
        check(out, "ab.latency_p99", count: 1, unit: "s", first: 28e-3)
        check(out, "ab.latency_p100", count: 1, unit: "s", first: 33e-3)

        let csv = ApacheBenchAdapter.parse(try Self.fixture("ab-percentiles.csv"))
        XCTAssertEqual(csv.malformed, [])
        XCTAssertEqual(csv.names.count, 101)   // rows 0…100 of -e
        check(csv, "ab.latency_p0", count: 1, unit: "s", first: 0.852e-3)
        check(csv, "ab.latency_p1", count: 1, unit: "s", first: 1.048e-3)
    }

    func testCargoBench() throws {
        let out = CargoBenchAdapter.parse(try Self.fixture("cargo-bench.txt"))
        XCTAssertEqual(out.malformed, [])
        check(out, "tests::bench_add_two.time", count: 1, unit: "s", first: 1e-9)
        check(out, "tests::bench_sort_1k.time", count: 1, unit: "s", first: 12_345e-9)   // "12,345 ns/iter"
        check(out, "tests::bench_sort_1k.deviation", count: 1, unit: "s", first: 1_234e-9)
        check(out, "tests::bench_parse.throughput", count: 1, unit: "B/s", first: 512e6)
        check(out, "tests::bench_float.time", count: 1, unit: "s", first: 18.25e-9)   // newer libtest: decimals
    }

    func testCriterion() throws {
        let dir = "target/criterion/fib/20/new/"
        let est = CriterionAdapter.parse(try Self.fixture("criterion/fib/20/new/estimates.json"), source: dir + "estimates.json")
        XCTAssertEqual(est.malformed, [])
        check(est, "fib/20.mean", count: 1, unit: "s", first: 26021.5e-9)
        check(est, "fib/20.median", count: 1, unit: "s", first: 25980.0e-9)
        check(est, "fib/20.std_dev", count: 1, unit: "s", first: 401.2e-9)
        check(est, "fib/20.slope", count: 1, unit: "s", first: 26003.1e-9)
        let sample = CriterionAdapter.parse(try Self.fixture("criterion/fib/20/new/sample.json"), source: dir + "sample.json")
        XCTAssertEqual(sample.malformed, [])
        check(sample, "fib/20.time", count: 5, unit: "s", first: 2602150.0 / 100 * 1e-9)
    }

    func testJMH() throws {
        let out = JMHAdapter.parse(try Self.fixture("jmh.json"))
        XCTAssertEqual(out.malformed, [])
        // 2 forks × 3 iterations of rawData; ops/ms → ops/s.
        check(out, "org.example.Codec.encode.thrpt", count: 6, unit: "ops/s", first: 1520.5e3)
        // avgt in us/op → s; params {size=1024} become a tag-like suffix.
        check(out, "org.example.Codec.decode_size_1024.avgt", count: 4, unit: "s", first: 3.25e-6)
        check(out, "org.example.Codec.encode.thrpt.gc.alloc.rate.norm", count: 1, unit: "B/op", first: 48.0)
    }

    func testBenchmarkDotNet() throws {
        let out = BenchmarkDotNetAdapter.parse(try Self.fixture("benchmarkdotnet-report-full.json"))
        XCTAssertEqual(out.malformed, [])
        // Only Workload/Result measurements: 3 of the 6 listed for Sha256.
        check(out, "Bench.Md5Bench.Sha256.time", count: 3, unit: "s", first: 2_000_000.0 / 1000 * 1e-9)
        check(out, "Bench.Md5Bench.Md5.time", count: 1, unit: "s", first: 1234.5e-9)   // brief export: Statistics.Mean
        check(out, "Bench.Md5Bench.Sha256.allocated", count: 1, unit: "B", first: 112)
    }

    func testPackageBenchmark() throws {
        let out = PackageBenchmarkAdapter.parse(try Self.fixture("package-benchmark.json"))
        XCTAssertEqual(out.malformed, [])
        check(out, "Fib_20.Time_wall_clock", count: 1, unit: "s", first: 27e-6)          // "μs"
        check(out, "Fib_20.Malloc_total", count: 1, unit: "count", first: 0)
        check(out, "JSON_decode.Throughput_s_scaled", count: 1, unit: "count", first: 19e3)   // "K"
    }

    func testJSONLines() throws {
        let out = JSONLinesAdapter.parse(Data("""
        {"name": "op.latency", "value": 2.5, "unit": "ms"}
        {"name": "op.latency", "value": 3, "unit": "ms"}
        {"name": "op.count", "value": 7}
        """.utf8))
        XCTAssertEqual(out.malformed, [])
        XCTAssertEqual(out.values("op.latency"), [0.0025, 0.003])
        XCTAssertEqual(out.unit("op.latency"), "s")
        XCTAssertEqual(out.values("op.count"), [7])
    }
}
