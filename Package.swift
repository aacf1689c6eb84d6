// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "cleanroom",
    products: [
        .executable(name: "cleanroom", targets: ["cleanroom"]),
        .library(name: "CleanroomKit", targets: ["CleanroomKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // HMAC-SHA256 signatures of alert payloads (docs/alerts.md).
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        // The history database (docs/history.md): SQLite with WAL, busy timeouts and migrations.
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // The child side of spawning (fork → namespaces → cgroup → seccomp → execve) and the
        // parent-side libseccomp compiler. The only C in the project: nothing between fork and
        // execve may touch the Swift runtime or malloc.
        .target(
            name: "CSpawn",
            path: "Sources/CSpawn",
            linkerSettings: [.linkedLibrary("seccomp")]
        ),
        // The pipeline: Config → Orchestrator → Sandbox → Sampler → Analysis → Reports → Alerts.
        .target(
            name: "CleanroomKit",
            dependencies: [
                "CSpawn",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Sources/CleanroomKit"
        ),
        .executableTarget(
            name: "cleanroom",
            dependencies: [
                "CleanroomKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/cleanroom"
        ),
        .testTarget(
            name: "CleanroomKitTests",
            dependencies: ["CleanroomKit", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Tests/CleanroomKitTests",
            exclude: ["Analysis/reference", "Reports/fixtures"]
        ),
    ]
)
