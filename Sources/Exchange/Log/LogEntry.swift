import Foundation
import Vault

/// One entry of the disclosure log (`legal-bases.md`, "What the log must hold"): what
/// was done, when, by whom, to which records, for whom, and on what legal basis. Ids and
/// codes only, never content. Encoded as canonical JSON (sorted keys) into the vault's
/// Merkle log, whose leaf index is the entry's sequence number.
public struct LogEntry: Codable, Equatable, Sendable {
    /// The entry format version.
    public var v = 1
    /// When (UTC, RFC 3339, seconds).
    public var time: String
    /// What was done.
    public var operation: Operation
    /// Who did it.
    public var actor: Actor
    /// The records concerned (vault document ids).
    public var records: [String]
    /// The case, if any.
    public var `case`: String?
    /// The meeting, if any.
    public var meeting: String?
    /// Who received information (agency ids), for disclosures.
    public var recipients: [String]
    /// Legal basis codes.
    public var bases: [String]
    /// Why, in fixed words chosen by the code or the actor (never form content).
    public var justification: String
    /// Operation-specific facts (form kind, SHA-256 of submitted bytes, ...).
    public var details: [String: String]
    /// The authenticated facts this entry's operation changed (`docs/vault-format.md`,
    /// "Authenticated facts"): each row's table, key and new MAC. Absent when none did.
    public var facts: [Fact]?

    /// An entry; `time` is RFC 3339 UTC (see `timestamp(_:)`).
    public init(time: String, operation: Operation, actor: Actor, records: [String], case: String?, meeting: String?,
                recipients: [String], bases: [String], justification: String, details: [String: String]) {
        self.time = time
        self.operation = operation
        self.actor = actor
        self.records = records
        self.case = `case`
        self.meeting = meeting
        self.recipients = recipients
        self.bases = bases
        self.justification = justification
        self.details = details
    }

    /// The operations s.62 DPA 2018 requires logs of, and the product's own.
    public enum Operation: String, Codable, Sendable, CaseIterable {
        /// A form received and stored.
        case collection
        /// A record changed.
        case alteration
        /// A record read.
        case consultation
        /// A record given to another agency.
        case disclosure
        /// Records combined.
        case combination
        /// A record erased.
        case erasure
        /// A request refused.
        case refusal
        /// A confidentiality declaration made or recorded for a meeting.
        case declaration
        /// A meeting created, changed (invitations, agenda) or moved to its next state.
        case meeting
        /// An agency registered, or its recipient certificate (what its packs are
        /// encrypted to) replaced: a key operation on the Marac's side.
        case registry
        /// An agency's approval of an export holding its documents (and the request for it):
        /// Marac information is not used elsewhere without reference to the agency that gave it.
        case consent
    }

    /// A change to an authenticated fact: the row (table and key) and its MAC after the
    /// change, absent when the row was removed. Ids and MACs only.
    public struct Fact: Codable, Equatable, Sendable {
        /// The table (`x_agency`, `x_invitation`, ...).
        public var table: String
        /// The row's primary key, its values joined by `/`.
        public var key: String
        /// The row's MAC in hex; nil when it was removed.
        public var mac: String?

        /// The record of `change`.
        public init(_ change: FactChange) {
            table = change.table
            key = change.key
            mac = change.mac.map(Hex.encode)
        }
    }

    /// A person and the agency they act for (the agency alone for automatic intake).
    public struct Actor: Codable, Equatable, Sendable {
        /// The person, if a person acted.
        public var person: String?
        /// Their agency.
        public var agency: String

        /// `person` (nil for the daemon itself) acting for `agency`.
        public init(person: String?, agency: String) {
            self.person = person
            self.agency = agency
        }

        /// Whoever runs an offline `maracctl` verb on the vault directly: the uid, and no
        /// agency (the principals file belongs to the daemon's configuration).
        public static var localOperator: Actor { Actor(person: "uid \(getuid()) (offline)", agency: "none") }

        /// The daemon itself, acting on its own (finishing an interrupted rewrap, recording
        /// the packs it wrote): no person, and `maracd` where an agency would be.
        public static let daemon = Actor(person: nil, agency: "maracd")
    }

    /// The canonical bytes appended to the log: compact JSON, keys sorted, absent
    /// optionals omitted (what `JSONEncoder` with `.sortedKeys` writes, without its cost).
    public func encoded() -> Data {
        var object = JSONObject()
        object.set("v", .number(Double(v)))
        object.set("time", .string(time))
        object.set("operation", .string(operation.rawValue))
        var actorObject = JSONObject()
        if let person = actor.person { actorObject.set("person", .string(person)) }
        actorObject.set("agency", .string(actor.agency))
        object.set("actor", .object(actorObject))
        object.set("records", .array(records.map(JSONValue.string)))
        if let value = self.case { object.set("case", .string(value)) }
        if let meeting { object.set("meeting", .string(meeting)) }
        object.set("recipients", .array(recipients.map(JSONValue.string)))
        object.set("bases", .array(bases.map(JSONValue.string)))
        object.set("justification", .string(justification))
        var detailObject = JSONObject()
        for (key, value) in details { detailObject.set(key, .string(value)) }
        object.set("details", .object(detailObject))
        if let facts, !facts.isEmpty {
            object.set("facts", .array(facts.map { fact in
                var item = JSONObject()
                item.set("table", .string(fact.table))
                item.set("key", .string(fact.key))
                if let mac = fact.mac { item.set("mac", .string(mac)) }
                return .object(item)
            }))
        }
        return Data(JSONValue.object(object).canonicalBytes)
    }

    // MARK: - Named constructors

    /// The entry for a key operation (`KeyEvent`), by `actor`, in the transaction of the
    /// change: a `registry` entry whose `details.action` is the vault's event
    /// (`key-rotate`, `key-destroy`, `root-rotate`, `signing-rotate`) with its ids and
    /// numbers, `details.owner` naming the agency whose key it was (so its IG officers see it).
    public static func keyEvent(_ event: KeyEvent, by actor: Actor) -> LogEntry {
        var details = event.details
        details["action"] = event.action
        if let agency = event.details["agency"] { details["owner"] = agency }
        let what: String
        switch event.action {
        case "key-rotate": what = "agency key rotated"
        case "key-destroy": what = "agency key version destroyed after its rewrap"
        case "root-rotate": what = "root key rotated"
        case "signing-rotate": what = "signing key rotated"
        default: what = "key operation"
        }
        return LogEntry(time: timestamp(event.time), operation: .registry, actor: actor, records: [], case: nil, meeting: nil,
                        recipients: [], bases: [], justification: what, details: details)
    }

    /// The recorder a vault key operation takes, for `actor`.
    public static func keyEvents(by actor: Actor) -> KeyEventRecorder {
        { keyEvent($0, by: actor).encoded() }
    }

    /// Decodes an entry as `encoded()` wrote it (the parser and decoder forms are
    /// validated with: no `JSONDecoder` on the read path).
    public init(decoding bytes: Data) throws {
        self = try JSONValueDecoder.decode(LogEntry.self, from: try JSONParser().parse(Array(bytes)).value)
    }

    /// `2026-11-20T09:30:00Z`.
    public static func timestamp(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let rest = seconds - days * 86_400
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(CalendarDate(dayNumber: days))T\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60))Z"
    }
}

extension VaultTransaction {
    /// Appends `entry` to the log, recording the facts this transaction changed since the
    /// last entry (every change to an authenticated fact is written as the entry that
    /// records it); returns its index.
    @discardableResult
    public func append(_ entry: LogEntry) throws -> Int {
        let changes = pendingFacts
        guard !changes.isEmpty else { return try appendLog(entry.encoded()) }
        var entry = entry
        entry.facts = (entry.facts ?? []) + changes.map(LogEntry.Fact.init)
        return try appendLog(entry.encoded(), recording: changes)
    }
}
