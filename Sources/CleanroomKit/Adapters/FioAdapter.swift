import Foundation

/// fio's JSON (`fio --output-format=json`, to stdout or `--output=FILE`). Per job and direction that
/// moved data (`read`, `write`, `trim`): `JOB.DIR_iops` (IO/s), `JOB.DIR_bw` (B/s, from `bw_bytes`),
/// `JOB.DIR_lat_mean` and `JOB.DIR_clat_mean` (s) and the completion-latency percentiles fio
/// reports as `JOB.DIR_clat_p50 p90 p99 p99.9` (s). One observation each per run. fio may print
/// notes before the JSON; they are skipped.
public enum FioAdapter: BenchmarkAdapter {
    public static let format = "fio"

    public static func parse(_ data: Data) -> AdapterOutput {
        var out = AdapterOutput()
        var body = data
        if let brace = data.firstIndex(of: UInt8(ascii: "{")) { body = data[brace...] }
        guard let root = AdapterJSON.object(Data(body)) as? [String: Any], let jobs = root["jobs"] as? [Any] else {
            out.reject("not fio JSON output (no \"jobs\" list)"); return out
        }
        for (i, item) in jobs.enumerated() {
            guard let job = item as? [String: Any], let name = job["jobname"] as? String else { out.reject("jobs[\(i)]: no jobname"); continue }
            for dir in ["read", "write", "trim"] {
                guard let d = job[dir] as? [String: Any], (AdapterJSON.number(d["io_bytes"]) ?? 0) > 0 else { continue }
                if let v = AdapterJSON.number(d["iops"]) { out.add(name, dir + "_iops", v, "IO/s") }
                if let v = AdapterJSON.number(d["bw_bytes"]) { out.add(name, dir + "_bw", v, "B/s") }
                if let lat = d["lat_ns"] as? [String: Any], let v = AdapterJSON.number(lat["mean"]) { out.add(name, dir + "_lat_mean", v * 1e-9, "s") }
                if let clat = d["clat_ns"] as? [String: Any] {
                    if let v = AdapterJSON.number(clat["mean"]) { out.add(name, dir + "_clat_mean", v * 1e-9, "s") }
                    let pct = clat["percentile"] as? [String: Any] ?? [:]
                    for (key, label) in [("50.000000", "p50"), ("90.000000", "p90"), ("99.000000", "p99"), ("99.900000", "p99.9")] {
                        if let v = AdapterJSON.number(pct[key]) { out.add(name, dir + "_clat_" + label, v * 1e-9, "s") }
                    }
                }
            }
        }
        return out
    }
}
