// swift-tools-version:6.0
import PackageDescription
import Foundation

/// scripts/static-libstdc++ when the C++ archive is where the linker will look for it: the newest
/// GCC directory (the one clang takes, holding crtbegin.o) has libstdc++.a. Else the shared
/// libstdc++ is linked, as before.
let staticLibstdcxxFlags: [String] = {
    let gccRoot = "/usr/lib/gcc/x86_64-linux-gnu"
    let fm = FileManager.default
    let versions = ((try? fm.contentsOfDirectory(atPath: gccRoot)) ?? [])
        .filter { fm.fileExists(atPath: "\(gccRoot)/\($0)/crtbegin.o") }
        .sorted { $0.compare($1, options: .numeric) == .orderedAscending }
    guard let newest = versions.last, fm.fileExists(atPath: "\(gccRoot)/\(newest)/libstdc++.a") else { return [] }
    return ["-L", Context.packageDirectory + "/scripts/static-libstdc++"]
}()

/// scripts/static-sqlite3 and scripts/static-zlib when Debian's libsqlite3-dev / zlib1g-dev archives
/// are installed (scripts/install-deps installs both): SQLite and zlib linked in, so no command
/// loads them at start and the binary needs neither libsqlite3-0 nor zlib1g on the target.
/// libseccomp stays shared: it is LGPL-2.1, and a static copy would oblige shipping relinkable
/// objects with every binary.
let staticArchiveFlags: [String] = {
    let fm = FileManager.default
    let libraryDirectories = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib"]
    func installed(_ archive: String) -> Bool {
        libraryDirectories.contains { fm.fileExists(atPath: "\($0)/\(archive)") }
    }
    var flags: [String] = []
    if installed("libsqlite3.a") { flags += ["-L", Context.packageDirectory + "/scripts/static-sqlite3"] }
    if installed("libz.a") { flags += ["-L", Context.packageDirectory + "/scripts/static-zlib"] }
    return flags
}()

/// Both executables (cleanroom and its webhook sender): no exported symbols, GCC's unwinder, the C++
/// runtime, SQLite and zlib linked in (why: at the cleanroom target below).
let executableLinkerSettings: [LinkerSetting] = [
    .unsafeFlags(["-Xlinker", "--no-export-dynamic", "-Xclang-linker", "-static-libgcc"] + staticLibstdcxxFlags + staticArchiveFlags,
                 .when(platforms: [.linux]))
]

let package = Package(
    name: "cleanroom",
    products: [
        .executable(name: "cleanroom", targets: ["cleanroom"]),
        // The webhook sender cleanroom starts to deliver alerts (Alerts/WebhookTransport.swift).
        .executable(name: "cleanroom-webhook", targets: ["cleanroom-webhook"]),
        .library(name: "CleanroomKit", targets: ["CleanroomKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // HMAC-SHA256 signatures of alert payloads (docs/alerts.md), in the webhook sender.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        // The history database (docs/history.md): SQLite with WAL, busy timeouts and migrations.
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // Alert webhooks (docs/BENCHMARKS.md "Start-up"): an HTTP client on SwiftNIO instead of
        // URLSession, so libcurl and its ~40 libraries are not loaded; linked into the webhook
        // sender only, so no other command relocates it at start.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.100.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
    ],
    targets: [
        // The child side of spawning (fork → namespaces → cgroup → seccomp → execve) and the
        // parent-side libseccomp compiler. The only C in the project: nothing between fork and
        // execve may touch the Swift runtime or malloc.
        .target(
            name: "CSpawn",
            path: "Sources/CSpawn",
            // libseccomp is opened with dlopen at its first use (Sources/CSpawn/seccomp.c), not linked.
            // libc's functions through the GOT, bound when the binary is loaded, not lazily at the
            // first call: the functions only the run's child calls (mount, unshare, sethostname,
            // setsid, sigwaitinfo, …) were looked up by the dynamic linker in every child again,
            // since the parent never calls them and each child binds them in its own copy
            // (docs/BENCHMARKS.md).
            cSettings: [.unsafeFlags(["-fno-plt"])]
        ),
        // The pipeline: Config → Orchestrator → Sandbox → Sampler → Analysis → Reports → Alerts.
        .target(
            name: "CleanroomKit",
            dependencies: [
                "CSpawn",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Sources/CleanroomKit",
            // Concrete generic types (a Dictionary of our keys, say) through their metadata
            // accessors instead of by mangled name: the runtime's first lookup of a mangled name
            // checks the generic requirements by scanning every protocol-conformance record of
            // the binary (~9 500), and an `exec -- /bin/true` made 19 such scans; with this, 4
            // (docs/BENCHMARKS.md). A little more code, no behaviour of its own.
            swiftSettings: [.unsafeFlags(["-Xfrontend", "-disable-concrete-type-metadata-mangled-name-accessors"])]
        ),
        .executableTarget(
            name: "cleanroom",
            dependencies: [
                "CleanroomKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/cleanroom",
            // As CleanroomKit's (above).
            swiftSettings: [.unsafeFlags(["-Xfrontend", "-disable-concrete-type-metadata-mangled-name-accessors"])],
            // The static stdlib's link arguments export every symbol (~38 000) for dladdr-named
            // crash frames; the runtime's start-up dladdr then scans them all and the loader
            // hashes them: −30 % of `cleanroom --version`'s CPU (docs/BENCHMARKS.md "Start-up").
            // -static-libgcc: GCC's unwinder (for the linked-in C++ runtime) from its archive, one
            // shared library fewer to load at every start (GCC's runtime library exception allows it).
            linkerSettings: executableLinkerSettings
        ),
        // The webhook sender: one delivery (signing, HTTP, retries) per run of `cleanroom-webhook`,
        // which cleanroom starts only when an alert is due. The HTTP stack lives here alone.
        .target(
            name: "WebhookSender",
            dependencies: [
                "CleanroomKit",
                "CSpawn",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Sources/WebhookSender"
        ),
        .executableTarget(
            name: "cleanroom-webhook",
            dependencies: ["WebhookSender"],
            path: "Sources/cleanroom-webhook",
            linkerSettings: executableLinkerSettings
        ),
        // bench/verdicts' synthetic rows: the gate's judging code over distributions with known noise.
        .executableTarget(
            name: "verdicts-sim",
            dependencies: ["CleanroomKit"],
            path: "bench/verdicts-sim",
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .testTarget(
            name: "CleanroomKitTests",
            dependencies: ["CleanroomKit", "WebhookSender", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Tests/CleanroomKitTests",
            exclude: ["Analysis/reference", "Reports/fixtures"]
        ),
    ]
)
