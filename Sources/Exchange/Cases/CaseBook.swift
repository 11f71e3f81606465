import Foundation
import Vault

/// The Marac's cases: numbering, repeat links, meeting flags and closure.
public struct CaseBook: Sendable {
    let vault: Vault

    static let columns = """
        number, status, received_on, referral, referring_agency, agency_kind, repeat_of, repeat_ticked,
        repeat_checked, dash_yes, latest_meeting, flag_until
        """

    // MARK: - Reading

    /// Case `number`.
    public func get(_ number: CaseNumber) throws -> CaseRecord {
        try vault.reading { try Self.get($0, number) }
    }

    /// Cases received between `from` and `to` inclusive (all if nil), oldest first.
    public func list(receivedFrom from: CalendarDate? = nil, to: CalendarDate? = nil) throws -> [CaseRecord] {
        try vault.reading { tx in
            try tx.rows("SELECT \(Self.columns) FROM x_case WHERE received_on >= ? AND received_on <= ? ORDER BY year, sequence",
                        [.text(from?.description ?? "0000-01-01"), .text(to?.description ?? "9999-12-31")]).map(Self.record)
        }
    }

    /// The research and iswc forms attached to case `number`, oldest first.
    public func attachments(of number: CaseNumber) throws -> [Attachment] {
        try vault.reading { tx in
            _ = try Self.get(tx, number)
            let rows = try tx.rows("SELECT document, case_number, kind, agency, received_on FROM x_attachment WHERE case_number = ? ORDER BY document",
                                   [.text(number.description)])
            for row in rows { try Self.checkAttachment(row, tx) }  // a row re-pointed at this case is refused
            return try rows.map(Self.attachment)
        }
    }

    // MARK: - Changes

    /// Records that a meeting on `date` heard case `number`: its flag now runs to 12
    /// months after its latest meeting.
    public func recordMeeting(_ number: CaseNumber, on date: CalendarDate) throws {
        try vault.transaction { tx in try Self.recordMeeting(tx, number, on: date) }
    }

    static func recordMeeting(_ tx: VaultTransaction, _ number: CaseNumber, on date: CalendarDate) throws {
        let record = try get(tx, number)
        let latest = max(record.latestMeeting ?? date, date)
        try tx.execute("UPDATE x_case SET latest_meeting = ?, flag_until = ? WHERE number = ?",
                       [.text(latest.description), .text(latest.adding(months: 12).description), .text(number.description)])
    }

    /// Closes case `number` (the coordinator, with a reason): it takes no more research or
    /// iswc forms and goes on no new agenda. Logged as an `alteration` with the reason as
    /// written (an id or a purpose, never a name); refused for a case closed already.
    public func close(_ number: CaseNumber, reason: String, by principal: Principal) throws {
        try ControlPolicy.require("case.close", principal)
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw ExchangeError.invalidRequest("closing a case needs a reason") }
        try vault.transaction { tx in
            guard try Self.get(tx, number).status == .open else { throw ExchangeError.conflict("case \(number) is closed already") }
            try tx.execute("UPDATE x_case SET status = 'closed', closed_at = ? WHERE number = ?",
                           [.integer(Int64(tx.now.timeIntervalSince1970)), .text(number.description)])
            try tx.append(.alteration(by: principal.actor, case: number.description, bases: ["marac-isp"], at: tx.now,
                                      justification: "case closed: " + String(reason.prefix(500)), details: ["action": "close-case"]))
        }
    }

    // MARK: - Inside a transaction

    static func get(_ tx: VaultTransaction, _ number: CaseNumber) throws -> CaseRecord {
        guard let row = try tx.rows("SELECT \(columns) FROM x_case WHERE number = ?", [.text(number.description)]).first else {
            throw ExchangeError.unknownCase(number.description)
        }
        return try record(row)
    }

    /// The next number for `year`: one more than the last ever issued, so numbers are
    /// never reused even if a case is erased.
    static func allocate(_ tx: VaultTransaction, prefix: String, year: Int) throws -> CaseNumber {
        let last = try tx.rows("SELECT last FROM x_case_sequence WHERE prefix = ? AND year = ?", [.text(prefix), .integer(Int64(year))])
            .first.map { try $0.int(0, "x_case_sequence") } ?? 0
        guard let number = CaseNumber(prefix: prefix, year: year, sequence: last + 1) else {
            throw ExchangeError.caseNumbersExhausted(year: year)
        }
        try tx.execute("INSERT INTO x_case_sequence (prefix, year, last) VALUES (?, ?, ?) ON CONFLICT (prefix, year) DO UPDATE SET last = excluded.last",
                       [.text(prefix), .integer(Int64(year)), .integer(Int64(number.sequence))])
        return number
    }

    static func record(_ row: [SQLValue]) throws -> CaseRecord {
        let key = "x_case/" + (row[0].text ?? "?")
        guard let number = CaseNumber(try row.text(0, key)),
              let status = CaseStatus(rawValue: try row.text(1, key)),
              let received = CalendarDate(try row.text(2, key)),
              let kind = AgencyKind(rawValue: try row.text(5, key)) else { throw ExchangeError.corruptRow(key) }
        return CaseRecord(number: number, status: status, receivedOn: received, referral: try row.text(3, key),
                          referringAgency: try row.text(4, key), agencyKind: kind,
                          repeatOf: row.optionalText(6).flatMap { CaseNumber($0) },
                          referrerTickedRepeat: try row.int(7, key) == 1, repeatChecked: try row.int(8, key) == 1,
                          dashYesCount: row.optionalInt(9), latestMeeting: row.optionalText(10).flatMap { CalendarDate($0) },
                          flagUntil: row.optionalText(11).flatMap { CalendarDate($0) })
    }

    static func attachment(_ row: [SQLValue]) throws -> Attachment {
        let key = "x_attachment/" + (row[0].text ?? "?")
        guard let kind = FormKind(rawValue: try row.text(2, key)), let received = CalendarDate(try row.text(4, key)) else {
            throw ExchangeError.corruptRow(key)
        }
        return Attachment(document: try row.text(0, key), caseNumber: row.optionalText(1).flatMap { CaseNumber($0) }, kind: kind,
                          agency: try row.text(3, key), receivedOn: received)
    }
}
