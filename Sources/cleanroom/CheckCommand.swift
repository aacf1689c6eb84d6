import ArgumentParser
import CleanroomKit

// Placeholder until its issue lands: says so and exits 3 rather than pretending.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "(not built yet)")

    func run() throws {
        throw ValidationError("'cleanroom check' is not built yet")
    }
}
