import XCTest
@testable import CleanroomKit

final class SchemaTests: XCTestCase {
    private let root = TestFixtures.repoRoot

    func testSchemaIsValidJSONAndCoversEveryKeyTheLoaderAccepts() throws {
        let data = try Data(contentsOf: root.appendingPathComponent("docs/slo.schema.json"))
        let schema = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(schema["$schema"] as? String, "https://json-schema.org/draft/2020-12/schema")
        let defs = try XCTUnwrap(schema["$defs"] as? [String: Any])
        func keys(_ def: String) -> Set<String> {
            Set(((defs[def] as? [String: Any])?["properties"] as? [String: Any])?.keys.map { $0 } ?? [])
        }
        XCTAssertEqual(keys("workload"), Set(ConfigKeys.workload))
        XCTAssertEqual(keys("defaults"), Set(ConfigKeys.defaults))
        XCTAssertEqual(keys("slo"), Set(ConfigKeys.slo))
        XCTAssertEqual(keys("webhook"), Set(ConfigKeys.webhook))
        XCTAssertEqual(keys("limits"), Set(ConfigKeys.limits))
        XCTAssertEqual(keys("sandbox"), Set(ConfigKeys.sandbox))
        XCTAssertEqual(Set((schema["properties"] as? [String: Any])?.keys.map { $0 } ?? []), Set(ConfigKeys.top))
    }

    /// With python3's jsonschema: every good config validates against the schema, and a bad
    /// one does not (so the check can fail).
    func testConfigsAgainstSchemaWithPythonJSONSchema() throws {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import jsonschema"]
        probe.standardError = FileHandle.nullDevice
        do { try probe.run(); probe.waitUntilExit() } catch { throw XCTSkip("python3 not available") }
        guard probe.terminationStatus == 0 else { throw XCTSkip("python3 jsonschema not installed") }
        func validate(_ file: String) throws -> Int32 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", "-c", """
            import json, sys, jsonschema
            jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))
            """, file, root.appendingPathComponent("docs/slo.schema.json").path]
            p.standardError = FileHandle.nullDevice
            try p.run(); p.waitUntilExit()
            return p.terminationStatus
        }
        for good in ["slo.json", "Fixtures/configs/minimal.json", "Fixtures/configs/services.json"] {
            XCTAssertEqual(try validate(root.appendingPathComponent(good).path), 0, good)
        }
        XCTAssertNotEqual(try validate(root.appendingPathComponent("Fixtures/configs/many-errors.json").path), 0)
    }
}
