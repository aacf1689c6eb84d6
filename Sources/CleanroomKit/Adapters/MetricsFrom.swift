import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One entry of a workload's `metrics_from` (docs/benchmarks.md).
public struct MetricsSource: Equatable, Sendable {
    public enum Origin: Equatable, Sendable {
        /// A file the workload writes, relative to its cwd; a glob (`*`, `?`, `[…]`) reads every match.
        case file(String)
        /// The run's captured stdout.
        case stdout
        /// A Prometheus / OpenMetrics endpoint scraped before and after the workload, from inside the
        /// run's network namespace: a service's port and path, or a URL on 127.0.0.1.
        case scrape(PrometheusTarget)
    }
    public var format: String
    public var origin: Origin
    public init(format: String, origin: Origin) { self.format = format; self.origin = origin }

    public var label: String {
        switch origin {
        case .file(let p): return "\(format) \(p)"
        case .stdout: return "\(format) stdout"
        case .scrape(let t): return "\(format) \(t.label)"
        }
    }
}

/// Reads a run's `metrics_from` files and stdout into custom metrics, after the run.
public enum MetricsFrom {
    /// The most read of any one file (a runaway tool must not exhaust cleanroom's memory).
    public static let byteLimit = 64 << 20

    /// Adds the observations of every file/stdout source to `custom` (scrapes are added by the
    /// service hook, not here). Unreadable or malformed input is counted in `custom.malformed`.
    public static func collect(_ sources: [MetricsSource], cwd: String, stdoutPath: String?, into custom: inout CustomMetrics) {
        for source in sources {
            guard let adapter = BenchmarkFormats.adapter(source.format) else { continue }
            switch source.origin {
            case .stdout:
                guard let stdoutPath else {
                    note(&custom, source, ["the run's stdout was not kept in a file"]); continue
                }
                let data: Data
                do { data = try read(stdoutPath) } catch {
                    note(&custom, source, ["the run's stdout could not be read: \(error)"]); continue
                }
                merge(adapter.parse(data, source: "stdout"), from: source, into: &custom)
            case .file(let rel):
                let pattern = rel.hasPrefix("/") ? rel : cwd + "/" + rel
                let paths = expand(pattern)
                if paths.isEmpty { note(&custom, source, ["no file \(rel) in \(cwd) after the run"]); continue }
                for p in paths {
                    let data: Data
                    do { data = try read(p) } catch { note(&custom, source, ["\(p) could not be read: \(error)"]); continue }
                    merge(adapter.parse(data, source: p), from: source, into: &custom)
                }
            case .scrape: continue
            }
        }
    }

    /// Observations into series (units must agree with the series' earlier values, as for
    /// `$CLEANROOM_METRICS` lines); the adapter's complaints into `malformed`.
    public static func merge(_ output: AdapterOutput, from source: MetricsSource, into custom: inout CustomMetrics) {
        var bad: [String] = output.malformed
        for o in output.observations {
            if let s = custom.series[o.name] {
                guard s.unit == o.unit else {
                    bad.append("\(o.name): unit \"\(o.unit)\" does not match this metric's earlier \"\(s.unit)\""); continue
                }
                custom.series[o.name]!.values.append(o.value)
            } else {
                custom.series[o.name] = CustomSeries(unit: o.unit, values: [o.value])
            }
        }
        note(&custom, source, bad)
    }

    static func note(_ custom: inout CustomMetrics, _ source: MetricsSource, _ problems: [String]) {
        guard !problems.isEmpty else { return }
        var m = custom.malformed ?? CustomMalformed(count: 0, examples: [])
        m.count += problems.count
        for p in problems where m.examples.count < CustomMetrics.exampleLimit {
            m.examples.append("metrics_from \(source.label): \(p)")
        }
        custom.malformed = m
    }

    /// A tool's output, at most `byteLimit` bytes: a regular file only, since the workload may have
    /// left anything at the path (a FIFO there blocked this read for ever). Links are followed:
    /// tools link their latest results into place.
    static func read(_ path: String) throws -> Data {
        Data(try BoundedRead.prefix(path, upTo: byteLimit, what: "metrics_from output", followingLinks: true))
    }

    /// glob(3) over `pattern`, sorted; a pattern without wildcards gives itself if it exists.
    static func expand(_ pattern: String) -> [String] {
        guard pattern.contains(where: { "*?[".contains($0) }) else {
            return FileManager.default.fileExists(atPath: pattern) ? [pattern] : []
        }
        var g = glob_t()
        defer { globfree(&g) }
        guard glob(pattern, 0, nil, &g) == 0 else { return [] }
        return (0..<Int(g.gl_pathc)).compactMap { g.gl_pathv[$0].map { String(cString: $0) } }.sorted()
    }
}
