import ArgumentParser
import CleanroomKit

// Placeholder until its issue lands: says so and exits 3 rather than pretending.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "merge", abstract: "(not built yet)")

    func run() throws {
        throw ValidationError("'cleanroom merge' is not built yet")
    }
}
