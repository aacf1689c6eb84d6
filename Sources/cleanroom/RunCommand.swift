import ArgumentParser
import CleanroomKit

// Placeholder until its issue lands: says so and exits 3 rather than pretending.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "(not built yet)")

    func run() throws {
        throw ValidationError("'cleanroom run' is not built yet")
    }
}
