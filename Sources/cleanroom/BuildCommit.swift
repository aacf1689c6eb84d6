// scripts/dist rewrites this file for the length of a release build (then restores it): keep it to
// this one declaration. nil in every other build.
enum BuildCommit { static let hash: String? = nil }
