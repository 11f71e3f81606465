// swift-tools-version:6.0
// libFuzzer targets for maracd's parsers (docs/fuzzing.md). A package of its own, so the
// main build never sees a library with no `main`: build and run with `make fuzz`, which
// passes -sanitize=fuzzer,address to every module, the parsers' included.

import PackageDescription

let fuzzerOnly: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "maracd-fuzzing",
    dependencies: [.package(name: "maracd", path: "..")],
    targets: [.target(name: "FuzzDriver")] + ["FuzzJSON", "FuzzForms", "FuzzControl", "FuzzExport", "FuzzCheckpoint", "FuzzPack", "FuzzVaultRow"].map { name in
        .executableTarget(name: name, dependencies: ["FuzzDriver", .product(name: "Exchange", package: "maracd"), .product(name: "Vault", package: "maracd")],
                          swiftSettings: fuzzerOnly)
    },
    swiftLanguageModes: [.v6]
)
