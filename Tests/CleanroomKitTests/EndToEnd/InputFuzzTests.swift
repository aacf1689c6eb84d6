import Foundation
import XCTest
@testable import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

/// Seeded fuzzing of the entrances a careless or hostile user reaches: `exec` arguments, and
/// report.json inputs to `check` and `merge` (random bytes, truncated, type-swapped, huge).
/// Never a trap, never a hang, always exit 0/1/2/3/4 with a message. Seeds are fixed, so a
/// failure names the case that reproduces it (CLEANROOM_FUZZ_SEED picks another sequence).
final class InputFuzzTests: EndToEndTestCase {
    typealias SplitMix = SeededRNG

    var seed: UInt64 { ProcessInfo.processInfo.environment["CLEANROOM_FUZZ_SEED"].flatMap(UInt64.init) ?? 11 }

    /// Runs the binary; a process still alive after `limit` seconds is a hang: killed, and a failure.
    func runBounded(_ args: [String], in dir: String, limit: Double = 120) throws -> (E2E.Result, Bool) {
        let p = try E2E.Running(args, in: dir, env: E2E.environment)
        let exited = DispatchSemaphore(value: 0)
        DispatchQueue.global().async { p.process.waitUntilExit(); exited.signal() }
        if exited.wait(timeout: .now() + limit) == .timedOut {
            kill(p.pid, SIGKILL)
            _ = exited.wait(timeout: .now() + 10)
            return (p.wait(), false)
        }
        let r = p.wait()
        return (r, p.process.terminationReason == .exit)
    }

    func assertSane(_ r: E2E.Result, exited: Bool, _ what: String) {
        XCTAssertTrue(exited, "trapped or hung (killed by a signal): \(what)\n\(r)")
        XCTAssertTrue([0, 1, 2, 3, 4].contains(r.code), "exit \(r.code): \(what)\n\(r)")
        XCTAssertFalse((r.out + r.err).trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "no message: \(what)")
        if r.code == 2 { XCTAssertTrue(r.err.contains("cleanroom") || r.err.contains("Error"), "exit 2 without a message: \(what)\n\(r)") }
    }

    // MARK: exec arguments

    static let flags = ["--memory", "--cpus", "--pids", "--timeout", "--kill-grace", "--network", "--seccomp", "--filesystem",
                        "--output-limit", "--expect-exit", "--env", "--cwd", "--sampling", "--disk-read-rate", "--disk-write-rate"]
    static let values = ["0", "-1", "1", "1.5", "512", "1e309", "1e30GiB", "18446744073709551615", "99999999999", "NaN", "inf",
                         "-0", "0x10", "1,5GiB", "", " ", "10 parsecs", "1GiB", "256MiB", "20MB/s", "10ms", "1e-400s", "5m",
                         "host", "none", "strict", "readonly", "default", "/nonexistent/profile.json", "A=B", "=x", "A",
                         "\u{1B}[2J", "é", "٣", "1e18", "4097", "-5s", "1h", String(repeating: "9", count: 3000)]

    func randomExecArgs(_ g: inout SplitMix) -> [String] {
        var args: [String] = []
        for _ in 0..<Int.random(in: 0...4, using: &g) {
            switch Int.random(in: 0..<10, using: &g) {
            case 0: args.append(["--bogus", "-x", "--help=no", "--json", "--strict", "---", "-"].randomElement(using: &g)!)
            case 1: args.append(Self.flags.randomElement(using: &g)!)   // a flag without its value
            default: args += [Self.flags.randomElement(using: &g)!, Self.values.randomElement(using: &g)!]
            }
        }
        switch Int.random(in: 0..<8, using: &g) {
        case 0: break                                   // no command at all
        case 1: args += ["--"]                          // `--` and nothing after it
        case 2: args += ["true"]                        // no `--`
        default: args += ["--", "/bin/true"]
        }
        return args
    }

    func testExecArgumentFuzz() throws {
        var g = SplitMix(state: seed)
        let dir = E2E.scratch()
        var codes: [Int32: Int] = [:]
        for i in 0..<40 {
            let args = randomExecArgs(&g)
            let (r, exited) = try runBounded(["exec"] + args, in: dir)
            codes[r.code, default: 0] += 1
            assertSane(r, exited: exited, "case \(i): exec \(args.map { $0.debugDescription }.joined(separator: " "))")
        }
        // The sequence reaches both sides: refused arguments and commands that ran.
        XCTAssertGreaterThan(codes[2] ?? 0, 8, "\(codes)")
        XCTAssertGreaterThan(codes[0] ?? 0, 2, "\(codes)")
    }

    // MARK: report.json inputs

    static var fixture: Data {
        (try? Data(contentsOf: TestFixtures.repoRoot.appendingPathComponent("Tests/CleanroomKitTests/Reports/fixtures/pass-report.json"))) ?? Data()
    }

    nonisolated(unsafe) static let oddValues: [Any] = [NSNull(), true, 0, -1, 1e308, 9_007_199_254_740_993.0, "", "x", "\u{1B}]0;t\u{07}",
                                   [Any](), [String: Any](), [1, "a", NSNull()], ["k": [1, 2]], String(repeating: "a", count: 100_000)]

    /// Replaces one randomly chosen value somewhere in the tree (or deletes a key).
    static func mutate(_ v: Any, _ g: inout SplitMix, depth: Int = 0) -> Any {
        let stop = Int.random(in: 0..<4, using: &g) == 0 || depth > 8
        if var o = v as? [String: Any], !o.isEmpty {
            let k = o.keys.sorted().randomElement(using: &g)!
            if stop { if Bool.random(using: &g) { o[k] = nil } else { o[k] = oddValues.randomElement(using: &g)! } }
            else { o[k] = mutate(o[k]!, &g, depth: depth + 1) }
            return o
        }
        if var a = v as? [Any], !a.isEmpty {
            let i = Int.random(in: 0..<a.count, using: &g)
            a[i] = stop ? oddValues.randomElement(using: &g)! : mutate(a[i], &g, depth: depth + 1)
            return a
        }
        return oddValues.randomElement(using: &g)!
    }

    static func randomReport(_ g: inout SplitMix) -> Data {
        let base = fixture
        switch Int.random(in: 0..<40, using: &g) {
        case 8...15: return Data(base.prefix(Int.random(in: 0..<base.count, using: &g)))                 // truncated
        case 16...23:                                                                                // bytes flipped
            var d = base
            for _ in 0..<Int.random(in: 1...20, using: &g) { d[Int.random(in: 0..<d.count, using: &g)] = UInt8.random(in: 0...255, using: &g) }
            return d
        case 24...27: return Data((0..<Int.random(in: 0..<4096, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) })   // random
        case 28: return Data((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8)          // deep
        case 29:                                                                                     // huge: many workloads
            var o = try! JSONSerialization.jsonObject(with: base) as! [String: Any]
            let w = (o["workloads"] as! [Any])[0]
            o["workloads"] = Array(repeating: w, count: 300)   // ~1.2 MB: a debug build decodes it in seconds
            return try! JSONSerialization.data(withJSONObject: o)
        default:                                                                                     // type-swapped
            let o = try! JSONSerialization.jsonObject(with: base)
            return (try? JSONSerialization.data(withJSONObject: mutate(o, &g), options: [.fragmentsAllowed])) ?? base
        }
    }

    /// In process, many cases: decoding any bytes ends in a report or a `ReportError`, never a trap.
    func testReportDecodeFuzzInProcess() throws {
        var g = SplitMix(state: seed &+ 1)
        var refused = 0
        for _ in 0..<400 {
            do { _ = try JSONReport.decode(Self.randomReport(&g)) } catch is ReportError { refused += 1 }
        }
        XCTAssertGreaterThan(refused, 150)
    }

    func testCheckAndMergeReportFuzz() throws {
        var g = SplitMix(state: seed &+ 2)
        let dir = E2E.scratch()
        var codes: [Int32: Int] = [:]
        for i in 0..<30 {
            let path = dir + "/r\(i).json"
            try Self.randomReport(&g).write(to: URL(fileURLWithPath: path))
            let args = i % 2 == 0 ? ["check", path] : ["merge", path, dir + "/../" + (dir as NSString).lastPathComponent + "/r\(i - 1).json", "-o", "out\(i)"]
            let (r, exited) = try runBounded(args, in: dir)
            codes[r.code, default: 0] += 1
            assertSane(r, exited: exited, "case \(i): \(args.joined(separator: " "))")
            if r.code == 2 {
                XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out\(i)/report.json"), "exit 2 wrote a report: case \(i)")
            }
        }
        XCTAssertGreaterThan(codes[2] ?? 0, 8, "\(codes)")
    }
}
extension E2E.Running: @unchecked Sendable {}
