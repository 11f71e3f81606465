import Exchange
import Foundation
import Glibc
import Vault

// maracd: the Marac document-exchange daemon. Runs in the foreground (systemd
// `Type=notify`); configuration in `docs/configuration.md`.

let usage = """
    usage: maracd --config FILE [--log-format text|json] [--allow-root]
           maracd --check-config FILE
           maracd --version | --help

      --config FILE        run with this configuration (config/maracd.example.json)
      --check-config FILE  check the configuration and the files it names, then exit
      --log-format F       override log.format: text or json
      --allow-root         run even as root (refused otherwise)

    Signals: SIGTERM or SIGINT finish the batch in progress and exit 0; SIGHUP reloads
    the configuration, legal bases, principals and agencies.
    Exit status: 0 ok, 64 usage, 69 unavailable, 77 permission, 78 configuration.
    """

func fail(_ code: Int32, _ message: String) -> Never {
    FileHandle.standardError.write(Data("maracd: \(message)\n".utf8))
    exit(code)
}

var configPath: String?
var checkOnly = false
var allowRoot = false
var logFormatOverride: LogFormat?
var rest = CommandLine.arguments.dropFirst()
while let argument = rest.popFirst() {
    switch argument {
    case "--version":
        print("\(Product.name) \(Product.version) (\(SystemLibraries.openSSL); SQLite \(SystemLibraries.sqlite))")
        exit(0)
    case "--help", "-h":
        print(usage)
        exit(0)
    case "--config", "--check-config":
        guard let path = rest.popFirst() else { fail(64, "\(argument) needs a file\n\(usage)") }
        configPath = path
        checkOnly = argument == "--check-config"
    case "--allow-root":
        allowRoot = true
    case "--log-format":
        guard let format = rest.popFirst().flatMap(LogFormat.init(rawValue:)) else { fail(64, "--log-format takes text or json") }
        logFormatOverride = format
    default:
        fail(64, "unknown argument\n\(usage)")
    }
}
guard let configPath else { fail(64, "no configuration given\n\(usage)") }

// Signals are blocked before any other thread exists, so only the event loop takes them.
let signals: SignalReceiver
do {
    signals = try SignalReceiver()
    try Hardening.apply()
} catch {
    fail(69, "cannot set up the process: \(error)")
}
if geteuid() == 0 && !allowRoot && !checkOnly { fail(77, "refusing to run as root (use a dedicated user, or --allow-root)") }

let config: Configuration
let settings: MaracSettings
let principals: PrincipalRegistry
do {
    config = try Configuration.load(configPath)
    (settings, principals) = try Supervisor.registries(config)
} catch {
    fail(78, "configuration: \(error)")
}
if checkOnly {
    print("maracd: configuration \(configPath) is valid")
    exit(0)
}

let logger = Logger(level: LogLevel(name: config.log.level) ?? .info, format: logFormatOverride ?? LogFormat(rawValue: config.log.format) ?? .text)
let supervisor: Supervisor
do {
    supervisor = try Supervisor(configPath: configPath, config: config, settings: settings, principals: principals,
                                logger: logger, signals: signals)
} catch let error as VaultError {
    logger.error("daemon.start_failed", ["error": error.description])
    switch error {
    case .insecurePermissions, .wrongOwner, .keyFileTooPermissive, .keyFileWrongOwner, .keyFileUnreadable, .wrongRootKey: exit(77)
    default: exit(69)
    }
} catch {
    logger.error("daemon.start_failed", ["error": "\(error)"])
    exit(69)
}
do {
    try supervisor.run()
} catch {
    logger.error("daemon.failed", ["error": "\(error)"])
    exit(70)
}
exit(0)
