/// `sandbox.capabilities`: names added back to the capability set the run keeps
/// (docs/sandbox.md "Capabilities"), as Docker's `--cap-add` takes them: `NET_ADMIN`,
/// `CAP_NET_ADMIN` and `net_admin` are the same capability; `ALL` is every one.
extension PlanBuilder {
    func capabilities(_ node: JSONNode, _ path: String) -> [String]? {
        let example = "e.g. [\"NET_ADMIN\", \"SYS_NICE\"]"
        if case .string(let s, _) = node.value {
            d.report(path, node, "expected an array of capability names, found a string", hint: "write [\"\(s)\"]")
            return nil
        }
        guard let items = d.array(node, path, example: example) else { return nil }
        var names: [String] = []
        var ok = true
        for (i, item) in items.enumerated() {
            guard let text = d.string(item, path + "[\(i)]", example: example) else { ok = false; continue }
            guard let name = Capabilities.canonical(text) else {
                d.report(path + "[\(i)]", item, "unknown capability \"\(text)\"", hint: CapabilityNames.hint(for: text))
                ok = false
                continue
            }
            if !names.contains(name) { names.append(name) }
        }
        return ok ? names : nil
    }
}

/// The names a user can write, for hints in slo.json and `exec --cap-add` messages.
enum CapabilityNames {
    /// Every accepted name (without the optional `CAP_` prefix), `ALL` last.
    static var accepted: [String] { Capabilities.all + [Capabilities.allWord] }

    /// "did you mean" for a near miss, else the whole list.
    static func hint(for text: String) -> String {
        var word = text.uppercased().replacingOccurrences(of: "-", with: "_")
        if word.hasPrefix("CAP_") { word.removeFirst(4) }
        if let near = ObjectiveParser.closest(word, among: accepted, maxDistance: word.count <= 5 ? 1 : 3) {
            return "did you mean \"\(near)\"?"
        }
        return "one of (with or without CAP_, any case): " + accepted.joined(separator: ", ")
    }
}
