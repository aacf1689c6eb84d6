import Foundation

// Apart from the line parser because objectives use it too (Model/Metric.swift turns the
// tags written in an objective into the series' name).

/// Tagged custom metrics: `{"name": "request_latency", "tags": {"op": "set"}, …}` is the series
/// `request_latency{op=set}` (objectives: `p99(custom.request_latency{op=set})`). Tags are sorted
/// by key, so the same set always gives the same name.
public enum CustomTags {
    /// The series name of `base` with `tags`; a failure when a key or value holds a character of
    /// the name syntax (`{ } , =`), a key is empty or repeated.
    static func seriesName(_ base: String, tags: [(String, String)]) -> Result<String, CustomMetrics.LineError> {
        guard !tags.isEmpty else { return .success(base) }
        var seen = Set<String>()
        for (k, v) in tags {
            guard !k.isEmpty else { return .failure(.init(message: "a tag has an empty key")) }
            guard seen.insert(k).inserted else { return .failure(.init(message: "tag \"\(k)\" is repeated")) }
            if (k + v).contains(where: { "{},=".contains($0) }) {
                return .failure(.init(message: "tag \"\(k)\": keys and values may not contain { } , ="))
            }
        }
        return .success(base + "{" + tags.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "}")
    }

    /// `NAME{b=2, a=1}` as written in an objective → `NAME{a=1,b=2}`, the name the series has;
    /// nil when the braces do not hold `k=v` pairs.
    public static func canonical(_ name: String) -> String? {
        guard let open = name.firstIndex(of: "{") else { return name }
        guard name.hasSuffix("}"), name.firstIndex(of: "}") == name.index(before: name.endIndex) else { return nil }
        let base = String(name[..<open])
        let inner = name[name.index(after: open)..<name.index(before: name.endIndex)]
        var tags: [(String, String)] = []
        for pair in inner.split(separator: ",", omittingEmptySubsequences: false) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard kv.count == 2 else { return nil }
            tags.append((kv[0].trimmingBlanks, kv[1].trimmingBlanks))
        }
        guard !base.isEmpty, case .success(let n) = seriesName(base, tags: tags) else { return nil }
        return n
    }
}
