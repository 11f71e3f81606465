import Foundation
import Vault

/// A revocation notice due to an agency holding a meeting pack of a closed meeting.
public struct RevocationNotice: Sendable {
    /// The agency.
    public let agency: String
    /// Its file name in `<state>/outbox/<agency>/meeting/`.
    public let fileName: String
    /// The content (canonical JSON; no personal data).
    public let content: [UInt8]
}

/// What closing a meeting still has to do in one invited agency's outbox: write its
/// revocation notice (if it held the meeting pack), remove the meeting's packs, or both
/// (`docs/packs.md`, "Revocation notice").
public struct ClosingWork: Sendable {
    /// The closed meeting.
    public let meeting: String
    /// The agency whose outbox it is.
    public let agency: String
    /// The notice still to write, if any.
    public let notice: RevocationNotice?
    /// Whether the meeting's packs are still to be removed from the agency's outbox.
    public let removePacks: Bool
}

/// Closing a meeting: recorded whole when it closes (`revoke`), and finished in the outboxes
/// afterwards, each step logged once it has happened; what a failure leaves is done again
/// at the next try (a repeated `meeting close`, the daemon's start, its timer).
enum MeetingClosing {
    /// In the transaction that closes `meeting`: revokes each meeting pack (`revoke-pack`,
    /// the decision: nothing more is disclosed under it) and records, for every invited
    /// agency, the outbox work still to do.
    static func revoke(_ tx: VaultTransaction, _ meeting: Meeting, by actor: LogEntry.Actor) throws {
        let now = Int64(tx.now.timeIntervalSince1970)
        let holders = Set(try tx.rows("SELECT agency FROM x_pack WHERE meeting = ? AND kind = 'meeting' AND revoked_at IS NULL",
                                      [.text(meeting.id)]).map { try $0.text(0, "x_pack") })
        for agency in holders.sorted() {
            try tx.changeFact("x_pack", [.text(meeting.id), .text(PackKind.meeting.rawValue), .text(agency), .integer(1)],
                              "UPDATE x_pack SET revoked_at = ? WHERE meeting = ? AND kind = 'meeting' AND agency = ? AND version = 1",
                              [.integer(now), .text(meeting.id), .text(agency)])
            try tx.append(.meeting(meeting.id, by: actor, recipients: [agency], at: tx.now, justification: "meeting pack revoked",
                                   details: ["action": "revoke-pack", "notice": noticeName(meeting.id)]))
        }
        for agency in Set(meeting.invited).union(holders).sorted() {
            try tx.changeFact("x_closing", [.text(meeting.id), .text(agency)],
                              "INSERT INTO x_closing (meeting, agency, notice_due) VALUES (?, ?, ?)",
                              [.text(meeting.id), .text(agency), .integer(holders.contains(agency) ? 1 : 0)])
        }
        if !holders.isEmpty || !meeting.invited.isEmpty {
            try tx.append(.meeting(meeting.id, by: actor, recipients: Set(meeting.invited).union(holders).sorted(), at: tx.now,
                                   justification: "outbox work of the close recorded", details: ["action": "close-recorded"]))
        }
    }

    /// The notice's file name, next to the meeting pack it revokes.
    static func noticeName(_ meeting: String) -> String {
        PackRead.fileName(.meeting, meeting: meeting, version: 1).replacingOccurrences(of: ".p7m", with: ".revoked.p7m")
    }

    /// The notice to `agency` for `meeting`, made from the recorded facts (the same bytes
    /// at every try): when the pack was revoked, and its file's digest if it was recorded.
    static func notice(meeting: String, agency: String, revokedAt: Int64, packSHA256: [UInt8]?) -> RevocationNotice {
        var content = JSONObject(["v": 1, "type": "revocation", "meeting": .string(meeting), "recipient": .string(agency),
                                  "pack": .string(PackRead.fileName(.meeting, meeting: meeting, version: 1)),
                                  "closedAt": .string(LogEntry.timestamp(Date(timeIntervalSince1970: Double(revokedAt)))),
                                  "instruction": "The meeting is closed: delete the meeting pack and every copy of it."])
        if let packSHA256 { content.set("packSHA256", .string(Hex.encode(packSHA256))) }
        return RevocationNotice(agency: agency, fileName: noticeName(meeting), content: JSONValue.object(content).canonicalBytes)
    }
}

extension Marac {
    /// What closing meetings still has to do in the outboxes: of meeting `id`, or of every
    /// closed meeting when nil. Asking changes nothing.
    public func closingWork(meeting id: String? = nil) throws -> [ClosingWork] {
        try vault.transaction { tx in
            try tx.rows("""
                SELECT c.meeting, c.agency, c.notice_due, c.notice_written_at, c.packs_removed_at, p.revoked_at, p.sha256
                FROM x_closing c LEFT JOIN x_pack p
                  ON p.meeting = c.meeting AND p.kind = 'meeting' AND p.agency = c.agency AND p.version = 1
                WHERE (c.notice_written_at IS NULL AND c.notice_due = 1 OR c.packs_removed_at IS NULL)
                  AND (?1 IS NULL OR c.meeting = ?1)
                ORDER BY c.meeting, c.agency
                """, [id.map(SQLValue.text) ?? .null]).map { row in
                let meeting = try row.text(0, "x_closing"), agency = try row.text(1, "x_closing")
                var notice: RevocationNotice?
                if try row.int(2, "x_closing") == 1, row[3].integer == nil {
                    guard let revokedAt = row[5].integer else { throw ExchangeError.corruptRow("x_closing") }
                    notice = MeetingClosing.notice(meeting: meeting, agency: agency, revokedAt: revokedAt, packSHA256: row[6].blob)
                }
                return ClosingWork(meeting: meeting, agency: agency, notice: notice, removePacks: row[4].integer == nil)
            }
        }
    }

    /// Records that `work`'s notice is written and synced (`notice-written`).
    public func noticeWritten(_ work: ClosingWork, sha256: [UInt8]) throws {
        try closingDone(work, column: "notice_written_at", justification: "revocation notice written to the agency's outbox",
                        details: ["action": "notice-written", "notice": MeetingClosing.noticeName(work.meeting), "sha256": Hex.encode(sha256)])
    }

    /// Records that the meeting's packs are gone from `work`'s outbox (`packs-removed`):
    /// `files` removed now (none if they were gone already).
    public func packsRemoved(_ work: ClosingWork, files: Int) throws {
        try closingDone(work, column: "packs_removed_at", justification: "the meeting's packs removed from the agency's outbox",
                        details: ["action": "packs-removed", "files": String(files)])
    }

    private func closingDone(_ work: ClosingWork, column: String, justification: String, details: [String: String]) throws {
        try vault.transaction { tx in
            let key: [SQLValue] = [.text(work.meeting), .text(work.agency)]
            guard try !tx.rows("SELECT 1 FROM x_closing WHERE meeting = ? AND agency = ? AND \(column) IS NULL", key).isEmpty else { return }
            try tx.changeFact("x_closing", key, "UPDATE x_closing SET \(column) = ? WHERE meeting = ? AND agency = ?",
                              [.integer(Int64(tx.now.timeIntervalSince1970))] + key)
            try tx.append(.meeting(work.meeting, by: .daemon, recipients: [work.agency], at: tx.now, justification: justification,
                                   details: details))
        }
    }
}
