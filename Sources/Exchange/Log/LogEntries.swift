import Foundation

// Named constructors: one per kind of event the log records (`docs/audit.md`, "The log
// entry"), so every call site says what happened and the fields each operation carries
// are decided here, once. The access policy's reads and refusals (a pack's among them)
// are `AccessLog.entry`; key operations are `keyEvent`.

extension LogEntry {
    /// A form (or a refused file kept in quarantine) received through `agency`'s inbox.
    public static func collection(of document: String, through agency: String, case: String?, bases: [String], at time: Date,
                                  justification: String, details: [String: String]) -> LogEntry {
        LogEntry(time: timestamp(time), operation: .collection, actor: .init(person: nil, agency: agency), records: [document],
                 case: `case`, meeting: nil, recipients: [], bases: bases, justification: justification, details: details)
    }

    /// A record changed, or a fact about one (a correction, a legal hold, facts certified).
    public static func alteration(by actor: Actor, records: [String] = [], case: String?, bases: [String] = [], at time: Date,
                                  justification: String, details: [String: String]) -> LogEntry {
        LogEntry(time: timestamp(time), operation: .alteration, actor: actor, records: records, case: `case`, meeting: nil,
                 recipients: [], bases: bases, justification: justification, details: details)
    }

    /// Documents crypto-shredded.
    public static func erasure(of records: [String], by actor: Actor, case: String? = nil, bases: [String], at time: Date,
                               justification: String, details: [String: String]) -> LogEntry {
        LogEntry(time: timestamp(time), operation: .erasure, actor: actor, records: records, case: `case`, meeting: nil,
                 recipients: [], bases: bases, justification: justification, details: details)
    }

    /// An IG officer's own use of the log or of subject access: a consultation under the
    /// bases given (`audit`), `details.what` saying which.
    public static func audit(_ what: String, by principal: Principal, records: [String] = [], bases: [String] = ["audit"],
                             at time: Date, justification: String = "audit of the log", details: [String: String] = [:]) -> LogEntry {
        LogEntry(time: timestamp(time), operation: .consultation, actor: principal.actor, records: records, case: nil, meeting: nil,
                 recipients: [], bases: bases, justification: justification, details: details.merging(["what": what]) { a, _ in a })
    }

    /// A request refused before any record was looked at (an unknown uid, say).
    public static func refusal(by actor: Actor, at time: Date, justification: String, details: [String: String]) -> LogEntry {
        LogEntry(time: timestamp(time), operation: .refusal, actor: actor, records: [], case: nil, meeting: nil, recipients: [],
                 bases: [], justification: justification, details: details)
    }

    /// A meeting created, changed or moved on, or its packs recorded, written or revoked:
    /// `details.action` says which; under the Marac information sharing protocol.
    public static func meeting(_ meeting: String, by actor: Actor, case: String? = nil, recipients: [String] = [], at time: Date,
                               justification: String, details: [String: String]) -> LogEntry {
        LogEntry(time: timestamp(time), operation: .meeting, actor: actor, records: [], case: `case`, meeting: meeting,
                 recipients: recipients, bases: ["marac-isp"], justification: justification, details: details)
    }

    /// A confidentiality declaration made (or recorded by the chair) for `agency`.
    public static func declaration(at meeting: String, for agency: String, by actor: Actor, at time: Date,
                                   justification: String, details: [String: String]) -> LogEntry {
        LogEntry(time: timestamp(time), operation: .declaration, actor: actor, records: [], case: nil, meeting: meeting,
                 recipients: [agency], bases: ["marac-isp"], justification: justification, details: details)
    }

    /// An agency registered or changed (`details.owner` is the agency, so its IG officers see it).
    public static func registry(of agency: String, by actor: Actor, at time: Date, justification: String,
                                details: [String: String]) -> LogEntry {
        LogEntry(time: timestamp(time), operation: .registry, actor: actor, records: [], case: nil, meeting: nil, recipients: [],
                 bases: [], justification: justification, details: details.merging(["owner": agency]) { _, owner in owner })
    }

    /// An export's approval requested of `recipients`, or given by the actor's agency.
    public static func consent(by actor: Actor, case: String, recipients: [String], at time: Date, justification: String,
                               details: [String: String]) -> LogEntry {
        LogEntry(time: timestamp(time), operation: .consent, actor: actor, records: [], case: `case`, meeting: nil,
                 recipients: recipients, bases: [], justification: justification, details: details)
    }
}
