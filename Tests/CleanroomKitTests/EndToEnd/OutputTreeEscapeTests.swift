import Foundation
import XCTest
@testable import CleanroomKit
#if canImport(Glibc)
import Glibc
#endif

/// A workload under `filesystem: readonly` may write only its cwd and a private /tmp. With the
/// output directory inside that cwd it can rename what cleanroom made there and plant symbolic
/// links to host directories: cleanroom (root, the host's view) must never follow them when it
/// writes the next run's stdout.txt / stderr.txt / metrics.jsonl or the reports (OutputRoots).
final class OutputTreeEscapeTests: EndToEndTestCase {

    /// Everything in `dir`, recursively, as relative paths.
    func contents(_ dir: String) -> [String] {
        (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? []).sorted()
    }

    /// Runs a 3-run readonly workload whose first run moves `target` (inside out/) to `moved` and
    /// plants a link to a fresh host directory in its place; checks that the plant happened and
    /// that nothing reached the link's target: no file added, the `hostFiles` made there before the
    /// run (host files at the names a later run would use) unchanged. Returns the scratch dir and the result.
    func attack(_ target: String, movedTo moved: String, hostFiles: [String] = []) throws -> (dir: String, result: E2E.Result) {
        let dir = E2E.scratch(), victim = E2E.scratch()
        for f in hostFiles {
            try FileManager.default.createDirectory(atPath: victim + "/" + (f as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try "host\n".write(toFile: victim + "/" + f, atomically: false, encoding: .utf8)
        }
        let before = contents(victim)
        let plant = "if [ ! -L \(target) ]; then mv \(target) \(moved) && ln -s \(victim) \(target); fi"
        let config = E2E.config(
            workloads: [["name": "w", "cwd": ".", "sandbox": ["filesystem": "readonly"],
                         "command": ["sh", "-c", plant + "; echo '* * * * * root touch /tmp/pwned'; "
                                     + "echo '{\"name\": \"pwned\", \"value\": 1}' >> \"$CLEANROOM_METRICS\""]]],
            slos: [["name": "Ran", "workload": "w", "objective": "max(wall_time) < 20s"]],
            defaults: ["repeat": 3, "warmup": 0, "noise": "off"])
        try E2E.writeConfig(config, in: dir)
        let r = try E2E.cleanroom(["run", "-c", "slo.json", "-o", "out"], in: dir)
        XCTAssertEqual(contents(victim), before, "nothing may be written through the planted link\n\(r)")
        for f in hostFiles {
            XCTAssertEqual(try String(contentsOfFile: victim + "/" + f, encoding: .utf8), "host\n", "\(f)\n\(r)")
        }
        let link = try? FileManager.default.destinationOfSymbolicLink(atPath: dir + "/" + target)
        XCTAssertEqual(link, victim, "the plant happened (the attack was made)\n\(r)")
        return (dir, r)
    }

    /// The first run swaps the workload's runs directory for a link to a host directory; the next
    /// run's directory would be made and written through it.
    func testALinkPlantedForTheNextRunIsRefusedNotFollowed() throws {
        let (dir, r) = try attack("out/runs/w", movedTo: "out/runs-moved")
        XCTAssertEqual(r.code, ExitStatus.environment, "a run whose outputs cannot be written is an error\n\(r)")
        XCTAssertTrue(r.err.contains("not following links") && r.err.contains("out/runs/w"), r.err)
        // The reports still land in the real output directory, whole.
        let report = try E2E.report(dir + "/out/report.json")
        XCTAssertEqual(report["verdict"] as? String, "error", "\(r)")
        // Run 1's own files went into the directory made for it, now at its new name.
        XCTAssertTrue(contents(dir + "/out/runs-moved").contains("1/metrics.jsonl"), "\(contents(dir + "/out"))")
    }

    /// The first run swaps the whole output directory for a link: cleanroom goes on writing into
    /// the directory it opened before any run (now at its new name), never into the link's target.
    func testTheOutputDirectorySwappedForALinkKeepsItsFilesOutOfTheTarget() throws {
        // Host files where the next runs' metrics files would be, through the link: the run's own
        // mount of its metrics file must not become one of them (the child checks device and inode).
        let (dir, r) = try attack("out", movedTo: "out-moved",
                                  hostFiles: ["runs/w/2/metrics.jsonl", "runs/w/3/metrics.jsonl"])
        let moved = contents(dir + "/out-moved")
        for f in ["report.json", "report.html", "runs/w/1/stdout.txt", "runs/w/1/metrics.jsonl"] {
            XCTAssertTrue(moved.contains(f), "\(f) in \(moved)")
        }
        // Later runs may fail to start (their metrics file is reached by path inside the run, and
        // that path now leads through the link: refused): an error the report states, not a pass.
        let report = try E2E.report(dir + "/out-moved/report.json")
        XCTAssertTrue(r.err.contains("check metrics file") && r.err.contains("(ELOOP)"), "the child's check refused the host file\n\(r)")
        XCTAssertEqual(r.code, report["verdict"] as? String == "pass" ? 0 : ExitStatus.environment, "\(r)")
    }
}
