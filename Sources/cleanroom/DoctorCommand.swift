import ArgumentParser
import CleanroomKit
import Foundation

/// `cleanroom doctor`: what this host can enforce and measure, probed for real.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Show what this host can enforce and measure (cgroups, PSI, namespaces, seccomp).")

    @Flag(help: "Print the findings as JSON.") var json = false

    func run() throws {
        let report = DoctorReport.probe()
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            try StandardStreams.write(try enc.encode(report) + Array("\n".utf8))
        } else {
            print(report.table())
        }
    }
}
