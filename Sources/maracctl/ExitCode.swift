import Foundation

/// maracctl's exit statuses, from sysexits(3), as the design fixes them.
enum ExitCode: Int32 {
    /// Success.
    case ok = 0
    /// The command line was wrong.
    case usage = 64
    /// The input data was wrong.
    case dataError = 65
    /// The daemon (or a tool it needs) is unavailable.
    case unavailable = 69
    /// An internal error.
    case software = 70
    /// The caller is not allowed to do this.
    case noPermission = 77
}

/// An error that ends maracctl with a message on stderr and an exit status.
struct CommandError: Error {
    let code: ExitCode
    let message: String

    static func usage(_ message: String) -> CommandError { CommandError(code: .usage, message: message) }
}

/// Writes a line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
