import Exchange
import Foundation
import Vault

// maracctl: the Marac control CLI. This build carries the benchmark entry point; the
// daemon's verbs (init, agency, key, case, doc, meeting, audit, export, verify, open)
// arrive with the issues that build them.

let usage = """
    usage: maracctl <command> [options]

    Commands in this build:
      bench AREA [--json] [--seconds N]   measure a performance area against a raw baseline
                                          (areas: \(BenchArea.allCases.map(\.rawValue).joined(separator: ", ")), all)
      --version                           print the version
      --help                              print this help

    Exit status: 0 ok, 64 usage, 65 bad data, 69 unavailable, 77 permission denied.
    """

func run(_ arguments: [String]) throws {
    guard let command = arguments.first else { throw CommandError.usage("no command given") }
    switch command {
    case "--help", "-h", "help":
        print(usage)
    case "--version":
        print("maracctl \(Product.version) (\(SystemLibraries.openSSL); SQLite \(SystemLibraries.sqlite))")
    case "bench":
        try BenchCommand(arguments: Array(arguments.dropFirst())).run()
    default:
        throw CommandError.usage("unknown command '\(command)'")
    }
}

do {
    try run(Array(CommandLine.arguments.dropFirst()))
} catch let error as CommandError {
    printError("maracctl: \(error.message)")
    if error.code == .usage { printError(usage) }
    exit(error.code.rawValue)
} catch {
    printError("maracctl: \(error)")
    exit(ExitCode.software.rawValue)
}
