/// The report formats `--format` accepts, and the files each one writes.
public enum ReportFormat: String, CaseIterable, Sendable, Codable {
    case json, csv, html, junit, markdown, openmetrics

    /// `json,csv,html`, the contract's default.
    public static let defaults: [ReportFormat] = [.json, .csv, .html]

    /// File names this format writes in the output directory.
    public var fileNames: [String] {
        switch self {
        case .json: return ["report.json"]
        case .csv: return ["report.csv", "slos.csv"]
        case .html: return ["report.html"]
        case .junit: return ["junit.xml"]
        case .markdown: return ["summary.md"]
        case .openmetrics: return ["metrics.prom"]
        }
    }

    /// Parses `json,csv,html` (spaces allowed, duplicates dropped, order kept). Also accepts
    /// `all`, and the file-ish aliases `md`, `prom`, `xml`.
    public static func parseList(_ text: String) throws -> [ReportFormat] {
        var out: [ReportFormat] = []
        for raw in text.split(separator: ",", omittingEmptySubsequences: false) {
            let word = raw.trimmingBlanks.lowercased()
            let found: [ReportFormat]
            switch word {
            case "all": found = ReportFormat.allCases
            case "md": found = [.markdown]
            case "prom", "prometheus": found = [.openmetrics]
            case "xml": found = [.junit]
            default:
                guard let f = ReportFormat(rawValue: word) else {
                    let names = ReportFormat.allCases.map(\.rawValue)
                    let near = names.first { Units.editDistance($0, word) <= 2 }
                    throw ReportError.unknownFormat(word, hint: near)
                }
                found = [f]
            }
            for f in found where !out.contains(f) { out.append(f) }
        }
        return out
    }
}

/// What can go wrong turning a Report into files.
public enum ReportError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownFormat(String, hint: String?)
    /// A NaN or infinity where report.json needs a number; JSON cannot hold one.
    case nonFinite(path: String)
    case unreadable(path: String, reason: String)
    case invalid(path: String, reason: String)

    public var description: String {
        switch self {
        case .unknownFormat(let w, let hint):
            let list = ReportFormat.allCases.map(\.rawValue).joined(separator: ",")
            return "unknown report format \"\(w)\"" + (hint.map { " (did you mean \($0)?)" } ?? "") + "; formats: \(list)"
        case .nonFinite(let p): return "non-finite number at \(p): report.json cannot hold NaN or infinity"
        case .unreadable(let p, let r): return "\(p): cannot read: \(r)"
        case .invalid(let p, let r): return "\(p): not a cleanroom report: \(r)"
        }
    }
}

import Foundation
