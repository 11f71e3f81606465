import Foundation
import Vault

/// A document about the person a subject access search named (ids and labels only).
public struct SubjectHit: Sendable, Equatable {
    /// The document.
    public let document: String
    /// Its kind.
    public let kind: String
    /// The agency that sent it.
    public let agency: String
    /// Its case, if any.
    public let caseNumber: String?

    /// A hit with every field given.
    public init(document: String, kind: String, agency: String, caseNumber: String?) {
        self.document = document
        self.kind = kind
        self.agency = agency
        self.caseNumber = caseNumber
    }
}

/// Subject access (`docs/subject-access.md`): an IG officer finds the documents about a
/// person through the blind index (their names, each variant and alias the officer
/// gives, with the date of birth), and exports them, signed, to review and redact. Both are
/// logged with the officer's bases (`audit` among them) and reason; the names searched
/// for never are (the log holds how many, and the documents found).
extension Marac {
    /// The documents about the person with `names` (variants, aliases) born on `dob`: those
    /// of every agency for a Marac-wide IG officer, their own agency's otherwise.
    public func subjectSearch(names: [String], dob: CalendarDate, by principal: Principal, bases: [String], reason: String) throws -> [SubjectHit] {
        try Self.requireSubjectAccess(principal, bases: bases, reason: reason)
        return try vault.transaction { tx in
            let hits = try Self.subjectDocuments(tx, names: names, dob: dob, for: principal)
            try tx.append(.audit("subject-search", by: principal, records: hits.map(\.document), bases: bases, at: tx.now,
                                 justification: AccessLog.justification(reason, rule: nil),
                                 details: ["names": String(names.count), "hits": String(hits.count)]))
            return hits
        }
    }

    /// A signed-export content of every document `subjectSearch` finds, each read under
    /// the IG audit rule, with their log entries; the export is logged as its own entry.
    public func subjectExport(names: [String], dob: CalendarDate, by principal: Principal, bases: [String], reason: String) throws -> (content: [UInt8], documents: Int) {
        try Self.requireSubjectAccess(principal, bases: bases, reason: reason)
        let records = try vault.reading { tx in
            try Self.subjectDocuments(tx, names: names, dob: dob, for: principal).map { try tx.record($0.document) }
        }
        guard !records.isEmpty else { throw ExchangeError.conflict("no document about this person is held") }
        return try exportDocuments(records, fields: JSONObject(["type": "export-subject"]), by: principal, bases: bases, reason: reason,
                                   caseNumber: nil, details: ["export": "subject", "names": String(names.count)])
    }

    static func requireSubjectAccess(_ principal: Principal, bases: [String], reason: String) throws {
        try ControlPolicy.require("subject.search", principal)
        guard bases.contains("audit") else { throw ExchangeError.conflict("a subject access search cites the basis audit") }
        guard reason.contains(where: { !$0.isWhitespace }) else { throw ExchangeError.conflict("a subject access search needs a reason") }
    }

    static func subjectDocuments(_ tx: VaultTransaction, names: [String], dob: CalendarDate, for principal: Principal) throws -> [SubjectHit] {
        guard !names.isEmpty, names.count <= 50 else { throw ExchangeError.conflict("give 1 to 50 names (variants and aliases) to search for") }
        var found: [String: DocumentRecord] = [:]
        for token in try RepeatDetection.tokens(tx, name: names[0], aliases: Array(names.dropFirst()), dob: dob) {
            for record in try tx.documents(about: token) where AuditScope.covers(record.agency, principal) {
                found[record.id] = record
            }
        }
        // The meeting's record of each case found goes with it (it is about the same person).
        for number in Set(found.values.compactMap { $0.metadata["case"] }) {
            for id in try minuteDocuments(tx, number) {
                let record = try tx.record(id)
                if record.erasedAt == nil && AuditScope.covers(record.agency, principal) { found[id] = record }
            }
        }
        return found.values.sorted { ($0.metadata["case"] ?? "", $0.id) < ($1.metadata["case"] ?? "", $1.id) }.map {
            SubjectHit(document: $0.id, kind: $0.kind, agency: $0.agency, caseNumber: $0.metadata["case"])
        }
    }
}
