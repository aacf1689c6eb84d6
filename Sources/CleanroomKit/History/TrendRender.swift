import Foundation

/// `cleanroom history --format table|json|csv`.
public enum TrendRender {
    public enum Format: String, CaseIterable, Sendable { case table, json, csv }

    public static func render(_ points: [TrendPoint], metric: MetricRef, workload: String?, as format: Format) -> String {
        switch format {
        case .table: return table(points, metric: metric, workload: workload)
        case .json: return json(points, metric: metric, workload: workload)
        case .csv: return csv(points)
        }
    }

    /// Oldest first, one line per report and workload; figures in human units.
    static func table(_ points: [TrendPoint], metric: MetricRef, workload: String?) -> String {
        guard !points.isEmpty else {
            return "no recorded values of \(metric.key)" + (workload.map { " for workload \($0)" } ?? "") + "\n"
        }
        let header = ["when", "workload", "verdict", "n", "median", "p95", "labels"]
        let rows = points.map { p -> [String] in
            [when(p.startedAt), p.workload, p.verdict, String(p.n), UnitText.value(p.median, unit: p.unit),
             UnitText.value(p.p95, unit: p.unit), labels(p.labels)]
        }
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                // Numbers right-aligned, text left-aligned; the last column is not padded.
                if i == cells.count - 1 { return c }
                let pad = String(repeating: " ", count: widths[i] - c.count)
                return (3...5).contains(i) ? pad + c : c + pad
            }.joined(separator: "  ")
        }
        var out = "\(metric.key)" + (workload.map { " · \($0)" } ?? "") + "\n"
        out += line(header) + "\n"
        for r in rows { out += line(r) + "\n" }
        return out
    }

    static func json(_ points: [TrendPoint], metric: MetricRef, workload: String?) -> String {
        struct Doc: Encodable { var schema = "cleanroom/history-trend@1"; var metric: String; var workload: String?; var points: [TrendPoint] }
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? enc.encode(Doc(metric: metric.key, workload: workload, points: points))) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// Base units, full precision (Swift's shortest round-trip form of each Double).
    static func csv(_ points: [TrendPoint]) -> String {
        var out = "report_id,started_at,workload,metric,unit,verdict,n,median,p95,mean,min,max,labels\n"
        for p in points {
            let cells: [String] = [String(p.reportID), p.startedAt, p.workload, p.metric, p.unit, p.verdict, String(p.n),
                                   "\(p.median)", "\(p.p95)", "\(p.mean)", "\(p.min)", "\(p.max)", labels(p.labels)]
            out += cells.map(field).joined(separator: ",") + "\n"
        }
        return out
    }

    static func when(_ iso: String) -> String {
        // "2026-11-22T10:00:00.123Z" → "2026-11-22 10:00:00"
        let s = iso.replacingOccurrences(of: "T", with: " ")
        return s.count >= 19 ? String(s.prefix(19)) : s
    }

    static func labels(_ l: [String: String]) -> String {
        l.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }

    /// RFC 4180 quoting.
    static func field(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
