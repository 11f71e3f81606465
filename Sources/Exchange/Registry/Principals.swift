import Foundation

/// A person the control interface knows by uid (`config/principals.json`).
public struct Principal: Codable, Equatable, Sendable {
    /// The Unix uid `SO_PEERCRED` reports.
    public let uid: Int
    /// The person's name or role title, for the log's actor field.
    public let name: String
    /// The agency they act for.
    public let agency: String
    /// What they may do.
    public let roles: [Role]
    /// Who acts, as a log entry names them.
    public var actor: LogEntry.Actor { LogEntry.Actor(person: name, agency: agency) }

    /// For an IG officer: `marac` for the governance group's, who audits every agency;
    /// absent (or `agency`) for an agency's own, who audits what involves their agency.
    public let scope: Scope?

    /// How far an IG officer's audit reaches.
    public enum Scope: String, Codable, Sendable {
        /// Their own agency.
        case agency
        /// Every agency of the Marac.
        case marac
    }

    /// A principal (tests and tools; the daemon reads them from the principals file).
    public init(uid: Int, name: String, agency: String, roles: [Role], scope: Scope? = nil) {
        self.uid = uid
        self.name = name
        self.agency = agency
        self.roles = roles
        self.scope = scope
    }

    /// Whether this principal audits every agency.
    public var isMaracWide: Bool { scope == .marac }

    /// The roles of `design.md`.
    public enum Role: String, Codable, Sendable, CaseIterable {
        /// Schedules meetings, builds agendas, sends packs.
        case coordinator
        /// Opens and closes meetings, records declarations.
        case chair
        /// An agency's Marac representative.
        case representative
        /// Audits the log and disclosures.
        case igOfficer = "ig-officer"
        /// Initialises the vault, registers agencies, rotates keys.
        case keyCustodian = "key-custodian"
    }
}

/// The uid-to-principal map, loaded from a file and reloaded on SIGHUP.
public struct PrincipalRegistry: Sendable {
    /// Principals by uid.
    public let byUID: [Int: Principal]

    /// No principals: every caller is refused.
    public static let empty = PrincipalRegistry(byUID: [:])

    /// The principal for `uid`, if mapped.
    public func principal(uid: Int) -> Principal? { byUID[uid] }

    /// The agencies with an IG officer: where signed checkpoints go (`docs/audit.md`).
    public var auditingAgencies: Set<String> { Set(byUID.values.filter { $0.roles.contains(.igOfficer) }.map(\.agency)) }

    /// Loads `path`. Unknown fields, bad ids, unknown roles and a uid listed twice are refused.
    public static func load(contentsOf path: String) throws -> PrincipalRegistry {
        try load(RegistryFileError.read(path), path: path)
    }

    /// As `load(contentsOf:)`, from bytes; `path` names them in errors.
    public static func load(_ bytes: [UInt8], path: String) throws -> PrincipalRegistry {
        struct File: Decodable { var version: Int; var principals: [Principal] }
        let file = try RegistryFileError.decode(File.self, from: bytes, shape: fileShape, path: path)
        var byUID: [Int: Principal] = [:]
        for principal in file.principals {
            guard byUID.updateValue(principal, forKey: principal.uid) == nil else {
                throw RegistryFileError.invalid(path: path, problems: ["uid \(principal.uid) is listed twice"])
            }
        }
        return PrincipalRegistry(byUID: byUID)
    }

    static let fileShape = Shape.object(Fields([
        required("version", .constantInteger(1)),
        required("principals", .list(.object(Fields([
            required("uid", .integer(0...4_294_967_294)), required("name", .name), required("agency", .label),
            required("roles", .list(.choice(Principal.Role.allCases.map(\.rawValue)), min: 1, unique: true)),
            optional("scope", .choice(["agency", "marac"])),
        ])), min: 0, unique: false)),
    ]))
}
