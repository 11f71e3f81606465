import Exchange
import Foundation
import Vault

/// `maracctl agency add ID --name NAME --kind KIND [--cert FILE]`, `agency set-cert ID
/// --cert FILE` and `agency list [--json] [--all]` (each certificate's SHA-256
/// fingerprint and expiry, and a warning on standard error for one that expires within
/// 30 days): through the daemon when it runs (a key custodian's verbs; it watches a new
/// agency's inbox from its next rescan), otherwise offline on the vault at `--state`.
/// `agency keygen` is offline always.
struct AgencyCommand {
    let arguments: [String]

    init(arguments: [String]) { self.arguments = arguments }

    func run() throws {
        guard let verb = arguments.first else { throw CommandError.usage("agency needs add, set-cert, list or keygen") }
        switch verb {
        case "add":
            guard arguments.count >= 2 else { throw CommandError.usage("agency add needs an id") }
            let id = arguments[1]
            let options = try Options(Array(arguments.dropFirst(2)), valued: ["--name", "--kind", "--cert", "--state", "--key", "--socket"],
                                      switches: [])
            guard let kind = AgencyKind(rawValue: try options.required("--kind")) else {
                throw CommandError.usage("--kind is one of " + AgencyKind.allCases.map(\.rawValue).joined(separator: ", "))
            }
            let name = try options.required("--name")
            let certificate = try options["--cert"].map(Self.certificate(at:))
            if let daemon = try daemon(options) {
                var args = JSONObject(["agency": .string(id), "name": .string(name), "kind": .string(kind.rawValue)])
                if let certificate { args.set("certificate", .string(Data(certificate).base64EncodedString())) }
                _ = try daemon.call(ControlRequest(verb: "agency.add", args: args))
            } else {
                let marac = try openMarac(options, toChange: true)
                try exchange { try marac.agencies.add(Agency(id: id, name: name, kind: kind, certificate: certificate)) }
            }
            print("agency \(id) (\(kind.rawValue)) registered")
        case "set-cert":
            guard arguments.count >= 2 else { throw CommandError.usage("agency set-cert needs an id") }
            let id = arguments[1]
            let options = try Options(Array(arguments.dropFirst(2)), valued: ["--cert", "--state", "--key", "--socket"], switches: [])
            let certificate = try Self.certificate(at: try options.required("--cert"))
            if let daemon = try daemon(options) {
                _ = try daemon.call(ControlRequest(verb: "agency.set-cert", args: JSONObject([
                    "agency": .string(id), "certificate": .string(Data(certificate).base64EncodedString())])))
            } else {
                let marac = try openMarac(options, toChange: true)
                try exchange { try marac.agencies.setCertificate(id, certificate) }
            }
            print("agency \(id): certificate replaced")
        case "keygen":
            try keygen(try Options(Array(arguments.dropFirst()), valued: ["--out", "--name", "--organization", "--kind", "--days"],
                                   switches: ["--csr"]))
        case "list":
            let options = try Options(Array(arguments.dropFirst()), valued: ["--state", "--key", "--socket"], switches: ["--json", "--all"])
            let listing: JSONValue
            if let daemon = try daemon(options) {
                listing = try daemon.call(ControlRequest(verb: "agency.list", args: JSONObject(["all": .bool(options.has("--all"))])))
            } else {
                let marac = try openMarac(options)
                listing = try exchange { try marac.agencies.listing(includeInactive: options.has("--all")) }
            }
            Self.printListing(listing, json: options.has("--json"))
        default:
            throw CommandError.usage("unknown agency verb \(CommandError.quoted(verb))")
        }
    }

    /// The daemon, if it is running for `--state` (or at `--socket`): the registry is then
    /// changed through it, by a key custodian, rather than in the vault behind its back.
    private func daemon(_ options: Options) throws -> ControlClient? {
        let client = ControlClient(options: options)
        if options["--socket"] != nil { return client }
        guard options["--state"] != nil else { return client }
        return try client.reachable() ? client : nil
    }

    /// `agency list`'s output: a table (or `--json`), then a warning on standard error for
    /// each active agency whose certificate expires within 30 days or has expired.
    private static func printListing(_ listing: JSONValue, json: Bool) {
        let rows = listing.array ?? []
        if json {
            print(String(decoding: listing.canonicalBytes, as: UTF8.self))
        } else {
            // An agency's display name is an organisation's, set by the key custodian;
            // no person's name or form content is held in the registry.
            for row in rows {
                let certificate: String
                if let notAfter = row["notAfter"]?.string, let days = row["daysLeft"]?.integer {
                    certificate = days < 0 ? "EXPIRED \(notAfter)" : "expires \(notAfter) (\(days) days)"
                } else {
                    certificate = "no certificate"
                }
                print([row["id"]?.string ?? "?", row["kind"]?.string ?? "?", row["active"]?.bool == true ? "active" : "inactive",
                             certificate, row["fingerprintSHA256"]?.string ?? "-", row["name"]?.string ?? ""].joined(separator: "\t"))
            }
        }
        // Packs cannot go to an agency whose certificate has expired: say so ahead.
        for row in rows where row["active"]?.bool == true && row["needsRenewal"]?.bool == true {
            let id = row["id"]?.string ?? "?", notAfter = row["notAfter"]?.string ?? "?", days = row["daysLeft"]?.integer ?? 0
            let when = days < 0 ? "expired \(notAfter)" : "expires in \(days) days (\(notAfter))"
            FileHandle.standardError.write(Data("warning: agency \(id)'s certificate \(when): replace it with maracctl agency set-cert\n".utf8))
        }
    }

    /// `agency keygen --out DIR --name CN [--organization O] [--kind ec|rsa] [--csr]
    /// [--days N]`: offline, for an agency that has no certificate. The key stays with
    /// the agency: the command refuses a directory inside a daemon's state directory.
    private func keygen(_ options: Options) throws {
        // Symlinks resolved: a link into a state directory is inside it.
        let out = URL(fileURLWithPath: try options.required("--out")).standardizedFileURL.resolvingSymlinksInPath()
        var ancestor = out
        while true {
            if FileManager.default.fileExists(atPath: ancestor.appendingPathComponent(Vault.databaseName).path) {
                throw CommandError(code: .dataError, message: "\(out.path) is inside a maracd state directory (\(ancestor.path)): an agency's private key never goes there")
            }
            if ancestor.path == "/" { break }
            ancestor.deleteLastPathComponent()
        }
        guard let algorithm = RecipientKeyFiles.Algorithm(rawValue: options["--kind"] ?? "ec") else {
            throw CommandError.usage("--kind is ec or rsa")
        }
        let days = try options.integer("--days", default: 730, range: 1...3650)
        let written: [String]
        do {
            written = try RecipientKeyFiles.generate(in: out.path, commonName: try options.required("--name"),
                                                     organization: options["--organization"], algorithm: algorithm,
                                                     request: options.has("--csr"), validityDays: days)
        } catch let error as VaultError {
            throw CommandError(error)
        }
        // The paths only: no byte of the key is printed (AgencyCommandTests checks).
        print("private key: \(written[0]) (keep it with the agency; it opens the agency's packs)")
        print(options.has("--csr") ? "certificate request: \(written[1]) (for your CA; register the certificate it issues)"
                                   : "certificate: \(written[1]) (register it: maracctl agency add ID ... --cert \(written[1]))")
    }

    /// A PEM or DER certificate file, as DER: 66 if it cannot be read, 65 if it is not a
    /// certificate.
    private static func certificate(at path: String) throws -> [UInt8] {
        let bytes = try readInput(path, limit: 1 << 20)
        do {
            return try Certificate(pemOrDER: bytes).derRepresentation
        } catch {
            throw CommandError(code: .dataError, message: "\(path): not a PEM or DER X.509 certificate")
        }
    }

    /// The Marac on the vault at `--state`. To change it, the daemon lock is taken for the
    /// rest of the command: a daemon whose socket was not found (it listens elsewhere) must
    /// not have its registry changed behind its back, and cannot start meanwhile.
    private func openMarac(_ options: Options, toChange: Bool = false) throws -> Marac {
        let vault = try openVault(options)
        if toChange { try holdDaemonLock(vault, what: "agencies are changed") }
        return try exchange { try Marac(vault: vault) }
    }

    /// Maps Exchange errors to exit statuses: bad input is 65.
    private func exchange<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ExchangeError {
            throw CommandError(code: .dataError, message: error.description)
        } catch let error as VaultError {
            throw CommandError(error)
        }
    }
}
