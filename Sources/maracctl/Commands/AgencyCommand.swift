import Exchange
import Foundation
import Vault

/// `maracctl agency add ID --name NAME --kind KIND [--cert FILE] --state DIR`,
/// `agency set-cert ID --cert FILE --state DIR` and `maracctl agency list --state DIR
/// [--json] [--all]` (with each certificate's SHA-256 fingerprint and expiry, and a
/// warning on standard error for one that expires within 30 days): offline, on the vault directly (a
/// running daemon picks a new agency up at its next rescan or on SIGHUP). Through the
/// daemon once the control socket exists.
struct AgencyCommand {
    let arguments: [String]

    init(arguments: [String]) { self.arguments = arguments }

    func run() throws {
        guard let verb = arguments.first else { throw CommandError.usage("agency needs add, set-cert or list") }
        switch verb {
        case "add":
            guard arguments.count >= 2 else { throw CommandError.usage("agency add needs an id") }
            let id = arguments[1]
            let options = try Options(Array(arguments.dropFirst(2)), valued: ["--name", "--kind", "--cert", "--state", "--key"], switches: [])
            guard let kind = AgencyKind(rawValue: try options.required("--kind")) else {
                throw CommandError.usage("--kind is one of " + AgencyKind.allCases.map(\.rawValue).joined(separator: ", "))
            }
            let certificate = try options["--cert"].map(Self.certificate(at:))
            let marac = try openMarac(options)
            try exchange { try marac.agencies.add(Agency(id: id, name: try options.required("--name"), kind: kind, certificate: certificate)) }
            print("agency \(id) (\(kind.rawValue)) registered")
        case "set-cert":
            guard arguments.count >= 2 else { throw CommandError.usage("agency set-cert needs an id") }
            let id = arguments[1]
            let options = try Options(Array(arguments.dropFirst(2)), valued: ["--cert", "--state", "--key"], switches: [])
            let certificate = try Self.certificate(at: try options.required("--cert"))
            let marac = try openMarac(options)
            try exchange { try marac.agencies.setCertificate(id, certificate) }
            print("agency \(id): certificate replaced")
        case "keygen":
            try keygen(try Options(Array(arguments.dropFirst()), valued: ["--out", "--name", "--organization", "--kind", "--days"],
                                   switches: ["--csr"]))
        case "list":
            let options = try Options(Array(arguments.dropFirst()), valued: ["--state", "--key"], switches: ["--json", "--all"])
            let marac = try openMarac(options)
            let agencies = try exchange { try marac.agencies.list(includeInactive: options.has("--all")) }
            let now = marac.vault.currentTime
            let rows = agencies.map { agency in
                (agency, agency.certificate.flatMap { CertificateValidity($0, at: now) },
                 agency.certificate.flatMap { try? Certificate(derRepresentation: $0).fingerprintText })
            }
            if options.has("--json") {
                let json = rows.map { agency, validity, fingerprint in
                    var row: [String: Any] = ["id": agency.id, "name": agency.name, "kind": agency.kind.rawValue, "active": agency.active,
                                              "certificate": agency.certificate != nil]
                    if let validity, let fingerprint {
                        row["fingerprintSHA256"] = fingerprint
                        row["notAfter"] = validity.notAfterText
                        row["daysLeft"] = validity.daysLeft
                        row["needsRenewal"] = validity.needsRenewal
                    }
                    return row
                }
                print(String(decoding: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self))
            } else {
                // An agency's display name is an organisation's, set by the key custodian;
                // no person's name or form content is held in the registry.
                for (agency, validity, fingerprint) in rows {
                    let certificate = validity.map { $0.daysLeft < 0 ? "EXPIRED \($0.notAfterText)" : "expires \($0.notAfterText) (\($0.daysLeft) days)" }
                        ?? "no certificate"
                    print("\(agency.id)\t\(agency.kind.rawValue)\t\(agency.active ? "active" : "inactive")\t\(certificate)\t\(fingerprint ?? "-")\t\(agency.name)")
                }
            }
            // Packs cannot go to an agency whose certificate has expired: say so ahead.
            for (agency, validity, _) in rows where agency.active {
                guard let validity, validity.needsRenewal else { continue }
                let when = validity.daysLeft < 0 ? "expired \(validity.notAfterText)" : "expires in \(validity.daysLeft) days (\(validity.notAfterText))"
                FileHandle.standardError.write(Data("warning: agency \(agency.id)'s certificate \(when): replace it with maracctl agency set-cert\n".utf8))
            }
        default:
            throw CommandError.usage("unknown agency verb \(CommandError.quoted(verb))")
        }
    }

    /// `agency keygen --out DIR --name CN [--organization O] [--kind ec|rsa] [--csr]
    /// [--days N]`: offline, for an agency that has no certificate. The key stays with
    /// the agency: the command refuses a directory inside a daemon's state directory.
    private func keygen(_ options: Options) throws {
        let out = URL(fileURLWithPath: try options.required("--out")).standardizedFileURL
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
        print("private key: \(written[0]) (keep it with the agency; it opens the agency's packs)")
        print(options.has("--csr") ? "certificate request: \(written[1]) (for your CA; register the certificate it issues)"
                                   : "certificate: \(written[1]) (register it: maracctl agency add ID ... --cert \(written[1]))")
    }

    /// A PEM or DER certificate file, as DER.
    private static func certificate(at path: String) throws -> [UInt8] {
        do {
            return try Certificate(contentsOfFile: path).derRepresentation
        } catch {
            throw CommandError(code: .dataError, message: "\(path): not a PEM or DER X.509 certificate")
        }
    }

    private func openMarac(_ options: Options) throws -> Marac {
        let vault = try openVault(options)
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
