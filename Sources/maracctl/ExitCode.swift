import Foundation
import Vault

/// maracctl's exit statuses, from sysexits(3), as the design fixes them.
enum ExitCode: Int32 {
    /// Success.
    case ok = 0
    /// The command line was wrong.
    case usage = 64
    /// The input data was wrong.
    case dataError = 65
    /// An input file could not be read.
    case noInput = 66
    /// The daemon (or a tool it needs) is unavailable.
    case unavailable = 69
    /// An internal error.
    case software = 70
    /// Try again later: the daemon holds what this needs (stop it first).
    case tempFail = 75
    /// The caller is not allowed to do this.
    case noPermission = 77
}

/// An error that ends maracctl with a message on stderr and an exit status.
struct CommandError: Error {
    let code: ExitCode
    let message: String
    /// Whether the command line itself was wrong, so the usage summary helps; not for an
    /// argument the daemon refused (a date that does not exist), which the message names.
    var showsUsage = false

    static func usage(_ message: String) -> CommandError { CommandError(code: .usage, message: message, showsUsage: true) }
}

extension CommandError {
    /// An argument as it may appear in an error message: a command or option name is
    /// echoed, anything else (which could be a name or a reason typed in the wrong place)
    /// is not, because stderr often ends up in a log.
    static func quoted(_ argument: String) -> String {
        let safe = !argument.isEmpty && argument.utf8.count <= 40 && argument.utf8.allSatisfy {
            ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d
        }
        return safe ? "'\(argument)'" : "(not echoed)"
    }
}

/// The message for an error maracctl did not anticipate: the description of the vault's
/// own error types, whose texts name only paths, ids, codes and library reasons, and for
/// any other type its name alone, since its description may carry input.
func safeDescription(of error: any Error) -> String {
    switch error {
    case let error as VaultError: return error.description
    case let error as DatabaseError: return error.description
    case let error as CryptoError: return error.description
    case let error as Checkpoint.Failure: return "checkpoint refused: \(error)"
    default: return "internal error (\(type(of: error)))"
    }
}

/// Writes a line to standard error.
func printError(_ line: String, newline: Bool = true) {
    FileHandle.standardError.write(Data((line + (newline ? "\n" : "")).utf8))
}
