import ArgumentParser
import CleanroomKit

// Placeholder until its issue lands: says so and exits 3 rather than pretending.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "doctor", abstract: "(not built yet)")

    func run() throws {
        throw ValidationError("'cleanroom doctor' is not built yet")
    }
}
