import XCTest
@testable import CleanroomKit

final class ObjectiveParserTests: XCTestCase {
    private func parse(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> Objective? {
        do { return try ObjectiveParser.parse(text) } catch {
            XCTFail("\(text): \(error)", file: file, line: line); return nil
        }
    }

    private func error(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> ObjectiveError? {
        do {
            let o = try ObjectiveParser.parse(text)
            XCTFail("\(text) parsed as \(o)", file: file, line: line); return nil
        } catch { return error as? ObjectiveError }
    }

    func testEveryAggregate() {
        let table: [(String, Aggregate)] = [
            ("min", .min), ("max", .max), ("mean", .mean), ("median", .median), ("stddev", .stddev), ("count", .count),
            ("p50", .percentile(50)), ("p90", .percentile(90)), ("p95", .percentile(95)), ("p99", .percentile(99)),
            ("p99.9", .percentile(99.9)), ("p1", .percentile(1)), ("p0.5", .percentile(0.5)), ("p99.99", .percentile(99.99)),
        ]
        for (word, agg) in table {
            XCTAssertEqual(parse("\(word)(wall_time) <= 1")?.aggregate, agg, word)
        }
        XCTAssertEqual(Aggregate.percentile(99.9).description, "p99.9")
    }

    func testEveryComparison() {
        let table: [(String, Comparison)] = [("<", .lessThan), ("<=", .lessOrEqual), (">", .greaterThan), (">=", .greaterOrEqual),
                                             ("≤", .lessOrEqual), ("≥", .greaterOrEqual)]
        for (op, cmp) in table {
            XCTAssertEqual(parse("max(wall_time) \(op) 15s")?.comparison, cmp, op)
            XCTAssertEqual(parse("max(wall_time)\(op)15s")?.comparison, cmp, op)
        }
    }

    func testThresholdsAreInBaseUnits() {
        XCTAssertEqual(parse("max(wall_time) <= 15s")?.threshold, .absolute(15))
        XCTAssertEqual(parse("max(wall_time) <= 250ms")?.threshold, .absolute(0.25))
        XCTAssertEqual(parse("max(memory_peak) <= 100MB")?.threshold, .absolute(100_000_000))
        XCTAssertEqual(parse("max(memory_peak) <= 1GiB")?.threshold, .absolute(1_073_741_824))
        XCTAssertEqual(parse("max(memory_peak) <= 4096")?.threshold, .absolute(4096))
        XCTAssertEqual(parse("mean(cpu_percent) <= 80")?.threshold, .absolute(80))
        XCTAssertEqual(parse("mean(cpu_percent) <= 80%")?.threshold, .absolute(80))
        XCTAssertEqual(parse("max(pids_peak) < 64")?.threshold, .absolute(64))
        XCTAssertEqual(parse("count(wall_time) >= 3")?.threshold, .absolute(3))
        XCTAssertEqual(parse("p99(custom.request_latency) < 10ms")?.threshold, .absolute(0.01))
        XCTAssertEqual(parse("max(custom.rss) < 2MiB")?.threshold, .absolute(2_097_152))
        XCTAssertEqual(parse("min(custom.temp) > -5")?.threshold, .absolute(-5))
        XCTAssertEqual(parse("max(svc.api.memory_peak) <= 64MiB")?.metric, .service("api", .memoryPeak))
        XCTAssertEqual(parse("max(svc.my-api.cpu_time) <= 2s")?.metric, .service("my-api", .cpuTime))
    }

    func testBaselineForms() {
        XCTAssertEqual(parse("median(wall_time) <= baseline + 10%")?.threshold, .baselinePercent(10))
        XCTAssertEqual(parse("median(wall_time) >= baseline - 5%")?.threshold, .baselinePercent(-5))
        XCTAssertEqual(parse("median(wall_time) <= baseline + 50ms")?.threshold, .baselineDelta(0.05))
        XCTAssertEqual(parse("max(memory_peak) <= baseline - 1MiB")?.threshold, .baselineDelta(-1_048_576))
        XCTAssertEqual(parse("max(memory_peak) <= baseline+1024")?.threshold, .baselineDelta(1024))
        XCTAssertEqual(parse("median(wall_time)<=baseline-10%")?.threshold, .baselinePercent(-10))
        XCTAssertEqual(parse("median(wall_time) <= baseline")?.threshold, .baselinePercent(0))
        XCTAssertEqual(parse("median(wall_time) <= baseline + 10%")?.needsBaseline, true)
        XCTAssertEqual(parse("median(wall_time) <= 1s")?.needsBaseline, false)
    }

    func testOddWhitespace() {
        let o = parse("p99( custom.x )<10ms")
        XCTAssertEqual(o?.aggregate, .percentile(99))
        XCTAssertEqual(o?.metric, .custom("x"))
        XCTAssertEqual(o?.threshold, .absolute(0.01))
        XCTAssertEqual(parse("  max\t(\twall_time\t)\n<=\u{00A0}15 s  ")?.threshold, .absolute(15))
        XCTAssertEqual(parse("max(wall_time)<=15s")?.text, "max(wall_time)<=15s")
    }

    func testPlusMinusIsRejectedWithAHint() {
        let e = error("median(wall_time) <= baseline ± 10%")
        XCTAssertEqual(e?.offset, 30)
        XCTAssertTrue(e?.hint?.contains("baseline + N%") ?? false)
    }

    func testErrorsPointAtTheBadToken() {
        // (text, offset, message fragment, hint)
        let table: [(String, Int, String, String)] = [
            ("max(memory_peak) <= 10s", 20, "is a duration, but memory_peak is a size", "e.g. 512MiB, 2GB"),
            ("p99(custom.x) < 10 milliseconds", 19, "unknown unit \"milliseconds\"", "try 10ms"),
            ("avg(wall_time) < 1s", 0, "unknown aggregate \"avg\"", "did you mean mean?"),
            ("p100(wall_time) < 1s", 0, "out of range", "use max(...)"),
            ("p0(wall_time) < 1s", 0, "out of range", "use min(...)"),
            ("max(wall_tme) < 1s", 4, "unknown metric \"wall_tme\"", "did you mean wall_time?"),
            ("max(memory_peek) < 1GB", 4, "unknown metric \"memory_peek\"", "did you mean memory_peak?"),
            ("max(wall_time) = 1s", 15, "not a comparison", "use one of < <= > >="),
            ("max(wall_time) =< 1s", 15, "'=<' is not a comparison", "write <="),
            ("max(wall_time) <= 1s and 2s", 21, "unexpected \"and\"", "one comparison per objective: write a second objective for another bound"),
            ("max wall_time <= 1s", 4, "expected '('", "write AGG(METRIC), e.g. max(wall_time) <= 15s"),
            ("max(wall_time <= 1s", 14, "expected ')'", "e.g. max(wall_time) <= 15s"),
            ("max() <= 1s", 4, "the metric is missing", "e.g. max(wall_time), p99(custom.latency), max(svc.api.memory_peak)"),
            ("max(wall_time)", 14, "the comparison is missing", "e.g. max(wall_time) <= 15s"),
            ("max(wall_time) <=", 17, "expected a threshold", "e.g. 15s, 512MiB, 80, or baseline + 10%"),
            ("", 0, "the objective is empty", "e.g. max(wall_time) <= 15s"),
            ("max(pids_peak) < 64s", 17, "is a duration, but pids_peak is a count", "write a bare number, e.g. 64"),
            ("count(wall_time) >= 3s", 20, "but count(wall_time) is a count", "write a bare number, e.g. 3"),
            ("max(svc.api.wall_time) < 1s", 4, "wall_time is not measured for services", "service metrics: cpu_time cpu_user cpu_system cpu_percent memory_peak disk_read_bytes disk_write_bytes pids_peak"),
            ("max(svc.api.memory_peek) < 1GB", 4, "unknown service metric \"memory_peek\"", "did you mean svc.api.memory_peak?"),
            ("max(latency) < 1s", 4, "unknown metric \"latency\"", "metrics the workload reports itself are written custom.latency; see docs/slo.md for the built-in ones"),
            ("max(disk_read_bytes) < 20MB/s", 23, "is a rate, but disk_read_bytes is a size", "e.g. 512MiB, 2GB"),
            ("max(wall_time) <= baseline * 2", 27, "expected + or - after baseline", "e.g. baseline + 10% or baseline + 50ms"),
            ("max(wall_time) <= Baseline + 1%", 18, "unknown word", "write baseline, in lower case"),
            ("max(memory_peak) <= 50%", 20, "is a percent, but memory_peak is a size", "e.g. 512MiB, 2GB"),
            ("P99(wall_time) < 1s", 0, "unknown aggregate", "write p99"),
            ("max(custom.) < 1", 4, "custom metric needs a name", "write custom.NAME, the name the workload reports"),
        ]
        for (text, offset, fragment, hint) in table {
            guard let e = error(text) else { continue }
            XCTAssertEqual(e.offset, offset, text)
            XCTAssertTrue(e.message.contains(fragment), "\(text): \(e.message)")
            XCTAssertEqual(e.hint, hint, text)
        }
    }

    func testAllErrorsOfOneObjectiveAreReported() {
        let r = ObjectiveParser.diagnose("p99(latency) < 10 milliseconds")
        XCTAssertNil(r.objective)
        XCTAssertEqual(r.errors.map(\.offset), [4, 18])
    }

    func testLexerPositionsAndTokens() {
        let t = ObjectiveLexer.tokenize("p99.9(svc.a-b.cpu_time)≤baseline-10%")
        XCTAssertEqual(t.map(\.kind), [.word("p99.9"), .lparen, .word("svc.a-b.cpu_time"), .rparen, .comparison(.lessOrEqual),
                                       .word("baseline"), .minus, .number("10"), .percent, .end])
        XCTAssertEqual(t.map(\.offset), [0, 5, 6, 22, 23, 24, 32, 33, 35, 36])
    }
}
