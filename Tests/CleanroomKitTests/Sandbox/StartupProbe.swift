import Foundation
import XCTest
@testable import CleanroomKit

final class StartupProbe: XCTestCase {
    func testStartupBreakdown() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["CLEANROOM_STARTUP_PROBE"] != nil)
        for fs in [FilesystemMode.privateTmp, .host] {
            var xs: [Double] = []
            for i in 0..<12 {
                let r = try Sandbox.run(SandboxTest.request(["/bin/true"], settings: SandboxSettings(filesystem: fs)))
                xs.append(r.metrics["startup_time"]! * 1000)
                if i % 3 == 0 { usleep(50_000) }
            }
            print("STARTUP \(fs)", xs.map { String(format: "%.1f", $0) }.joined(separator: " "))
        }
    }
}
