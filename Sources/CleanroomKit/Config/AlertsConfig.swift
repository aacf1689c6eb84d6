import Foundation

// `alerts.webhooks`: apart because its keys name environment variables rather than hold
// values, so webhook URLs and secrets never sit in the config file or its diagnostics.

extension PlanBuilder {
    static func validEnvName(_ s: String) -> Bool {
        guard let f = s.first, f.isASCII, f.isLetter || f == "_" else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    func webhook(_ node: JSONNode, _ path: String) -> WebhookPlan? {
        guard let o = d.object(node, path, allowed: ConfigKeys.webhook, kind: "webhook",
                               example: "e.g. {\"url_env\": \"CLEANROOM_WEBHOOK_URL\", \"on\": [\"fail\"]}") else { return nil }
        let before = d.diagnostics.count
        func envName(_ key: String) -> String? {
            guard let n = o[key]?.value, let s = d.string(n, path + "." + key) else { return nil }
            if s.contains("://") {
                d.report(path + "." + key, n, "\(key) names an environment variable, not a URL",
                         hint: "put the URL in an environment variable and name it here, e.g. \"CLEANROOM_WEBHOOK_URL\", so it stays out of files and logs")
                return nil
            }
            guard PlanBuilder.validEnvName(s) else {
                d.report(path + "." + key, n, "\"\(s)\" is not an environment variable name", hint: "letters, digits and _, e.g. \"CLEANROOM_WEBHOOK_URL\"")
                return nil
            }
            return s
        }
        let urlEnv = envName("url_env")
        if o["url_env"] == nil {
            d.report(path + ".url_env", node, "missing key \"url_env\"", hint: "the environment variable holding the URL, e.g. \"url_env\": \"CLEANROOM_WEBHOOK_URL\"")
        }
        let secretEnv = o["secret_env"] != nil ? envName("secret_env") : nil
        var format = WebhookFormat.json
        if let n = o["format"]?.value, let f = d.choice(n, path + ".format", WebhookFormat.allCases.map { ($0.rawValue, $0) }) { format = f }
        var on = BuiltinDefaults.webhookOn
        if let n = o["on"]?.value, let items = d.array(n, path + ".on", example: "e.g. [\"fail\", \"inconclusive\"]") {
            if items.isEmpty { d.report(path + ".on", n, "an empty list never fires", hint: "e.g. [\"fail\"]") }
            var list: [Verdict] = []
            for (i, item) in items.enumerated() {
                if let v = d.choice(item, "\(path).on[\(i)]", Verdict.allCases.map { ($0.rawValue, $0) }) {
                    if !list.contains(v) { list.append(v) }
                }
            }
            on = list
        }
        guard d.diagnostics.count == before, let urlEnv else { return nil }
        return WebhookPlan(urlEnv: urlEnv, format: format, secretEnv: secretEnv, on: on)
    }
}
