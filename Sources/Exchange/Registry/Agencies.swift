import Foundation
import Vault

/// The kinds of agency at a Marac.
public enum AgencyKind: String, Codable, Sendable, CaseIterable {
    /// Police.
    case police
    /// Probation.
    case probation
    /// Health (GP, hospital, health visiting).
    case health
    /// Children's services.
    case childrensServices = "childrens-services"
    /// Housing.
    case housing
    /// The Independent Domestic Violence Advisor service; exactly one per Marac.
    case idva
    /// Mental health.
    case mentalHealth = "mental-health"
    /// Substance misuse services.
    case substanceMisuse = "substance-misuse"
    /// Education.
    case education
    /// Adult social care.
    case adultSocialCare = "adult-social-care"
    /// Any other agency.
    case other
}

/// An agency registered with the Marac.
public struct Agency: Equatable, Sendable {
    /// Its id, `[a-z0-9-]{1,64}`: the inbox name and the owner of its documents.
    public var id: String
    /// Its display name.
    public var name: String
    /// Its kind.
    public var kind: AgencyKind
    /// The recipient certificate (DER) agenda and meeting packs are encrypted to:
    /// RSA of at least 2048 bits or EC P-256.
    public var certificate: [UInt8]?
    /// Whether it takes part (an inactive agency's inbox is not read).
    public var active: Bool

    /// An agency; the certificate, if given, is DER.
    public init(id: String, name: String, kind: AgencyKind, certificate: [UInt8]? = nil, active: Bool = true) {
        self.id = id
        self.name = name
        self.kind = kind
        self.certificate = certificate
        self.active = active
    }
}

/// The agencies of this Marac, stored in the vault database.
public struct AgencyRegistry: Sendable {
    let vault: Vault

    // MARK: - Changes

    /// Registers `agency`, logged as `registry` by `actor` in the same transaction.
    /// Refuses a bad id or name, an unusable certificate, an id in use, and a second
    /// active Idva.
    public func add(_ agency: Agency, by actor: LogEntry.Actor = .localOperator) throws {
        let certificate = try Self.validate(agency, at: vault.currentTime)
        try vault.transaction { tx in
            guard try tx.rows("SELECT 1 FROM x_agency WHERE id = ?", [.text(agency.id)]).isEmpty else {
                throw ExchangeError.duplicateAgency(agency.id)
            }
            if agency.kind == .idva && agency.active { try Self.refuseSecondIdva(tx, except: agency.id) }
            if let certificate { try Self.refuseSharedKey(tx, certificate, for: agency.id) }
            let now = SQLValue.integer(Int64(tx.now.timeIntervalSince1970))
            try tx.changeFact("x_agency", [.text(agency.id)], """
                INSERT INTO x_agency (id, name, kind, certificate, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, [.text(agency.id), .text(agency.name), .text(agency.kind.rawValue),
                      agency.certificate.map { .blob($0) } ?? .null, .integer(agency.active ? 1 : 0), now, now])
            try Self.log(tx, by: actor, "agency \(agency.id) registered (\(agency.kind.rawValue))", agency.id,
                         Self.details(of: certificate))
        }
    }

    /// As `add(_:by:)` for `principal`, who must be a key custodian (the daemon's verb).
    public func add(_ agency: Agency, by principal: Principal) throws {
        try ControlPolicy.require("agency.add", principal)
        try add(agency, by: LogEntry.Actor(person: principal.name, agency: principal.agency))
    }

    /// As `setCertificate(_:_:by:)` for `principal`, who must be a key custodian.
    public func setCertificate(_ id: String, _ certificate: [UInt8], by principal: Principal) throws {
        try ControlPolicy.require("agency.set-cert", principal)
        try setCertificate(id, certificate, by: LogEntry.Actor(person: principal.name, agency: principal.agency))
    }

    /// Activates or deactivates agency `id` (its documents are untouched), logged as
    /// `registry` by `actor` in the same transaction.
    public func setActive(_ id: String, _ active: Bool, by actor: LogEntry.Actor = .localOperator) throws {
        try vault.transaction { tx in
            let agency = try Self.get(tx, id)
            if agency.kind == .idva && active { try Self.refuseSecondIdva(tx, except: id) }
            try tx.changeFact("x_agency", [.text(id)], "UPDATE x_agency SET active = ?, updated_at = ? WHERE id = ?",
                           [.integer(active ? 1 : 0), .integer(Int64(tx.now.timeIntervalSince1970)), .text(id)])
            try Self.log(tx, by: actor, "agency \(id) \(active ? "activated" : "deactivated")", id, ["active": active ? "true" : "false"])
        }
    }

    /// Replaces agency `id`'s recipient certificate (DER), logged as `registry` by `actor`
    /// in the same transaction.
    public func setCertificate(_ id: String, _ certificate: [UInt8], by actor: LogEntry.Actor = .localOperator) throws {
        let parsed = try Self.validateCertificate(certificate, at: vault.currentTime)
        try vault.transaction { tx in
            _ = try Self.get(tx, id)
            try Self.refuseSharedKey(tx, parsed, for: id)
            try tx.changeFact("x_agency", [.text(id)], "UPDATE x_agency SET certificate = ?, updated_at = ? WHERE id = ?",
                           [.blob(certificate), .integer(Int64(tx.now.timeIntervalSince1970)), .text(id)])
            try Self.log(tx, by: actor, "agency \(id)'s recipient certificate replaced", id, Self.details(of: parsed))
        }
    }

    /// The `registry` entry for a change to agency `id` (`details.owner`, so the agency's
    /// IG officers see it), with `details`.
    private static func log(_ tx: VaultTransaction, by actor: LogEntry.Actor, _ justification: String, _ id: String,
                            _ details: [String: String]) throws {
        try tx.append(.registry(of: id, by: actor, at: tx.now, justification: justification, details: details))
    }

    /// Refuses `certificate` for agency `id` when another agency's certificate holds the
    /// same public key: that agency's key would open this one's packs.
    private static func refuseSharedKey(_ tx: VaultTransaction, _ certificate: Certificate, for id: String) throws {
        let key = certificate.publicKey.derRepresentation
        for row in try tx.rows("SELECT id, certificate FROM x_agency WHERE id != ? AND certificate IS NOT NULL ORDER BY id", [.text(id)]) {
            guard let der = row[1].blob, let other = try? Certificate(derRepresentation: der) else { continue }
            if other.publicKey.derRepresentation == key {
                throw ExchangeError.invalidAgency(field: "certificate", reason: "holds the same public key as agency \(try row.text(0, "x_agency"))'s; each agency needs its own key")
            }
        }
    }

    /// A certificate in a log entry: by its SHA-256 fingerprint and expiry (a certificate
    /// is public, but the fingerprint is what an agency's IT team compares).
    private static func details(of certificate: Certificate?) -> [String: String] {
        guard let certificate else { return ["certificate": "none"] }
        return ["certificate": Hex.encode(certificate.sha256Fingerprint), "notAfter": LogEntry.timestamp(certificate.notValidAfter)]
    }

    // MARK: - Reading

    /// Agency `id`.
    public func get(_ id: String) throws -> Agency {
        try vault.reading { try Self.get($0, id) }
    }

    /// Every agency (inactive ones too if asked), by id.
    public func list(includeInactive: Bool = false) throws -> [Agency] {
        try vault.reading { tx in
            try tx.rows("SELECT id, name, kind, certificate, active FROM x_agency \(includeInactive ? "" : "WHERE active = 1 ") ORDER BY id")
                .map(Self.agency)
        }
    }

    /// Every agency as `agency list` shows it (`Agency.listing(at:)`), at the vault's time.
    public func listing(includeInactive: Bool = false) throws -> JSONValue {
        let now = vault.currentTime
        return .array(try list(includeInactive: includeInactive).map { $0.listing(at: now) })
    }

    /// The active Idva agency; throws unless there is exactly one.
    public func idva() throws -> Agency {
        try vault.reading { try Self.idva($0) }
    }

    // MARK: - Rules

    static func get(_ tx: VaultTransaction, _ id: String) throws -> Agency {
        guard let row = try tx.rows("SELECT id, name, kind, certificate, active FROM x_agency WHERE id = ?", [.text(id)]).first else {
            throw ExchangeError.unknownAgency(id)
        }
        return try agency(row)
    }

    static func idva(_ tx: VaultTransaction) throws -> Agency {
        let rows = try tx.rows("SELECT id, name, kind, certificate, active FROM x_agency WHERE kind = 'idva' AND active = 1")
        guard rows.count == 1 else { throw ExchangeError.idvaRequired(active: rows.count) }
        return try agency(rows[0])
    }

    static func refuseSecondIdva(_ tx: VaultTransaction, except id: String) throws {
        if let other = try tx.rows("SELECT id FROM x_agency WHERE kind = 'idva' AND active = 1 AND id != ?", [.text(id)]).first {
            throw ExchangeError.secondIdva(existing: try other.text(0, "x_agency.id"))
        }
    }

    static func agency(_ row: [SQLValue]) throws -> Agency {
        let id = try row.text(0, "x_agency")
        guard let kind = AgencyKind(rawValue: try row.text(2, "x_agency/\(id).kind")) else { throw ExchangeError.corruptRow("x_agency/\(id)") }
        return Agency(id: id, name: try row.text(1, "x_agency/\(id).name"), kind: kind, certificate: row[3].blob,
                      active: try row.int(4, "x_agency/\(id).active") == 1)
    }

    /// Checks `agency`; returns its certificate, parsed, if it has one.
    @discardableResult
    static func validate(_ agency: Agency, at now: Date) throws -> Certificate? {
        guard Shape.isLabel(agency.id) else {
            throw ExchangeError.invalidAgency(field: "id", reason: "must be 1 to 64 lower-case letters, digits and hyphens")
        }
        var problems: [FormProblem] = []
        Shape.checkText(agency.name, max: 200, nonEmpty: true, at: .root, into: &problems)
        if let problem = problems.first { throw ExchangeError.invalidAgency(field: "name", reason: problem.message) }
        return try agency.certificate.map { try validateCertificate($0, at: now) }
    }

    /// A recipient certificate must parse, carry a key the packs can be encrypted to, and
    /// be valid `now`: a pack encrypted to an expired certificate may be refused by the
    /// agency's mail client, and one not yet valid was registered too early.
    @discardableResult
    static func validateCertificate(_ der: [UInt8], at now: Date) throws -> Certificate {
        let certificate: Certificate
        do {
            certificate = try Certificate(derRepresentation: der)
        } catch {
            throw ExchangeError.invalidAgency(field: "certificate", reason: "not a DER X.509 certificate")
        }
        switch certificate.keyAlgorithm {
        case .p256: break
        case let .rsa(bits) where bits >= 2048: break
        case let other:
            throw ExchangeError.invalidAgency(field: "certificate", reason: "\(other) keys are not accepted; use RSA 2048+ or EC P-256")
        }
        if now < certificate.notValidBefore {
            throw ExchangeError.invalidAgency(field: "certificate", reason: "not valid until \(LogEntry.timestamp(certificate.notValidBefore))")
        }
        if now > certificate.notValidAfter {
            throw ExchangeError.invalidAgency(field: "certificate", reason: "expired \(LogEntry.timestamp(certificate.notValidAfter))")
        }
        return certificate
    }
}

extension Agency {
    /// The agency for `agency list`: id, name, kind, active, whether it has a certificate
    /// and, if so, its SHA-256 fingerprint (as `openssl x509 -fingerprint -sha256` prints
    /// it), expiry, whole days left at `now` and whether it needs renewing.
    public func listing(at now: Date) -> JSONValue {
        var row = JSONObject()
        row.set("id", .string(id))
        row.set("name", .string(name))
        row.set("kind", .string(kind.rawValue))
        row.set("active", .bool(active))
        row.set("certificate", .bool(certificate != nil))
        if let certificate, let parsed = try? Certificate(derRepresentation: certificate) {
            let validity = CertificateValidity(parsed, at: now)
            row.set("fingerprintSHA256", .string(parsed.fingerprintText))
            row.set("notAfter", .string(validity.notAfterText))
            row.set("daysLeft", .number(Double(validity.daysLeft)))
            row.set("needsRenewal", .bool(validity.needsRenewal))
        }
        return .object(row)
    }
}

/// How close a recipient certificate is to its expiry, for `agency list` and the daemon's
/// daily warning.
public struct CertificateValidity: Sendable, Equatable {
    /// Warn this many days ahead of expiry.
    public static let warningDays = 30

    /// The certificate's last valid moment.
    public let notAfter: Date
    /// Whole days from `now` to `notAfter` (negative once expired).
    public let daysLeft: Int

    /// The validity of `certificate` at `now`.
    public init(_ certificate: Certificate, at now: Date) {
        notAfter = certificate.notValidAfter
        daysLeft = Int((notAfter.timeIntervalSince(now) / 86_400).rounded(.down))
    }

    /// Expired, or expiring within `warningDays`.
    public var needsRenewal: Bool { daysLeft < Self.warningDays }

    /// `notAfter` as the log writes times (RFC 3339, UTC: `2027-01-02T15:10:28Z`).
    public var notAfterText: String { LogEntry.timestamp(notAfter) }
}
