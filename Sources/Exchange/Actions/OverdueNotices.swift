import Foundation
import Vault

/// A notice to an agency of its overdue actions, ready to be signed, encrypted to it and
/// written (`docs/actions.md`, "Overdue notices").
public struct OverdueNotice: Sendable {
    /// The agency that owns the actions.
    public let agency: String
    /// The day it is for.
    public let day: CalendarDate
    /// The overdue actions, by due date.
    public let actions: [ActionRecord]
    /// The agency's registered certificate.
    public let certificate: Certificate
    /// Its file name in `<state>/outbox/<agency>/notices/`.
    public var fileName: String { "overdue-\(day).p7m" }
    /// The content: ids, case numbers, meetings, due dates and statuses; no text.
    public let content: [UInt8]
}

/// What one daily run found.
public struct OverdueRun: Sendable {
    /// The notices to write now.
    public let notices: [OverdueNotice]
    /// Agencies with overdue actions and no valid certificate, with why.
    public let skipped: [(agency: String, reason: String)]
    /// Overdue actions and the agencies owning them, today.
    public let overdueActions: Int
    public let agencies: Int
}

extension Marac {
    /// The overdue notices due today: one for each agency with overdue actions (open, due
    /// before today) that has had none written today. Each is recorded and logged (a
    /// `disclosure` to the agency by the daemon, naming the action ids) before it is
    /// returned; `noticesWritten` marks it written. An agency without a valid certificate
    /// is skipped, and tried again at the next run.
    public func overdueNoticesDue() throws -> OverdueRun {
        try vault.transaction { tx in
            let today = CalendarDate(tx.now)
            let overdue = try tx.rows("""
                SELECT \(ActionsOrder.columns) FROM x_action WHERE status IN ('open', 'in-progress') AND due < ? ORDER BY owner, due, id
                """, [.text(today.description)]).map(ActionsOrder.record)
            let byAgency = Dictionary(grouping: overdue, by: \.owner)
            var notices: [OverdueNotice] = [], skipped: [(agency: String, reason: String)] = []
            let issuedAt = LogEntry.timestamp(tx.now)
            for agency in byAgency.keys.sorted() {
                let actions = byAgency[agency]!
                if try !tx.rows("SELECT 1 FROM x_overdue_notice WHERE agency = ? AND day = ? AND written_at IS NOT NULL",
                                [.text(agency), .text(today.description)]).isEmpty { continue }
                let certificate: Certificate
                do { certificate = try Self.recipientCertificates(tx, [agency])[agency]! } catch let error as ExchangeError {
                    skipped.append((agency, error.description))
                    continue
                }
                try tx.execute("""
                    INSERT OR REPLACE INTO x_overdue_notice (agency, day, actions, recorded_at, written_at) VALUES (?, ?, ?, ?, NULL)
                    """, [.text(agency), .text(today.description), .integer(Int64(actions.count)), .integer(Int64(tx.now.timeIntervalSince1970))])
                try tx.append(LogEntry(time: issuedAt, operation: .disclosure, actor: .daemon, records: [], case: nil, meeting: nil,
                                       recipients: [agency], bases: ["marac-isp"], justification: "overdue actions notice",
                                       details: ["what": "overdue-notice", "owner": agency, "day": today.description,
                                                 "actions": actions.map(\.id).joined(separator: ","),
                                                 "certificateSHA256": Hex.encode(certificate.sha256Fingerprint)]))
                var content = JSONObject()
                content.set("v", 1)
                content.set("type", "overdue-actions")
                content.set("recipient", .string(agency))
                content.set("date", .string(today.description))
                content.set("issuedAt", .string(issuedAt))
                content.set("actions", .array(actions.map { action in
                    .object(JSONObject(["id": .string(action.id), "case": .string(action.caseNumber), "meeting": .string(action.meeting),
                                        "due": .string(action.due.description), "status": .string(action.status.rawValue)]))
                }))
                notices.append(OverdueNotice(agency: agency, day: today, actions: actions, certificate: certificate,
                                             content: JSONValue.object(content).canonicalBytes))
            }
            return OverdueRun(notices: notices, skipped: skipped, overdueActions: overdue.count, agencies: byAgency.count)
        }
    }

    /// Marks `notices` written (their files synced): not sent again that day.
    public func noticesWritten(_ notices: [OverdueNotice]) throws {
        guard !notices.isEmpty else { return }
        try vault.transaction { tx in
            for notice in notices {
                try tx.execute("UPDATE x_overdue_notice SET written_at = ? WHERE agency = ? AND day = ?",
                               [.integer(Int64(tx.now.timeIntervalSince1970)), .text(notice.agency), .text(notice.day.description)])
            }
        }
    }
}
