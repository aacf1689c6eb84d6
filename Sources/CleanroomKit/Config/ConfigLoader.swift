import Foundation

/// Reads slo.json into a `Plan`, or every problem in it as `ConfigErrors` (never a crash,
/// whatever the bytes). The one entry point of the Config stage.
public enum ConfigLoader {
    /// Files above this are refused while reading: no real config comes near it.
    public static let maxFileSize = 64 << 20
    /// After this many diagnostics the rest are summed up in one line.
    public static let maxDiagnostics = 500

    /// Loads the file at `path`; relative `cwd`s and profile paths resolve against its directory.
    public static func load(path: String, overrides: ConfigOverrides = .init()) -> Result<Plan, ConfigErrors> {
        let bytes: [UInt8]
        do {
            bytes = try BoundedRead.read(path, cap: maxFileSize, what: "config")
        } catch let e as InputFileError {
            var hint = e.hint
            if e.message == "no such file", path.hasSuffix("slo.json") {
                hint = "create one (see docs/slo.md) or name another: cleanroom validate path/to/slo.json"
            } else if e.message == "is a directory" {
                hint = "name the config file, e.g. \(path.hasSuffix("/") ? path : path + "/")slo.json"
            }
            return .failure(ConfigErrors(file: path, diagnostics: [Diagnostic(path: "", message: e.message, hint: hint)]))
        } catch {
            return .failure(ConfigErrors(file: path, diagnostics: [Diagnostic(path: "", message: "cannot read the file: \(error)")]))
        }
        let data = Data(bytes)
        let base = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().path
        return load(data: data, path: path, baseDirectory: base, overrides: overrides)
    }

    /// Loads a config from memory. `path` is only used in messages and as `Plan.source`;
    /// `baseDirectory` is what relative paths in the file resolve against.
    public static func load(data: Data, path: String = "slo.json", baseDirectory: String,
                            overrides: ConfigOverrides = .init()) -> Result<Plan, ConfigErrors> {
        let bytes = [UInt8](data)
        let decoder = ConfigDecoder(bytes: bytes, baseDirectory: baseDirectory)
        let parsed = JSONParser.parse(bytes)
        for dup in parsed.duplicates {
            decoder.report(dup.path, at: dup.position, "duplicate key \"\(dup.key)\"",
                           hint: "first set at line \(dup.first.line), column \(dup.first.column); keep one")
        }
        var plan: Plan?
        if let e = parsed.error {
            decoder.report(e.path, at: e.position, e.message, hint: e.hint)
        } else if let root = parsed.root {
            plan = PlanBuilder(d: decoder, overrides: overrides, source: path).build(root)
        }
        let saturated = decoder.saturated
        var diagnostics = decoder.diagnostics
        if diagnostics.isEmpty, let plan { return .success(plan) }
        if diagnostics.isEmpty {
            diagnostics = [Diagnostic(path: "", message: "the config could not be read")]
        }
        // File order: what an editor and a reader expect.
        var ordered = diagnostics.enumerated().sorted { a, b in
            let la = a.element.line ?? 0, lb = b.element.line ?? 0
            if la != lb { return la < lb }
            let ca = a.element.column ?? 0, cb = b.element.column ?? 0
            if ca != cb { return ca < cb }
            return a.offset < b.offset
        }.map(\.element)
        if saturated {
            ordered.append(Diagnostic(path: "", message: "too many errors: only the first \(maxDiagnostics) are shown",
                                      hint: "is this the right file?"))
        }
        return .failure(ConfigErrors(file: path, diagnostics: ordered))
    }
}
