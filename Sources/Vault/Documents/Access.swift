import Foundation

/// What the vault knows about a document without decrypting it.
public struct DocumentRecord: Equatable, Sendable {
    /// `doc_` followed by 32 hex digits.
    public let id: String
    /// The owning agency.
    public let agency: String
    /// The document's kind (a form kind or another label).
    public let kind: String
    /// When it was stored.
    public let createdAt: Date
    /// When it was crypto-shredded, if it was.
    public let erasedAt: Date?
    /// Its clear-text labels (never personal data).
    public let metadata: [String: String]
}

/// Who asks to read a document, and on what basis.
public struct AccessRequest: Sendable {
    /// The person asking (a principal name).
    public var actor: String
    /// The actor's agency.
    public var agency: String
    /// Legal basis codes the actor cites.
    public var bases: [String]
    /// The actor's justification, stored in the log.
    public var reason: String
    /// Anything else the policy needs (a meeting id, say).
    public var context: [String: String]

    /// A request with every field given.
    public init(actor: String, agency: String, bases: [String], reason: String, context: [String: String] = [:]) {
        self.actor = actor
        self.agency = agency
        self.bases = bases
        self.reason = reason
        self.context = context
    }
}

/// A policy's answer. Both carry the log entry the vault appends before acting.
public enum AccessDecision: Sendable {
    /// Read allowed; `logEntry` records the disclosure and its basis.
    case allow(logEntry: Data)
    /// Read refused for `reason` (no personal data); `logEntry` records the refusal.
    case deny(reason: String, logEntry: Data)
}

/// Decides every read of a document's plaintext. Installed when the vault is opened;
/// `Vault.read` is the only way to plaintext and it always asks.
public protocol DocumentAccessPolicy: Sendable {
    /// Decides whether `request` may read `document`. Called under the vault's lock in a
    /// read transaction (`tx`), the same critical section in which the decision's entry is
    /// committed: the facts it reads there (meetings, declarations) cannot change between
    /// the decision and its entry. Throwing refuses the read with nothing logged.
    func decide(_ request: AccessRequest, for document: DocumentRecord, reading tx: VaultTransaction) throws -> AccessDecision
}

/// Refuses every read. The default until Exchange installs its policy.
public struct DenyAllPolicy: DocumentAccessPolicy {
    /// Creates the policy.
    public init() {}
    /// Always `.deny`, logging the attempt.
    public func decide(_ request: AccessRequest, for document: DocumentRecord, reading tx: VaultTransaction) -> AccessDecision {
        let entry = #"{"op":"refused","document":"\#(document.id)","policy":"deny-all"}"#
        return .deny(reason: "no access policy installed", logEntry: Data(entry.utf8))
    }
}

/// A document to store.
public struct NewDocument {
    /// The plaintext, wiped when the caller releases it.
    public var content: SecretBytes
    /// The owning agency (`[a-z0-9-]{1,64}`).
    public var agency: String
    /// The kind (`[a-z0-9-]{1,64}`).
    public var kind: String
    /// Clear-text labels; keys `[a-z0-9-]{1,64}`; never personal data.
    public var metadata: [String: String]
    /// Blind-index tokens of the people the document is about.
    public var subjects: [BlindToken]
    /// A log entry appended in the same transaction (the collection record).
    public var logEntry: Data?

    /// A document with every field given.
    public init(content: SecretBytes, agency: String, kind: String, metadata: [String: String] = [:],
                subjects: [BlindToken] = [], logEntry: Data? = nil) {
        self.content = content
        self.agency = agency
        self.kind = kind
        self.metadata = metadata
        self.subjects = subjects
        self.logEntry = logEntry
    }
}
