import Foundation

/// Metrics a workload reports itself: one JSON object per line appended to the file named by
/// `$CLEANROOM_METRICS`, e.g. `{"name": "request_latency", "value": 0.0021, "unit": "s"}`.
///
/// Values are stored in the base unit of their unit's dimension (`ms` → `s`, `KiB` → `B`), so one
/// series may mix `ms` and `s`. A unit cleanroom does not know (`req/s`, `ops`) is kept as written,
/// values untouched; a line without `unit` has unit "". A line that cannot be read, or whose unit
/// contradicts the series' earlier lines, is counted in `malformed` and skipped: never fatal.
///
/// A small hand parser for this flat object (JSONSerialization per line is several times slower
/// on 200k lines); lines with nested values fall back to JSONSerialization.
public struct CustomMetrics: Equatable, Sendable {
    public var series: [String: CustomSeries] = [:]
    /// nil when every line was good.
    public var malformed: CustomMalformed?

    /// How many malformed lines are quoted in `malformed.examples`.
    public static let exampleLimit = 5
    /// The most of the file that is read (a runaway workload must not exhaust cleanroom's memory).
    public static let defaultByteLimit = 256 << 20

    public init(series: [String: CustomSeries] = [:], malformed: CustomMalformed? = nil) {
        self.series = series; self.malformed = malformed
    }

    /// Parses the file at `path`; a missing or empty file gives no series and no malformed lines.
    ///
    /// The workload had the last word on what is at `path`: a FIFO it left there would block the
    /// read for ever (no writer is left once the run is over), a link would point the read at a
    /// file cleanroom did not make. Either is refused and said in `malformed`; no file is no metrics.
    public static func parse(contentsOf path: String, byteLimit: Int = defaultByteLimit) -> CustomMetrics {
        let data: Data
        do {
            data = Data(try BoundedRead.prefix(path, upTo: byteLimit + 1, what: "custom metrics file", followingLinks: false))
        } catch let e as InputFileError where e.errno == ENOENT {
            return CustomMetrics()
        } catch {
            return CustomMetrics(series: [:], malformed: CustomMalformed(count: 1, examples: ["$CLEANROOM_METRICS not read: \(error)"]))
        }
        var result = parse(data.prefix(byteLimit))
        if data.count > byteLimit {
            var m = result.malformed ?? CustomMalformed(count: 0, examples: [])
            m.count += 1
            if m.examples.count < exampleLimit {
                m.examples.append("file larger than \(Units.format(Double(byteLimit), .bytes)): the rest was not read")
            }
            result.malformed = m
        }
        return result
    }

    public static func parse(_ text: String) -> CustomMetrics { parse(Data(text.utf8)) }

    public static func parse(_ data: Data) -> CustomMetrics {
        var builder = Builder()
        builder.current.reserveCapacity(1024)
        data.withUnsafeBytes { raw in
            let b = raw.bindMemory(to: UInt8.self)
            var lineNo = 0
            var start = 0
            while start < b.count {
                var end = start
                while end < b.count, b[end] != 10 { end += 1 }
                lineNo += 1
                let line = UnsafeBufferPointer(rebasing: b[start..<end])
                builder.add(line, lineNo: lineNo)
                start = end + 1
            }
        }
        return builder.result()
    }

    /// Accumulates lines into series; caches unit conversions and the last series touched.
    struct Builder {
        var values: [String: [Double]] = [:]
        var units: [String: String] = [:]
        var unitCache: [String: (factor: Double, base: String)] = [:]
        var bad = 0
        var examples: [String] = []
        // The previous good line's name and unit, raw, and what they resolved to.
        var lastNameBytes: [UInt8] = [], lastName = ""
        var lastUnitBytes: [UInt8] = [], lastFactor = 1.0
        var hasLast = false
        var lastTagged = false
        /// Values of `lastName` not yet moved into `values`.
        var current: [Double] = []

        mutating func add(_ line: UnsafeBufferPointer<UInt8>, lineNo: Int) {
            var i = 0
            while i < line.count, KernelText.isBlank(line[i]) || line[i] == 13 { i += 1 }
            if i == line.count { return }   // blank lines are not observations and not errors
            let parsed: Result<Line, LineError>
            switch FlatJSON.parse(line) {
            case .success(let l): parsed = .success(l)
            case .failure(.nested): parsed = FlatJSON.parseWithFoundation(line)
            case .failure(let e): parsed = .failure(e)
            }
            switch parsed {
            case .failure(let e):
                reject(line, lineNo, e.message)
            case .success(let l):
                if let k = l.unknownKey {
                    return reject(line, lineNo, "unknown key \"\(k)\" (a line holds name, value, unit and tags: {\"op\": \"set\"})")
                }
                guard let nameText = l.name else { return reject(line, lineNo, "no \"name\"") }
                guard let value = l.value else { return reject(line, lineNo, "no numeric \"value\"") }
                guard value.isFinite else { return reject(line, lineNo, "\"value\" is not a finite number") }
                // Fast path: same name and unit as the previous good line (byte comparison only).
                if hasLast, !lastTagged, l.tags == nil, nameText.equals(lastNameBytes, in: line),
                   l.unit.map({ $0.equals(lastUnitBytes, in: line) }) ?? lastUnitBytes.isEmpty {
                    current.append(value * lastFactor)
                    return
                }
                let base = nameText.string(line)
                guard !base.isEmpty else { return reject(line, lineNo, "empty \"name\"") }
                if base.contains(where: { "{},=".contains($0) }) {
                    return reject(line, lineNo, "\"name\" may not contain { } , = (tags go in \"tags\")")
                }
                let name: String
                switch CustomTags.seriesName(base, tags: l.tags ?? []) {
                case .success(let n): name = n
                case .failure(let e): return reject(line, lineNo, e.message)
                }
                let unit = l.unit?.string(line) ?? ""
                guard let conv = convert(unit) else { return reject(line, lineNo, "unit \"\(unit)\" is not a unit") }
                if let known = units[name], known != conv.base {
                    return reject(line, lineNo, "unit \"\(unit)\" (\(conv.base.isEmpty ? "none" : conv.base)) does not match this metric's earlier \"\(known)\"")
                }
                flush()
                units[name] = conv.base
                // A tagged series is never continued by the fast path (its name is not the bytes).
                lastName = name; lastNameBytes = Array(base.utf8); lastTagged = l.tags != nil
                lastUnitBytes = Array(unit.utf8); lastFactor = conv.factor
                hasLast = true
                current.append(value * conv.factor)
            }
        }

        /// Moves the run of values of the previous name into its series.
        mutating func flush() {
            guard hasLast, !current.isEmpty else { return }
            values[lastName, default: []].append(contentsOf: current)
            current.removeAll(keepingCapacity: true)
        }

        /// (factor to the base unit, base unit) of `unit`; unknown units stay as written.
        mutating func convert(_ unit: String) -> (factor: Double, base: String)? {
            if let c = unitCache[unit] { return c }
            let c: (factor: Double, base: String)
            if unit.isEmpty {
                c = (1, "")
            } else if let q = try? Units.parse("1" + unit), let d = q.dimension {
                c = (q.value, d.baseUnit)
            } else if let q = try? Units.parse("1 " + unit), let d = q.dimension {
                c = (q.value, d.baseUnit)
            } else {
                c = (1, unit)   // a unit of the workload's own ("req/s", "ops"): kept as is
            }
            unitCache[unit] = c
            return c
        }

        mutating func reject(_ line: UnsafeBufferPointer<UInt8>, _ lineNo: Int, _ why: String) {
            bad += 1
            guard examples.count < CustomMetrics.exampleLimit else { return }
            var text = String(decoding: line, as: UTF8.self)
            if text.count > 120 { text = String(text.prefix(120)) + "…" }
            examples.append("line \(lineNo): \(why): \(text)")
        }

        mutating func result() -> CustomMetrics {
            flush()
            var out = CustomMetrics()
            for (name, v) in values { out.series[name] = CustomSeries(unit: units[name] ?? "", values: v) }
            if bad > 0 { out.malformed = CustomMalformed(count: bad, examples: examples) }
            return out
        }
    }

    /// One parsed line. Strings stay as byte ranges of the line until needed: most lines repeat
    /// the previous line's name and unit, which are then not decoded again.
    struct Line {
        var name: Text?
        var value: Double?
        var unit: Text?
        /// `"tags": {"op": "set"}`, decoded (nil: no tags key).
        var tags: [(String, String)]?
        /// The first key that is none of name, value, unit, tags.
        var unknownKey: String?
    }

    enum Text {
        case raw(Range<Int>)      // no escapes: the bytes are the string
        case decoded(String)

        func string(_ b: UnsafeBufferPointer<UInt8>) -> String {
            switch self {
            case .raw(let r): return String(decoding: UnsafeBufferPointer(rebasing: b[r]), as: UTF8.self)
            case .decoded(let s): return s
            }
        }

        /// Whether this text equals `bytes` without building a String.
        func equals(_ bytes: [UInt8], in b: UnsafeBufferPointer<UInt8>) -> Bool {
            guard case .raw(let r) = self, r.count == bytes.count else { return false }
            var k = r.lowerBound
            for c in bytes { if b[k] != c { return false }; k += 1 }
            return true
        }
    }

    struct LineError: Error {
        var message: String
        static let nested = LineError(message: "nested")
    }
}

extension CustomMetrics.LineError: Equatable {
    static func == (a: Self, b: Self) -> Bool { a.message == b.message }
}
