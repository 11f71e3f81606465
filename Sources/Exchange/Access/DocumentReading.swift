import Foundation
import Vault

// The one way to a form's plaintext: `Marac.read`. It gathers the facts (the document's
// bound record, the reader, the meetings with its case on their agenda), and asks the
// vault to read; the vault hands the request and its own record to `MaracAccessPolicy`,
// which runs `AccessPolicy.decide` on them and returns the log entry; the vault commits
// that entry (allow or refusal) before it decrypts anything (fail closed).

/// What a read returned: the plaintext and the log entry committed for it.
public struct DocumentRead: Sendable {
    /// The form as the agency sent it.
    public let content: SecretBytes
    /// The consultation or disclosure entry committed before decryption.
    public let entry: LogEntry
}

/// The vault's installed policy: `AccessPolicy.decide` on the vault's own record of the
/// document and the facts `Marac.read` gathered, with the log entry it implies.
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

    /// Decides from the request's facts (`MaracReadFacts`) and the vault's record.
    public func decide(_ request: AccessRequest, for record: DocumentRecord) -> AccessDecision {
        lock.lock()
        let registry = self.registry
        lock.unlock()
        guard let facts = MaracReadFacts(context: request.context), facts.document == record.id else {
            // Not a request Marac.read made: refuse, and log it.
            let entry = LogEntry(time: LogEntry.timestamp(Date()), operation: .refusal, actor: .init(person: request.actor, agency: request.agency),
                                 records: [record.id], case: record.metadata["case"], meeting: nil, recipients: [], bases: request.bases,
                                 justification: "read without the facts the access policy needs", details: ["rule": "no-facts"])
            return .deny(reason: "no-facts", logEntry: entry.encoded())
        }
        let document = AccessPolicy.Document(record: record)
        let principal = Principal(uid: facts.uid, name: request.actor, agency: request.agency, roles: facts.roles, scope: facts.scope)
        let reader = AccessPolicy.Reader(principal: principal, agencyKind: facts.agencyKind)
        let readRequest = AccessPolicy.Request(bases: request.bases, reason: request.reason)
        let decision = AccessPolicy.decide(reader, document, meetings: facts.meetings, request: readRequest, registry: registry)
        let entry = AccessLog.entry(decision, reader: principal, document: document, request: readRequest, time: facts.time)
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

    /// The reader's reason, or the rule's fixed words where the rule supplies the basis.
    public static func justification(_ reason: String, rule: String?) -> String {
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        if !trimmed.isEmpty { return String(trimmed.prefix(500)) }
        switch rule {
        case "in-session": return "read in session under the Marac information sharing protocol"
        case "idva-referral": return "every referral is referred to the Idva"
        default: return "no reason given"
        }
    }
}

/// The facts `Marac.read` hands the policy through the vault, in the request's context.
struct MaracReadFacts {
    var document: String
    var uid: Int
    var roles: [Principal.Role]
    var scope: Principal.Scope?
    var agencyKind: AgencyKind?
    var meetings: [AccessPolicy.Meeting]
    var time: String

    var context: [String: String] {
        var out = ["document": document, "uid": String(uid), "roles": roles.map(\.rawValue).joined(separator: ","), "time": time,
                   "meetings": meetings.map { "\($0.id) \($0.state.rawValue) \($0.readerInvited ? 1 : 0) \($0.readerDeclared ? 1 : 0)" }
                       .joined(separator: ";")]
        if let scope { out["scope"] = scope.rawValue }
        if let agencyKind { out["agencyKind"] = agencyKind.rawValue }
        return out
    }

    init(document: String, uid: Int, roles: [Principal.Role], scope: Principal.Scope?, agencyKind: AgencyKind?,
         meetings: [AccessPolicy.Meeting], time: String) {
        self.document = document
        self.uid = uid
        self.roles = roles
        self.scope = scope
        self.agencyKind = agencyKind
        self.meetings = meetings
        self.time = time
    }

    init?(context: [String: String]) {
        guard let document = context["document"], let uid = context["uid"].flatMap(Int.init), let roles = context["roles"],
              let time = context["time"], let meetings = context["meetings"] else { return nil }
        self.document = document
        self.uid = uid
        self.roles = roles.split(separator: ",").compactMap { Principal.Role(rawValue: String($0)) }
        self.scope = context["scope"].flatMap(Principal.Scope.init(rawValue:))
        self.agencyKind = context["agencyKind"].flatMap(AgencyKind.init(rawValue:))
        self.time = time
        var parsed: [AccessPolicy.Meeting] = []
        for item in meetings.split(separator: ";") {
            let parts = item.split(separator: " ")
            guard parts.count == 4, let state = MeetingState(rawValue: String(parts[1])) else { return nil }
            parsed.append(AccessPolicy.Meeting(id: String(parts[0]), state: state, readerInvited: parts[2] == "1", readerDeclared: parts[3] == "1"))
        }
        self.meetings = parsed
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
        let facts: [Result<MaracReadFacts, any Error>] = try vault.reading { tx in
            let time = LogEntry.timestamp(tx.now)
            return requests.map { read in
                Result {
                    let record = try tx.record(read.document)  // bound links checked here
                    let reader = try AccessPolicy.Reader.load(tx, read.principal)
                    let meetings = try record.metadata["case"].map { try MeetingBook.meetings(tx, with: $0) } ?? []
                    return MaracReadFacts(document: read.document, uid: read.principal.uid, roles: read.principal.roles,
                                          scope: read.principal.scope, agencyKind: reader.agencyKind,
                                          meetings: AccessPolicy.Meeting.facts(meetings, for: read.principal), time: time)
                }
            }
        }
        // Only reads whose facts were gathered go to the vault; the others keep their error.
        let asked = zip(requests, facts).compactMap { read, facts -> (id: String, request: AccessRequest)? in
            guard case let .success(facts) = facts else { return nil }
            return (read.document, AccessRequest(actor: read.principal.name, agency: read.principal.agency, bases: read.bases,
                                                 reason: read.reason, context: facts.context))
        }
        var answers = try vault.readLogged(asked).makeIterator()
        return facts.map { facts in
            facts.flatMap { facts in
                answers.next()!.flatMap { content, committed in
                    // The entry the vault's policy made and committed, not decided again here.
                    guard let entry = try? LogEntry(decoding: committed) else {
                        return .failure(ExchangeError.corruptRow("log entry of the read of \(facts.document)"))
                    }
                    return .success(DocumentRead(content: content, entry: entry))
                }
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
