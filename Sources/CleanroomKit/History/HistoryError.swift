import Foundation

/// Why a history could not be used. Every case names the file and says what to do; the CLI
/// turns these into exit code 2 (a usage/configuration problem: nothing was run).
public enum HistoryError: Error, Equatable, CustomStringConvertible {
    /// The file exists but is not an SQLite database (or is damaged).
    case notADatabase(path: String, detail: String)
    /// An SQLite database, but not one cleanroom wrote.
    case notAHistory(path: String, detail: String)
    /// Written by a newer cleanroom.
    case newerSchema(path: String, found: Int, supported: Int)
    /// `cleanroom history` on a file that does not exist (only recording creates one).
    case missing(path: String)
    /// Any other SQLite failure (disk full, permissions, lock held past the busy timeout).
    case database(path: String, detail: String)

    public var description: String {
        switch self {
        case .notADatabase(let p, let d):
            return "history \(p) is not an SQLite database (\(d)); point --history / CLEANROOM_HISTORY at a new or existing cleanroom history file"
        case .notAHistory(let p, let d):
            return "history \(p) is not a cleanroom history: \(d); use another file"
        case .newerSchema(let p, let found, let supported):
            return "history \(p) has schema version \(found); this cleanroom reads up to \(supported): upgrade cleanroom"
        case .missing(let p):
            return "no history at \(p): `cleanroom run --history \(p)` creates it"
        case .database(let p, let d):
            return "history \(p): \(d)"
        }
    }
}
