import Foundation
import Vault

/// How long case documents are kept (`docs/retention.md`): per form kind, whole days after
/// the case's latest meeting (or, for a case no meeting heard and an iswc form on no case,
/// after the day it was received). There is no national Marac retention period: the
/// default of six years is a local decision each Marac's governance group confirms.
public struct RetentionSchedule: Sendable, Equatable {
    /// Six years (2,192 days, two leap days included).
    public static let defaultDays = 2_192

    /// Days per kind.
    public var days: [FormKind: Int]

    /// A schedule; kinds not given keep the default.
    public init(days: [FormKind: Int] = [:]) {
        self.days = Dictionary(uniqueKeysWithValues: FormKind.caseForms.map { ($0, days[$0] ?? Self.defaultDays) })
    }
}

/// A document whose retention has ended (or would, for a dry run).
public struct RetentionItem: Sendable, Equatable {
    /// The document.
    public let document: String
    /// The form kind whose period it is kept for: its own, or `referral` for the meeting's
    /// record (an action, a plan part, an action update goes with its case's referral).
    public let kind: FormKind
    /// The document's own kind (`referral`, ..., `action`, `plan`, `action-update`).
    public let documentKind: String
    /// The agency that sent it.
    public let agency: String
    /// Its case, if it is on one.
    public let caseNumber: String?
    /// The day its retention ended.
    public let due: CalendarDate

    /// An item with every field given.
    public init(document: String, kind: FormKind, documentKind: String? = nil, agency: String, caseNumber: String?, due: CalendarDate) {
        self.document = document
        self.kind = kind
        self.documentKind = documentKind ?? kind.rawValue
        self.agency = agency
        self.caseNumber = caseNumber
        self.due = due
    }
}

extension Marac {
    /// The documents whose retention under `schedule` has ended today, held cases left out,
    /// by case number and kind.
    public func retentionDue(_ schedule: RetentionSchedule) throws -> [RetentionItem] {
        try vault.reading { tx in try Self.due(tx, schedule, today: CalendarDate(tx.now)) }
    }

    /// Crypto-shreds every document `retentionDue` names, in one transaction, each with an
    /// `erasure` entry under `retention-policy` (metadata only: id, kind, case); returns them.
    @discardableResult
    public func applyRetention(_ schedule: RetentionSchedule) throws -> [RetentionItem] {
        try vault.transaction { tx in
            let items = try Self.due(tx, schedule, today: CalendarDate(tx.now))
            try tx.erase(items.map { item in
                (id: item.document, logEntry: LogEntry(
                    time: LogEntry.timestamp(tx.now), operation: .erasure, actor: .init(person: nil, agency: item.agency),
                    records: [item.document], case: item.caseNumber, meeting: nil, recipients: [], bases: ["retention-policy"],
                    justification: "retention of \(schedule.days[item.kind] ?? 0) days for \(item.kind.rawValue) forms ended \(item.due)",
                    details: ["kind": item.documentKind]).encoded())
            })
            try Self.eraseWhatOutlives(tx, items)
            return items
        }
    }

    /// What the erased documents leave that could still say something of a person
    /// (`docs/retention.md`, "What stays"): the record that their bytes were received (a
    /// resend is then a new submission, not a receipt for an erased document), and, once
    /// every document of a case is gone, the case's sealed equality facts and Dash count.
    static func eraseWhatOutlives(_ tx: VaultTransaction, _ items: [RetentionItem]) throws {
        for item in items { try tx.execute("DELETE FROM x_submission WHERE document = ?", [.text(item.document)]) }
        for number in Set(items.compactMap(\.caseNumber)).sorted() {
            let documents = try tx.rows("""
                SELECT referral FROM x_case WHERE number = ?1 UNION SELECT document FROM x_attachment WHERE case_number = ?1
                UNION SELECT old FROM x_supersession WHERE case_number = ?1 UNION SELECT document FROM x_minute WHERE case_number = ?1
                """, [.text(number)]).map { try $0.text(0, "retention/\(number)") }
            guard try documents.allSatisfy({ try tx.record($0).erasedAt != nil }) else { continue }
            try tx.execute("UPDATE x_case SET facts = X'', dash_yes = NULL WHERE number = ?", [.text(number)])
        }
    }

    static func due(_ tx: VaultTransaction, _ schedule: RetentionSchedule, today: CalendarDate) throws -> [RetentionItem] {
        let held = Set(try tx.rows("SELECT case_number FROM x_hold").map { try $0.text(0, "x_hold") })
        // Each case document with the day its clock starts: the case's latest meeting, else
        // its receipt; an iswc on no case, its own receipt.
        let rows = try tx.rows("""
            SELECT c.referral, 'referral', c.referring_agency, c.number, COALESCE(c.latest_meeting, c.received_on) FROM x_case c
            UNION ALL
            SELECT a.document, a.kind, a.agency, a.case_number, COALESCE(c.latest_meeting, c.received_on, a.received_on)
            FROM x_attachment a LEFT JOIN x_case c ON c.number = a.case_number
            UNION ALL
            SELECT s.old, s.kind, s.agency, s.case_number, COALESCE(c.latest_meeting, c.received_on) FROM x_supersession s
            JOIN x_case c ON c.number = s.case_number WHERE s.kind = 'referral'
            UNION ALL
            SELECT m.document, m.kind, m.agency, m.case_number, COALESCE(c.latest_meeting, c.received_on) FROM x_minute m
            JOIN x_case c ON c.number = m.case_number
            ORDER BY 4, 2, 1
            """)
        var items: [RetentionItem] = []
        for row in rows {
            let id = try row.text(0, "retention"), number = row.optionalText(3), documentKind = try row.text(1, "retention/\(id)")
            // The meeting's record goes with its case: kept for the referral's period.
            let scheduled = ["action", "plan", "action-update"].contains(documentKind) ? FormKind.referral.rawValue : documentKind
            guard let kind = FormKind(rawValue: scheduled), let start = CalendarDate(try row.text(4, "retention/\(id)")) else {
                throw ExchangeError.corruptRow("retention/\(id)")
            }
            if let number, held.contains(number) { continue }
            let due = start.adding(days: schedule.days[kind] ?? RetentionSchedule.defaultDays)
            guard due <= today, try tx.record(id).erasedAt == nil else { continue }
            items.append(RetentionItem(document: id, kind: kind, documentKind: documentKind, agency: try row.text(2, "retention/\(id)"), caseNumber: number, due: due))
        }
        return items
    }

    // MARK: - Legal holds

    /// Puts case `number` on legal hold (IG officer or coordinator): retention erases
    /// none of its documents until it is released. Logged, with `reason`.
    public func hold(_ number: CaseNumber, reason: String, by principal: Principal) throws {
        try ControlPolicy.require("case.hold", principal)
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw ExchangeError.conflict("a legal hold needs a reason") }
        try vault.transaction { tx in
            _ = try CaseBook.get(tx, number)
            guard try tx.rows("SELECT 1 FROM x_hold WHERE case_number = ?", [.text(number.description)]).isEmpty else {
                throw ExchangeError.conflict("case \(number) is already on hold")
            }
            try tx.changeFact("x_hold", [.text(number.description)], "INSERT INTO x_hold (case_number, held_by, held_at) VALUES (?, ?, ?)",
                           [.text(number.description), .text(principal.name), .integer(Int64(tx.now.timeIntervalSince1970))])
            try Self.logHold(tx, number, principal, "legal hold placed: " + String(reason.prefix(500)), action: "hold")
        }
    }

    /// Releases case `number`'s legal hold (IG officer or coordinator). Logged.
    public func release(_ number: CaseNumber, by principal: Principal) throws {
        try ControlPolicy.require("case.release", principal)
        try vault.transaction { tx in
            guard !(try tx.rows("SELECT 1 FROM x_hold WHERE case_number = ?", [.text(number.description)])).isEmpty else {
                throw ExchangeError.conflict("case \(number) is not on hold")
            }
            try tx.changeFact("x_hold", [.text(number.description)], "DELETE FROM x_hold WHERE case_number = ?", [.text(number.description)])
            try Self.logHold(tx, number, principal, "legal hold released", action: "release")
        }
    }

    /// The cases on legal hold.
    public func holds() throws -> [String] {
        try vault.reading { tx in try tx.rows("SELECT case_number FROM x_hold ORDER BY case_number").map { try $0.text(0, "x_hold") } }
    }

    private static func logHold(_ tx: VaultTransaction, _ number: CaseNumber, _ principal: Principal, _ justification: String, action: String) throws {
        try tx.append(.alteration(by: principal.actor, case: number.description, bases: ["retention-policy"], at: tx.now,
                                  justification: justification, details: ["action": action]))
    }
}
