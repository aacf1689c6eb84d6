import ArgumentParser
import CleanroomKit

// Placeholder until its issue lands: says so and exits 3 rather than pretending.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "validate", abstract: "(not built yet)")

    func run() throws {
        throw ValidationError("'cleanroom validate' is not built yet")
    }
}
