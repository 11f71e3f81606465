import Exchange
import Foundation
import Vault

/// `maracctl init --state DIR [--key FILE] [--name NAME] [--organization ORG]`: creates a
/// vault with a fresh root key (or the one already in FILE) and a signing identity.
struct InitCommand {
    let options: Options

    init(arguments: [String]) throws {
        options = try Options(arguments, valued: ["--state", "--key", "--name", "--organization"], switches: [])
    }

    func run() throws {
        let state = try options.required("--state")
        let vault: Vault
        do {
            vault = try Vault.create(stateDirectory: state, rootKeyPath: options["--key"],
                                     signingName: options["--name"] ?? "maracd", organization: options["--organization"])
        } catch let error as VaultError {
            throw CommandError(error)
        }
        let certificate = try vault.signingCertificate
        // Where the key is, never what it is: a path and a public fingerprint.
        print("""
            initialised vault in \(state)
            root key: \(vault.rootKeyPath) (keep a copy offline; without it nothing can be read)
            signing certificate SHA-256: \(certificate.fingerprintText)
            """)
    }
}
