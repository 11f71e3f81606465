import Foundation
import Vault

/// `maracctl key status | rotate | resume`, working on the vault directly (`--state`).
/// SQLite's locks serialise these writes with a running daemon's.
struct KeyCommand {
    let verb: String
    let options: Options

    init(arguments: [String]) throws {
        guard let verb = arguments.first, ["status", "rotate", "resume"].contains(verb) else {
            throw CommandError.usage("key takes status, rotate or resume")
        }
        self.verb = verb
        options = try Options(Array(arguments.dropFirst()),
                              valued: ["--state", "--key", "--agency", "--batch", "--pause-ms", "--name"],
                              switches: ["--root", "--signing", "--json"])
    }

    func run() throws {
        let vault = try openVault(options)
        do {
            switch verb {
            case "status": try status(vault)
            case "resume":
                let done = try vault.resumeRotations(batchSize: try options.integer("--batch", default: 2_000, range: 1...100_000),
                                                     pause: Double(try options.integer("--pause-ms", default: 0, range: 0...60_000)) / 1000)
                print(done.isEmpty ? "no rotation was pending" : "completed rotation for \(done.joined(separator: ", "))")
            default: try rotate(vault)
            }
        } catch let error as VaultError {
            throw CommandError(error)
        }
    }

    private func rotate(_ vault: Vault) throws {
        let targets = [options["--agency"] != nil, options.has("--root"), options.has("--signing")].filter { $0 }.count
        guard targets == 1 else { throw CommandError.usage("key rotate takes exactly one of --agency ID, --root, --signing") }
        if let agency = options["--agency"] {
            let batch = try options.integer("--batch", default: 2_000, range: 1...100_000)
            let pause = Double(try options.integer("--pause-ms", default: 0, range: 0...60_000)) / 1000
            let version = try vault.rotateAgencyKey(agency)
            print("agency \(agency): key version \(version) active; rewrapping")
            let progress = try vault.rewrap(agency: agency, batchSize: batch, pause: pause)
            print("agency \(agency): \(progress.rewrapped) data keys rewrapped; older versions destroyed")
        } else if options.has("--root") {
            try vault.rotateRootKey()
            print("root key rotated; new key in \(vault.rootKeyPath) (replace every offline copy)")  // the path, not the key
        } else {
            let certificate = try vault.rotateSigningKey(name: options["--name"] ?? "maracd")
            print("signing key rotated; new certificate SHA-256: \(certificate.fingerprintText)")
        }
    }

    private func status(_ vault: Vault) throws {
        let rows = try vault.keyStatus()
        if options.has("--json") {
            let objects: [[String: Any]] = rows.map {
                ["agency": $0.agency, "activeVersion": $0.activeVersion, "minimumDecryptionVersion": $0.minimumDecryptionVersion,
                 "dataKeysByVersion": Dictionary(uniqueKeysWithValues: $0.dataKeysByVersion.map { (String($0.key), $0.value) }),
                 "rewrapPending": $0.rewrapPending]
            }
            let data = try JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("AGENCY            ACTIVE  MIN-DECRYPT  DATA KEYS BY VERSION   REWRAP")
        for row in rows {
            let counts = row.dataKeysByVersion.sorted { $0.key < $1.key }.map { "v\($0.key):\($0.value)" }.joined(separator: " ")
            print(row.agency.padding(toLength: 18, withPad: " ", startingAt: 0)
                  + String(row.activeVersion).padding(toLength: 8, withPad: " ", startingAt: 0)
                  + String(row.minimumDecryptionVersion).padding(toLength: 13, withPad: " ", startingAt: 0)
                  + (counts.isEmpty ? "-" : counts).padding(toLength: 23, withPad: " ", startingAt: 0)
                  + (row.rewrapPending ? "pending" : "done"))
        }
    }
}
