import ArgumentParser
import CleanroomKit

// Placeholder until its issue lands: says so and exits 3 rather than pretending.
struct ExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exec", abstract: "(not built yet)")

    func run() throws {
        throw ValidationError("'cleanroom exec' is not built yet")
    }
}
