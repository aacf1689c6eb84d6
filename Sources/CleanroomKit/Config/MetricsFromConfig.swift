import Foundation

/// `metrics_from` on a workload (docs/benchmarks.md): a list of
/// `{ "format": F, "path": FILE }`, `{ "format": F, "stdout": true }`, or
/// `{ "format": "prometheus", "service": NAME, "path": "/metrics" [, "port": N] }` /
/// `{ "format": "prometheus", "url": "http://127.0.0.1:PORT/metrics" }`.
extension PlanBuilder {
    func metricsFromList(_ node: JSONNode, _ path: String, services: [ServicePlan]) -> [MetricsSource]? {
        guard let items = d.array(node, path, example: "e.g. [{\"format\": \"google-benchmark\", \"path\": \"bench.json\"}]") else { return nil }
        return items.enumerated().compactMap { metricsSource($1, "\(path)[\($0)]", services: services) }
    }

    func metricsSource(_ node: JSONNode, _ path: String, services: [ServicePlan]) -> MetricsSource? {
        guard let o = d.object(node, path, allowed: ConfigKeys.metricsFrom, kind: "metrics_from",
                               example: "e.g. {\"format\": \"go-bench\", \"stdout\": true}") else { return nil }
        let formats = BenchmarkFormats.names
        guard let fnode = o["format"]?.value else {
            d.report(path + ".format", node, "missing key \"format\"", hint: "one of: " + formats.joined(separator: ", "))
            return nil
        }
        guard let format = d.string(fnode, path + ".format") else { return nil }
        guard formats.contains(format) else {
            let hint = ObjectiveParser.closest(format, among: formats, maxDistance: 4).map { "did you mean \"\($0)\"?" }
                ?? "one of: " + formats.joined(separator: ", ")
            d.report(path + ".format", fnode, "unknown format \"\(format)\"", hint: hint)
            return nil
        }
        if format == PrometheusScrape.format { return scrapeSource(o, node, path, services: services) }
        for key in ["service", "url", "port"] where o[key] != nil {
            d.report(path + "." + key, o[key]!.value, "\(key) is only for \"format\": \"prometheus\"",
                     hint: "a \(format) output is read from \"path\" or \"stdout\": true")
            return nil
        }
        var stdout = false
        if let n = o["stdout"]?.value {
            guard case .bool(let b) = n.value else {
                d.report(path + ".stdout", n, "expected true or false, found \(n.kindName)", hint: "\"stdout\": true reads the run's standard output")
                return nil
            }
            stdout = b
        }
        let file = o["path"].flatMap { d.string($0.value, path + ".path", example: "e.g. \"bench.json\" (relative to the workload's cwd)") }
        switch (file, stdout) {
        case (nil, false):
            if o["path"] == nil {
                d.report(path, node, "\(format) needs \"path\" or \"stdout\": true", hint: "the file the tool writes (relative to cwd), or \"stdout\": true if it prints its results")
            }
            return nil
        case (.some, true):
            d.report(path + ".stdout", o["stdout"]!.value, "give \"path\" or \"stdout\": true, not both", hint: "one entry per output; add a second entry for the other")
            return nil
        case (let f?, false): return MetricsSource(format: format, origin: .file(f))
        case (nil, true): return MetricsSource(format: format, origin: .stdout)
        }
    }

    func scrapeSource(_ o: [String: JSONMember], _ node: JSONNode, _ path: String, services: [ServicePlan]) -> MetricsSource? {
        if let n = o["stdout"]?.value {
            d.report(path + ".stdout", n, "a prometheus source is scraped, not read from stdout", hint: "give \"service\" and \"path\", or \"url\"")
            return nil
        }
        if let u = o["url"]?.value {
            guard let url = d.string(u, path + ".url") else { return nil }
            for key in ["service", "path", "port"] where o[key] != nil {
                d.report(path + "." + key, o[key]!.value, "give \"url\" or \"service\" with \"path\", not both", hint: "e.g. \"url\": \"http://127.0.0.1:9100/metrics\"")
                return nil
            }
            guard case .success = HTTPTarget.parse(url), url.lowercased().hasPrefix("http://127.") || url.lowercased().hasPrefix("http://localhost") || url.hasPrefix("http://[::1]") else {
                d.report(path + ".url", u, "\"\(url)\" is not an http:// URL on loopback",
                         hint: "scrapes run inside the run's network namespace: e.g. \"http://127.0.0.1:9100/metrics\"")
                return nil
            }
            return MetricsSource(format: PrometheusScrape.format, origin: .scrape(PrometheusTarget(service: nil, url: url)))
        }
        guard let sn = o["service"]?.value else {
            d.report(path, node, "prometheus needs \"service\" (with \"path\") or \"url\"",
                     hint: "e.g. {\"format\": \"prometheus\", \"service\": \"api\", \"path\": \"/metrics\"}")
            return nil
        }
        guard let name = d.string(sn, path + ".service") else { return nil }
        guard let svc = services.first(where: { $0.name == name }) else {
            d.report(path + ".service", sn, "this workload has no service \"\(name)\"",
                     hint: services.isEmpty ? "define it in the workload's \"services\"" : "services: " + services.map(\.name).joined(separator: ", "))
            return nil
        }
        var metricsPath = "/metrics"
        if let p = o["path"]?.value {
            guard let s = d.string(p, path + ".path") else { return nil }
            guard s.hasPrefix("/") else { d.report(path + ".path", p, "the metrics path must start with /", hint: "e.g. \"/metrics\""); return nil }
            metricsPath = s
        }
        var port: Int?
        if let p = o["port"]?.value { guard let v = d.int(p, path + ".port", 1...65535, what: "a TCP port") else { return nil }; port = v }
        if port == nil {
            switch svc.ready {
            case .tcp(let p): port = p
            case .http(let u): if case .success(let t) = HTTPTarget.parse(u) { port = t.port }
            case .log: break
            }
        }
        guard let port else {
            d.report(path, node, "no port to scrape service \"\(name)\" on", hint: "its readiness check is a log match: add \"port\": N")
            return nil
        }
        return MetricsSource(format: PrometheusScrape.format,
                             origin: .scrape(PrometheusTarget(service: name, url: "http://127.0.0.1:\(port)\(metricsPath)")))
    }
}
