import Foundation
import Vault

// The one way to a form's plaintext: `Marac.read`. It asks the vault to read for a
// principal; under its lock, in one snapshot, the vault loads its bound record of the
// document and hands it to `MaracAccessPolicy`, which reads the rest of the facts (the
// reader's agency kind, the meetings with the case on their agenda) from that snapshot,
// runs `AccessPolicy.decide` and returns the log entry; the vault commits that entry
// (allow or refusal) before it releases the lock or decrypts anything (fail closed).

/// What a read returned: the plaintext and the log entry committed for it.
public struct DocumentRead: Sendable {
    /// The form as the agency sent it.
    public let content: SecretBytes
    /// The consultation or disclosure entry committed before decryption.
    public let entry: LogEntry
}

/// The vault's installed policy: `AccessPolicy.decide` on the vault's own record of the
/// document and the facts read in the vault's snapshot, with the log entry it implies.
public final class MaracAccessPolicy: DocumentAccessPolicy, @unchecked Sendable {
    private let lock = NSLock()
    private var registry: LegalBasisRegistry

    /// A policy checking codes against `registry`.
    public init(registry: LegalBasisRegistry) { self.registry = registry }

    /// Applies a reloaded legal basis registry.
    public func reload(_ registry: LegalBasisRegistry) {
        lock.lock(); defer { lock.unlock() }
        self.registry = registry
    }

    /// Decides for the principal the request names (`Principal.accessContext`), on the
    /// vault's record and the meetings as they stand in `tx`.
    public func decide(_ request: AccessRequest, for record: DocumentRecord, reading tx: VaultTransaction) throws -> AccessDecision {
        lock.lock()
        let registry = self.registry
        lock.unlock()
        let time = LogEntry.timestamp(tx.now)
        var document = AccessPolicy.Document(record: record)
        document.superseded = try Supersession.isSuperseded(tx, document.id)
        // A request `Marac.read` did not make names no roles: no row is for it (`no-facts`).
        let named = Principal(actor: request.actor, agency: request.agency, accessContext: request.context)
        let principal = named ?? Principal(uid: -1, name: request.actor, agency: request.agency, roles: [])
        let purpose: AccessPolicy.Purpose
        if named == nil {
            purpose = .unattributed
        } else if request.context[PackRead.Key.pack] != nil {
            purpose = try PackRead.facts(request.context, document: document, reading: tx).map { .pack($0) } ?? .unattributed
        } else {
            purpose = .read
        }
        // The reader's agency kind and the case's meetings are the facts of the `read`
        // rows; a pack's rows decide on the pack's own facts (a pack is thousands of reads).
        let reader = purpose == .read ? try AccessPolicy.Reader.load(tx, principal) : AccessPolicy.Reader(principal: principal, agencyKind: nil)
        let meetings = purpose == .read ? try document.caseNumber.map { try MeetingBook.meetings(tx, with: $0) } ?? [] : []
        let readRequest = AccessPolicy.Request(bases: request.bases, reason: request.reason, purpose: purpose)
        let decision = AccessPolicy.decide(reader, document, meetings: AccessPolicy.Meeting.facts(meetings, for: principal),
                                           request: readRequest, registry: registry)
        let entry = AccessLog.entry(decision, reader: principal, document: document, request: readRequest, time: time)
        switch decision {
        case .allow: return .allow(logEntry: entry.encoded())
        case let .deny(rule): return .deny(reason: rule, logEntry: entry.encoded())
        }
    }
}

/// The log entry for a decision: a consultation (own agency), a disclosure naming the
/// recipient agency, or a refusal naming the rule. Pure, so the access matrix can assert
/// the exact entry for every combination.
public enum AccessLog {
    /// The entry `decision` makes.
    public static func entry(_ decision: AccessPolicy.Decision, reader: Principal, document: AccessPolicy.Document,
                             request: AccessPolicy.Request, time: String) -> LogEntry {
        if case let .pack(pack) = request.purpose { return packEntry(decision, reader: reader, document: document, pack: pack, time: time) }
        switch decision {
        case let .allow(rule, operation, bases, meeting):
            return LogEntry(time: time, operation: operation, actor: .init(person: reader.name, agency: reader.agency),
                            records: [document.id], case: document.caseNumber, meeting: meeting,
                            recipients: operation == .disclosure ? [reader.agency] : [], bases: bases,
                            justification: justification(request.reason, rule: rule),
                            details: ["rule": rule, "kind": document.kind, "owner": document.agency])
        case let .deny(rule):
            return LogEntry(time: time, operation: .refusal, actor: .init(person: reader.name, agency: reader.agency),
                            records: [document.id], case: document.caseNumber, meeting: nil, recipients: [],
                            bases: request.bases, justification: justification(request.reason, rule: nil),
                            details: ["rule": rule, "kind": document.kind, "owner": document.agency])
        }
    }

    /// A pack read's entry: a disclosure to the recipient naming the pack, its version and
    /// the certificate it is encrypted to (`audit verify` checks it against the registry's
    /// history), or a refusal.
    static func packEntry(_ decision: AccessPolicy.Decision, reader: Principal, document: AccessPolicy.Document,
                          pack: AccessPolicy.Pack, time: String) -> LogEntry {
        var details = ["kind": document.kind, "owner": document.agency, "pack": pack.fileName, "version": String(pack.version),
                       PackRead.Key.certificate: pack.certificateSHA256]
        switch decision {
        case let .allow(rule, operation, bases, meeting):
            details["rule"] = rule
            return LogEntry(time: time, operation: operation, actor: reader.actor, records: [document.id], case: document.caseNumber,
                            meeting: meeting, recipients: [pack.recipient], bases: bases,
                            justification: "\(rule) \(pack.fileName) for \(pack.recipient)", details: details)
        case let .deny(rule):
            details["rule"] = rule
            return LogEntry(time: time, operation: .refusal, actor: reader.actor, records: [document.id], case: document.caseNumber,
                            meeting: nil, recipients: [], bases: [], justification: "pack read refused", details: details)
        }
    }

    /// The reader's reason, as the entry keeps it. Every rule a person reads under needs
    /// one (docs/access.md), so "no reason given" is only ever a refusal's.
    public static func justification(_ reason: String, rule: String?) -> String {
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? "no reason given" : String(trimmed.prefix(500))
    }
}

extension Principal {
    /// Who reads, as the vault's request carries it to the policy (the name and agency
    /// travel as the request's actor and agency).
    var accessContext: [String: String] {
        var context = ["uid": String(uid), "roles": roles.map(\.rawValue).joined(separator: ",")]
        if let scope { context["scope"] = scope.rawValue }
        return context
    }

    /// The principal a request from `Marac.read` names, or nil for any other request.
    init?(actor: String, agency: String, accessContext context: [String: String]) {
        guard let uid = context["uid"].flatMap(Int.init), let roles = context["roles"] else { return nil }
        self.init(uid: uid, name: actor, agency: agency, roles: roles.split(separator: ",").compactMap { Role(rawValue: String($0)) },
                  scope: context["scope"].flatMap(Scope.init(rawValue:)))
    }
}

/// One read `Marac.read` is asked for: a document, its reader, and what they cite.
public struct ReadRequest: Sendable {
    /// The document.
    public var document: String
    /// Who reads it.
    public var principal: Principal
    /// The legal basis codes cited.
    public var bases: [String]
    /// The reader's reason.
    public var reason: String

    /// A read of `document` by `principal` citing `bases` for `reason`.
    public init(document: String, principal: Principal, bases: [String], reason: String) {
        self.document = document
        self.principal = principal
        self.bases = bases
        self.reason = reason
    }
}

extension Marac {
    /// Reads document `id` for `principal`, who gives `bases` and `reason` (unless the
    /// rule supplies the basis). The decision and its log entry are the access policy's;
    /// the entry is committed before anything is decrypted. Throws
    /// `VaultError.accessDenied` (with the rule) after logging a refusal.
    public func read(_ id: String, by principal: Principal, bases: [String], reason: String) throws -> DocumentRead {
        guard let only = try read([ReadRequest(document: id, principal: principal, bases: bases, reason: reason)]).first else {
            preconditionFailure("one read in, one result out")
        }
        return try only.get()
    }

    /// Reads many documents at once, each exactly as `read(_:by:bases:reason:)` would, with
    /// every decision's log entry committed in one transaction before anything is
    /// decrypted (group commit: the control socket serves concurrent readers this way).
    /// One result per request, in order; throws, disclosing nothing, if the entries
    /// cannot be committed.
    public func read(_ requests: [ReadRequest]) throws -> [Result<DocumentRead, any Error>] {
        let answers = try vault.readLogged(requests.map { read in
            (read.document, AccessRequest(actor: read.principal.name, agency: read.principal.agency, bases: read.bases,
                                          reason: read.reason, context: read.principal.accessContext))
        })
        return zip(requests, answers).map { read, answer in
            answer.flatMap { content, committed in
                // The entry the vault's policy made and committed, not decided again here.
                guard let entry = try? LogEntry(decoding: committed) else {
                    return .failure(ExchangeError.corruptRow("log entry of the read of \(read.document)"))
                }
                return .success(DocumentRead(content: content, entry: entry))
            }
        }
    }
}

// MARK: - The policy's facts, built one way

extension AccessPolicy.Document {
    /// The facts of the vault's bound record: owner, kind, case, and a referral's bases.
    public init(record: DocumentRecord) {
        self.init(id: record.id, agency: record.agency, kind: record.kind, caseNumber: record.metadata["case"],
                  referralBases: record.metadata["bases"].map { $0.split(separator: ",").map(String.init) } ?? [])
    }
}

extension AccessPolicy.Reader {
    /// `principal` with the kind of their agency, as registered.
    static func load(_ tx: VaultTransaction, _ principal: Principal) throws -> AccessPolicy.Reader {
        let kind = try tx.rows("SELECT kind FROM x_agency WHERE id = ?", [.text(principal.agency)]).first?.first?.text
        return AccessPolicy.Reader(principal: principal, agencyKind: kind.flatMap(AgencyKind.init(rawValue:)))
    }
}

extension AccessPolicy.Meeting {
    /// Each meeting as it concerns `principal`: invited (their agency) and declared (them).
    static func facts(_ meetings: [Meeting], for principal: Principal) -> [AccessPolicy.Meeting] {
        meetings.map {
            AccessPolicy.Meeting(id: $0.id, state: $0.state, readerInvited: $0.invited.contains(principal.agency),
                                 readerDeclared: $0.hasDeclared(person: principal.name, agency: principal.agency))
        }
    }
}
