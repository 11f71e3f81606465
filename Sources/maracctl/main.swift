import Exchange
import Foundation
import Vault

// maracctl: the Marac control CLI. The verbs and their help are in Help/VerbCatalog.swift;
// each command's parsing is in Commands/.

func run(_ arguments: [String]) throws {
    guard let command = arguments.first else { throw CommandError.usage("no command given") }
    // `maracctl VERB [SUB] --help`: that verb's usage, flags and example, before any parsing.
    if arguments.dropFirst().contains(where: { $0 == "--help" || $0 == "-h" }) {
        let entries = VerbHelp.entries(for: arguments)
        guard !entries.isEmpty else { throw CommandError.usage("unknown command \(CommandError.quoted(command))") }
        return print(VerbHelp.detailed(entries), terminator: "")
    }
    switch command {
    case "--help", "-h", "help":
        print(VerbHelp.summary)
    case "--version":
        print("maracctl \(Product.version) (\(SystemLibraries.openSSL); SQLite \(SystemLibraries.sqlite))")
    case "init":
        try InitCommand(arguments: Array(arguments.dropFirst())).run()
    case "key":
        try KeyCommand(arguments: Array(arguments.dropFirst())).run()
    case "agency":
        try AgencyCommand(arguments: Array(arguments.dropFirst())).run()
    case "status":
        try StatusCommand(arguments: Array(arguments.dropFirst())).run()
    case "meeting":
        try MeetingCommand(arguments: Array(arguments.dropFirst())).run()
    case "case":
        try CaseCommand(arguments: Array(arguments.dropFirst())).run()
    case "doc":
        try DocCommand(arguments: Array(arguments.dropFirst())).run()
    case "audit":
        try AuditCommand(arguments: Array(arguments.dropFirst())).run()
    case "schema":
        try SchemaCommand(arguments: Array(arguments.dropFirst())).run()
    case "subject":
        try SubjectCommand(arguments: Array(arguments.dropFirst())).run()
    case "action":
        try ActionCommand(arguments: Array(arguments.dropFirst())).run()
    case "plan":
        try PlanCommand(arguments: Array(arguments.dropFirst())).run()
    case "data":
        try DataCommand(arguments: Array(arguments.dropFirst())).run()
    case "retention":
        try RetentionCommand(arguments: Array(arguments.dropFirst())).run()
    case "export":
        try ExportCommand(arguments: Array(arguments.dropFirst())).run()
    case "verify":
        try VerifyCommand(arguments: Array(arguments.dropFirst())).run()
    case "open":
        try OpenCommand(arguments: Array(arguments.dropFirst())).run()
    case "bench":
        try BenchCommand(arguments: Array(arguments.dropFirst())).run()
    default:
        throw CommandError.usage("unknown command \(CommandError.quoted(command))")
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    try run(arguments)
} catch let error as CommandError {
    printError("maracctl: \(error.message)")
    if error.showsUsage { printError(VerbHelp.brief(for: arguments)) }
    exit(error.code.rawValue)
} catch {
    printError("maracctl: \(safeDescription(of: error))")
    exit(ExitCode.software.rawValue)
}
