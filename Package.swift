// swift-tools-version:6.0
// maracd: a secure document-exchange daemon for Maracs.
//
// Dependencies are the toolchain (Foundation, Dispatch, Glibc, XCTest) and two system
// libraries: OpenSSL 3 libcrypto (libssl-dev) and SQLite 3 (libsqlite3-dev). No
// third-party Swift packages, by the product owner's decision.

import PackageDescription

let package = Package(
    name: "maracd",
    products: [
        .executable(name: "maracd", targets: ["maracd"]),
        .executable(name: "maracctl", targets: ["maracctl"]),
        .library(name: "Vault", targets: ["Vault"]),
        .library(name: "Exchange", targets: ["Exchange"]),
    ],
    targets: [
        // One C module, one job: the few libcrypto entry points Swift cannot call.
        .target(
            name: "CryptoShim",
            linkerSettings: [.linkedLibrary("crypto")]
        ),
        // System library module map for SQLite 3.
        .systemLibrary(name: "CSQLite"),
        // Encrypted storage, keys and the crypto layer. Knows nothing of forms or meetings.
        .target(name: "Vault", dependencies: ["CryptoShim", "CSQLite", "CSystemShim"]),
        // Forms, agencies, cases, meetings, access policy. Knows nothing of sockets or files.
        .target(name: "Exchange", dependencies: ["Vault"]),
        // One C module, one job: the variadic Linux process calls (prctl) the daemon uses.
        .target(name: "CSystemShim"),
        // The daemon: configuration, supervisor, inbox watcher, ingest, outbox.
        .executableTarget(name: "maracd", dependencies: ["Exchange", "Vault", "CSystemShim"]),
        .executableTarget(name: "maracctl", dependencies: ["Exchange", "Vault", "CSystemShim"]),
        // Helpers shared by the test targets (running subprocesses).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(
            name: "VaultTests",
            dependencies: ["Vault", "TestSupport"],
            resources: [.copy("Vectors")]
        ),
        .testTarget(name: "ExchangeTests", dependencies: ["Exchange", "Vault", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        // Runs the built maracd and maracctl binaries as a user would.
        .testTarget(name: "EndToEndTests", dependencies: ["Exchange", "Vault", "TestSupport", "maracd", "maracctl"]),
    ],
    swiftLanguageModes: [.v6]
)
