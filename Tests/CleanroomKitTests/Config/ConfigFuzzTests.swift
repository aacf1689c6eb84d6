import XCTest
@testable import CleanroomKit

/// Whatever the bytes, the loader returns a Plan or at least one diagnostic, and never crashes.
final class ConfigFuzzTests: XCTestCase {
    private func check(_ bytes: [UInt8], _ label: String) {
        let result = ConfigLoader.load(data: Data(bytes), path: "fuzz.json", baseDirectory: "/tmp")
        switch result {
        case .success(let plan):
            XCTAssertFalse(plan.workloads.isEmpty, label)
        case .failure(let e):
            XCTAssertFalse(e.diagnostics.isEmpty, label)
            for d in e.diagnostics where d.line != nil {
                XCTAssertGreaterThanOrEqual(d.line!, 1, label)
                XCTAssertGreaterThanOrEqual(d.column ?? 1, 1, label)
            }
            _ = e.renderText()
            let json = e.renderJSON()
            XCTAssertNotNil(try? JSONSerialization.jsonObject(with: Data(json.utf8)), "\(label): renderJSON is not JSON")
        }
    }

    func testRandomBytesNeverCrash() {
        var rng = SeededRNG(state: 0xC1EA_4200)
        let alphabet = Array("{}[]\":,0123456789.-+eE truefalsnl\\u\n\t/ms%()<=>µ".utf8)
        for i in 0..<1500 {
            let n = Int.random(in: 0...400, using: &rng)
            let biased = Bool.random(using: &rng)
            let bytes = (0..<n).map { _ in biased ? alphabet.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng) }
            check(bytes, "random #\(i)")
        }
    }

    func testMutationsOfAValidConfigNeverCrash() throws {
        let original = try [UInt8](Data(contentsOf: TestFixtures.repoRoot.appendingPathComponent("slo.json")))
        var rng = SeededRNG(state: 0x5EED)
        var plans = 0, errors = 0
        for i in 0..<2000 {
            var b = original
            for _ in 0..<Int.random(in: 1...6, using: &rng) where !b.isEmpty {
                let at = Int.random(in: 0..<b.count, using: &rng)
                switch Int.random(in: 0..<6, using: &rng) {
                case 0: b[at] = UInt8.random(in: 0...255, using: &rng)
                case 1: b.remove(at: at)
                case 2: b.insert(Array("{}[]\",:0-9e ".utf8).randomElement(using: &rng)!, at: at)
                case 3: b.removeSubrange(at..<min(b.count, at + Int.random(in: 1...40, using: &rng)))
                case 4: // duplicate a chunk elsewhere
                    let len = min(b.count - at, Int.random(in: 1...60, using: &rng))
                    let chunk = Array(b[at..<at + len])
                    b.insert(contentsOf: chunk, at: Int.random(in: 0...b.count, using: &rng))
                default: b = Array(b.prefix(at))
                }
            }
            let r = ConfigLoader.load(data: Data(b), path: "fuzz.json", baseDirectory: "/tmp")
            if case .success = r { plans += 1 } else { errors += 1 }
            check(b, "mutation #\(i)")
        }
        // Both outcomes occur: the mutations are neither all fatal nor all harmless.
        XCTAssertGreaterThan(errors, 1000)
        XCTAssertGreaterThan(plans, 0)
    }

    func testHugeGarbageAndDeepNesting() {
        var rng = SeededRNG(state: 42)
        // 8 random bytes per draw: a byte-by-byte loop takes ~15 s in a debug build.
        var garbage = [UInt8](repeating: 0, count: 5_000_000)
        garbage.withUnsafeMutableBytes { buf in
            let words = buf.bindMemory(to: UInt64.self)
            for k in 0..<words.count { words[k] = rng.next() }
        }
        check(garbage, "5 MB garbage")
        check(Array(String(repeating: "{\"a\":", count: 50_000).utf8), "deep objects")
        check(Array(String(repeating: "[", count: 200_000).utf8), "deep arrays")
        // 5 MB of valid JSON on one line: excerpts are clipped, not 5 MB long.
        let long = "{\"workloads\": [" + String(repeating: "{\"nme\": 1},", count: 400_000) + "{}]}"
        if case .failure(let e) = ConfigLoader.load(data: Data(long.utf8), path: "x", baseDirectory: "/tmp") {
            XCTAssertEqual(e.diagnostics.count, ConfigLoader.maxDiagnostics + 1)
            XCTAssertLessThan(e.diagnostics.map { $0.excerpt?.count ?? 0 }.max()!, 200)
        } else { XCTFail("loaded") }
    }
}
