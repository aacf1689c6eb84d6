import ArgumentParser
import CleanroomKit

// Placeholder until its issue lands: says so and exits 3 rather than pretending.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "compare", abstract: "(not built yet)")

    func run() throws {
        throw ValidationError("'cleanroom compare' is not built yet")
    }
}
