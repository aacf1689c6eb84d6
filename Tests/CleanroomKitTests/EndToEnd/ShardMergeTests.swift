import Foundation
import XCTest
@testable import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

/// `run --shard K/N` over a CI matrix and `merge` of the shard reports, against one unsharded run
/// of the same file. Objective statuses are deterministic by construction: every threshold is
/// far from the values (a 20–60 ms workload against 5 s, or against ≥ 3 s).
final class ShardMergeTests: EndToEndTestCase {

    func testShardsCoverEveryWorkloadOnceAndMergeJudgesLikeOneRun() throws {
        let dir = E2E.scratch()
        let names = ["build", "unit-tests", "lint", "docs", "bench api", "e2e"]
        try E2E.writeConfig(E2E.config(
            workloads: names.enumerated().map { i, n in
                ["name": n, "command": E2E.sh("echo \(n) >> ran.log; sleep 0.0\(2 + i % 4)"), "repeat": 2] as [String: Any]
            },
            slos: [["name": "Quick", "workload": "*", "objective": "median(wall_time) <= 5s"],
                   ["name": "Impossible", "workload": "lint", "objective": "median(wall_time) >= 3s"],
                   ["name": "Nag", "workload": "docs", "objective": "max(wall_time) <= 1ms", "level": "warn"],
                   ["name": "Runs", "workload": "*", "objective": "count(wall_time) >= 2"]]), in: dir)

        let whole = try E2E.cleanroom(["run", "-o", "whole"], in: dir)
        XCTAssertEqual(whole.code, 1, "Impossible fails: \(whole)")
        let wholeReport = try E2E.report(dir + "/whole/report.json")
        try FileManager.default.removeItem(atPath: dir + "/ran.log")

        var covered: [String] = []
        var shardCodes: [Int32] = []
        for k in 1...3 {
            let r = try E2E.cleanroom(["run", "--shard", "\(k)/3", "-o", "shard-\(k)"], in: dir)
            shardCodes.append(r.code)
            let report = try E2E.report(dir + "/shard-\(k)/report.json")
            XCTAssertEqual(report["shard"] as? String, "\(k)/3")
            let inShard = E2E.workloads(report).compactMap { $0["name"] as? String }
            XCTAssertEqual(Set(inShard), Set(names.filter { Shard(index: k, count: 3).contains($0) }), "shard \(k) follows the stable hash")
            covered += inShard
            // A shard's verdict is its own: it fails only if it holds lint.
            XCTAssertEqual(r.code, inShard.contains("lint") ? 1 : 0, "shard \(k): \(r)")
            E2E.assertNothingLeft(cleanroomPID: r.pid)
        }
        XCTAssertEqual(covered.sorted(), names.sorted(), "every workload exactly once")
        let ran = try String(contentsOfFile: dir + "/ran.log", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(ran.count, names.count * 2, "each workload ran its 2 runs in exactly one shard")

        let shards = (1...3).map { "shard-\($0)/report.json" }
        for (label, extra) in [("merged-c", ["-c", "slo.json"]), ("merged", [])] {
            let m = try E2E.cleanroom(["merge"] + shards + ["-o", label] + extra, in: dir)
            XCTAssertEqual(m.code, whole.code, "\(label): \(m)")
            let merged = try E2E.report(dir + "/\(label)/report.json")
            XCTAssertEqual(merged["verdict"] as? String, wholeReport["verdict"] as? String)
            XCTAssertEqual(Set(E2E.workloads(merged).compactMap { $0["name"] as? String }), Set(names))
            XCTAssertNil(merged["shard"] as? String, "a merged report is not a shard")
            func statuses(_ r: [String: Any]) -> [String: String] {
                Dictionary(uniqueKeysWithValues: E2E.slos(r).map {
                    ("\($0["name"] as! String)[\($0["workload"] as! String)]", $0["status"] as! String)
                })
            }
            XCTAssertEqual(statuses(merged), statuses(wholeReport), label)
            XCTAssertEqual(statuses(merged).count, 2 * names.count + 2, "`*` objectives: one result per workload")
            for f in ["report.json", "report.csv", "slos.csv", "report.html"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/\(label)/" + f), "\(label) lacks \(f)")
            }
        }

        // Overlapping shards (the same one twice) are refused: exit 2.
        let twice = try E2E.cleanroom(["merge", shards[0], shards[0], "-o", "bad"], in: dir)
        if !E2E.workloads(try E2E.report(dir + "/" + shards[0])).isEmpty {
            XCTAssertEqual(twice.code, 2, "\(twice)")
            XCTAssertTrue(twice.err.contains("shard"), twice.err)
        }
        XCTAssertEqual(try E2E.cleanroom(["merge", "nope.json", "-o", "bad2"], in: dir).code, 2)

        // Merging with a stricter slo.json judges the whole again.
        var stricter = E2E.config(workloads: names.map { ["name": $0, "command": E2E.sh("true")] },
                                  slos: [["name": "Quick", "workload": "*", "objective": "median(wall_time) <= 5s"]])
        let strictMerge = try { () -> E2E.Result in
            try E2E.writeConfig(stricter, in: dir, name: "pass.json")
            return try E2E.cleanroom(["merge"] + shards + ["-o", "merged-pass", "-c", "pass.json"], in: dir)
        }()
        XCTAssertEqual(strictMerge.code, 0, "without the impossible objective the whole passes: \(strictMerge)")
        stricter["slos"] = [["name": "Tiny", "workload": "*", "objective": "median(wall_time) <= 1ms"]]
        try E2E.writeConfig(stricter, in: dir, name: "tiny.json")
        let tiny = try E2E.cleanroom(["merge"] + shards + ["-o", "merged-tiny", "-c", "tiny.json"], in: dir)
        XCTAssertEqual(tiny.code, 1, "\(tiny)")
        XCTAssertEqual(E2E.slos(try E2E.report(dir + "/merged-tiny/report.json")).count, names.count)
    }
}
