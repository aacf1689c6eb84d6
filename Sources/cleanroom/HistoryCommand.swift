import ArgumentParser
import CleanroomKit

// Placeholder until its issue lands: says so and exits 3 rather than pretending.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "(not built yet)")

    func run() throws {
        throw ValidationError("'cleanroom history' is not built yet")
    }
}
