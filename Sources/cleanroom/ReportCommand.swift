import ArgumentParser
import CleanroomKit

// Placeholder until its issue lands: says so and exits 3 rather than pretending.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "(not built yet)")

    func run() throws {
        throw ValidationError("'cleanroom report' is not built yet")
    }
}
