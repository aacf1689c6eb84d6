import ArgumentParser
import CleanroomKit
import Foundation

extension CompareRender.Format: ExpressibleByArgument {}

/// `cleanroom compare BASE.json HEAD.json`: what changed between two reports, with the
/// statistics to tell a change from noise. Informational: exits 0 whatever changed.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two reports metric by metric, with statistics.",
        discussion: """
        For every workload and metric present in both reports: the base and head medians, the \
        change in percent with a 95% bootstrap confidence interval, and the two-sided \
        Mann–Whitney U p-value. A change is called faster/slower (durations) or larger/smaller \
        only when p < 0.05 and the interval excludes 0; otherwise "no change". Builtin metrics \
        are compared over measured runs, custom metrics over all their observations.

        Exit codes: 0 compared; 2 a report could not be read.
        """)

    @Argument(help: "The base report (report.json).")
    var base: String

    @Argument(help: "The head report (report.json) to compare against the base.")
    var head: String

    @Option(help: "Output format: table, json or markdown.")
    var format: CompareRender.Format = .table

    func run() throws {
        let b = try Self.load(base, role: "base")
        let h = try Self.load(head, role: "head")
        print(CompareRender.render(Compare.compare(base: b, head: h), as: format), terminator: "")
    }

    /// Reads a report or exits 2 with a sentence saying which file and why.
    static func load(_ path: String, role: String) throws -> Report {
        func fail(_ message: String) -> Error {
            FileHandle.standardError.write(Data("cleanroom compare: \(role) report \(path): \(message)\n".utf8))
            return ExitCode(ExitStatus.usage)
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw fail("cannot read it (\((error as NSError).localizedDescription))")
        }
        // The schema first, so "not a cleanroom report" is said plainly rather than as a decoding path.
        if let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            if let schema = obj["schema"] as? String, schema != Report.schemaID {
                throw fail("schema is \"\(schema)\", expected \"\(Report.schemaID)\"")
            }
        } else {
            throw fail("not JSON")
        }
        do { return try JSONDecoder().decode(Report.self, from: data) } catch let DecodingError.keyNotFound(key, ctx) {
            throw fail("not a cleanroom report: missing \"\(key.stringValue)\" at \(describe(ctx.codingPath))")
        } catch let DecodingError.typeMismatch(_, ctx), let DecodingError.valueNotFound(_, ctx),
                let DecodingError.dataCorrupted(ctx) {
            throw fail("not a cleanroom report: \(ctx.debugDescription) at \(describe(ctx.codingPath))")
        } catch {
            throw fail("not a cleanroom report: \(error)")
        }
    }

    private static func describe(_ keys: [CodingKey]) -> String {
        keys.isEmpty ? "top level" : keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    }
}
