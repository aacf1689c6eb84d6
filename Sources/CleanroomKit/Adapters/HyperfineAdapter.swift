import Foundation

/// hyperfine's JSON export (`hyperfine --export-json FILE ...`). One `NAME.time` observation per
/// timed run (`times`, s); `NAME.user` and `NAME.system` (s, means) once. NAME is the command as
/// hyperfine reports it (`--command-name` if given), with spaces and symbols as `_`.
public enum HyperfineAdapter: BenchmarkAdapter {
    public static let format = "hyperfine"

    public static func parse(_ data: Data) -> AdapterOutput {
        var out = AdapterOutput()
        guard let list = AdapterJSON.list(data, "results", what: "a hyperfine JSON export", &out) else { return out }
        for (i, item) in list.enumerated() {
            guard let r = item as? [String: Any], let name = r["command"] as? String else {
                out.reject("results[\(i)]: no command"); continue
            }
            guard let times = r["times"] as? [Any], !times.isEmpty else {
                out.reject("results[\(i)] \(name): no \"times\""); continue
            }
            for t in times {
                if let v = AdapterJSON.number(t) { out.add(name, "time", v, "s") }
                else { out.reject("results[\(i)] \(name): a time that is not a number") }
            }
            for key in ["user", "system"] { if let v = AdapterJSON.number(r[key]) { out.add(name, key, v, "s") } }
        }
        return out
    }
}
