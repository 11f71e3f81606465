import Exchange
import Foundation
import Vault

/// `maracctl agency add ID --name NAME --kind KIND [--cert FILE] --state DIR` and
/// `maracctl agency list --state DIR [--json]`: offline, on the vault directly (a
/// running daemon picks a new agency up at its next rescan or on SIGHUP). Through the
/// daemon once the control socket exists.
struct AgencyCommand {
    let arguments: [String]

    init(arguments: [String]) { self.arguments = arguments }

    func run() throws {
        guard let verb = arguments.first else { throw CommandError.usage("agency needs add or list") }
        switch verb {
        case "add":
            guard arguments.count >= 2 else { throw CommandError.usage("agency add needs an id") }
            let id = arguments[1]
            let options = try Options(Array(arguments.dropFirst(2)), valued: ["--name", "--kind", "--cert", "--state", "--key"], switches: [])
            guard let kind = AgencyKind(rawValue: try options.required("--kind")) else {
                throw CommandError.usage("--kind is one of " + AgencyKind.allCases.map(\.rawValue).joined(separator: ", "))
            }
            var certificate: [UInt8]?
            if let path = options["--cert"] {
                do {
                    certificate = try Certificate(contentsOfFile: path).derRepresentation
                } catch {
                    throw CommandError(code: .dataError, message: "\(path): not a PEM or DER X.509 certificate")
                }
            }
            let marac = try openMarac(options)
            try exchange { try marac.agencies.add(Agency(id: id, name: try options.required("--name"), kind: kind, certificate: certificate)) }
            print("agency \(id) (\(kind.rawValue)) registered")
        case "list":
            let options = try Options(Array(arguments.dropFirst()), valued: ["--state", "--key"], switches: ["--json", "--all"])
            let agencies = try exchange { try openMarac(options).agencies.list(includeInactive: options.has("--all")) }
            if options.has("--json") {
                let rows = agencies.map { ["id": $0.id, "name": $0.name, "kind": $0.kind.rawValue, "active": $0.active,
                                           "certificate": $0.certificate != nil] as [String: Any] }
                print(String(decoding: try JSONSerialization.data(withJSONObject: rows, options: [.sortedKeys]), as: UTF8.self))
            } else {
                // An agency's display name is an organisation's, set by the key custodian;
                // no person's name or form content is held in the registry.
                for agency in agencies {
                    print("\(agency.id)\t\(agency.kind.rawValue)\t\(agency.active ? "active" : "inactive")\t\(agency.certificate == nil ? "no certificate" : "certificate")\t\(agency.name)")
                }
            }
        default:
            throw CommandError.usage("unknown agency verb \(CommandError.quoted(verb))")
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
