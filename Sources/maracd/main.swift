import Exchange
import Foundation
import Vault

// maracd: the Marac document-exchange daemon. This build has the crypto foundation only;
// the services (inbox watcher, ingest, control socket) arrive with the daemon issue.

let usage = """
    usage: maracd --version
           maracd --help

    The daemon's services are not in this build yet: it has the crypto foundation only.
    """

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments {
case ["--version"]:
    print("\(Product.name) \(Product.version) (\(SystemLibraries.openSSL); SQLite \(SystemLibraries.sqlite))")
    exit(0)
case ["--help"], ["-h"]:
    print(usage)
    exit(0)
default:
    FileHandle.standardError.write(Data((usage + "\n").utf8))
    exit(64)  // EX_USAGE
}
