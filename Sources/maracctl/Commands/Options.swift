import Foundation
import Vault

/// `--name value` options and `--flag` switches, parsed once; unknown ones are usage errors.
struct Options {
    private var values: [String: String] = [:]
    private var flags: Set<String> = []

    /// Parses `arguments`, accepting `valued` options (which take one value) and `switches`.
    init(_ arguments: [String], valued: Set<String>, switches: Set<String>) throws {
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            if valued.contains(argument) {
                guard let value = rest.popFirst() else { throw CommandError.usage("\(argument) needs a value") }
                values[argument] = value
            } else if switches.contains(argument) {
                flags.insert(argument)
            } else {
                throw CommandError.usage("unexpected argument \(CommandError.quoted(argument))")
            }
        }
    }

    subscript(_ name: String) -> String? { values[name] }
    func has(_ flag: String) -> Bool { flags.contains(flag) }

    func required(_ name: String) throws -> String {
        guard let value = values[name] else { throw CommandError.usage("\(name) is required") }
        return value
    }

    func integer(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = values[name] else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw CommandError.usage("\(name) takes a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}

extension CommandError {
    /// Maps a vault error to the exit status the design fixes: refused keys and modes are
    /// "permission denied", everything else "bad data". The message is the error's own.
    init(_ error: VaultError) {
        switch error {
        case .insecurePermissions, .wrongOwner, .keyFileTooPermissive, .keyFileWrongOwner, .keyFileUnreadable, .wrongRootKey:
            self.init(code: .noPermission, message: error.description)
        case .busy:
            self.init(code: .tempFail, message: error.description)
        default:
            self.init(code: .dataError, message: error.description)
        }
    }
}

/// Opens the vault at `--state` with `--key` (or the default key path), mapping errors.
func openVault(_ options: Options) throws -> Vault {
    do {
        return try Vault.open(stateDirectory: try options.required("--state"), rootKeyPath: options["--key"])
    } catch let error as VaultError {
        throw CommandError(error)
    }
}

/// Takes the daemon lock on `vault` for the rest of the command (a change made on the vault
/// directly): refused, 75, while a daemon holds it, which `maracctl` did not reach at
/// `<state>/run/maracd.sock` (it listens elsewhere); `what` says what goes through it.
func holdDaemonLock(_ vault: Vault, what: String) throws {
    do {
        try vault.holdDaemonLock()
    } catch VaultError.busy {
        throw CommandError(code: .tempFail, message: "the daemon holds \(vault.stateDirectory) but is not listening at "
                           + "\(vault.stateDirectory)/run/maracd.sock: give its socket with --socket (\(what) through it while it runs)")
    } catch let error as VaultError {
        throw CommandError(error)
    }
}
