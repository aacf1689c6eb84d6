enum CleanroomVersion {
    static let string = "0.1.0"

    /// `cleanroom --version`: the version and the commit it was built from. The commit is baked in
    /// only by scripts/dist (BuildCommit.swift), so everyday builds neither recompile nor dirty the tree.
    static var display: String {
        "\(string) (commit \(BuildCommit.hash ?? "unknown: not built by scripts/dist"))"
    }
}
