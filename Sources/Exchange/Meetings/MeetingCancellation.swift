import Foundation
import Vault

// Cancelling and rescheduling a meeting (docs/access.md, "Corrections"): only while it is
// `scheduled`, when its agenda has disclosed nothing to anyone. The meeting's rows go, each
// change bound to the log like any fact; `x_cancellation` keeps its id, date and reason, so
// the id is never given to another meeting and `meeting show` says what became of it.

extension MeetingBook {
    /// Cancels meeting `id` (coordinator) for `reason`, which the log keeps: its invitations,
    /// agenda, declarations and attendance are withdrawn, and its cases may go on another
    /// meeting. Refused once the agenda has gone out: the chair then closes the meeting,
    /// which sends each agency its revocation notice.
    public func cancel(_ id: String, reason: String, by actor: Principal) throws -> Cancellation {
        let reason = try Self.checkedReason(reason)
        return try correction("meeting.cancel", id, by: actor, stands: "it stands: the chair closes it, and each agency gets its revocation notice") { tx, meeting in
            try withdraw(tx, meeting, reason: reason, replacedBy: nil, by: actor)
        }
    }

    /// Moves meeting `id` to `date` (coordinator): a new meeting on that date takes its
    /// invitations and agenda, and `id` is cancelled, naming it. Only while `id` is
    /// `scheduled`; declarations made for `id` are not carried over (each was for that
    /// meeting): representatives declare again for the new one.
    public func reschedule(_ id: String, to date: CalendarDate, by actor: Principal) throws -> Meeting {
        try correction("meeting.reschedule", id, by: actor, stands: "its date stands") { tx, meeting in
            guard date != meeting.date else { throw ExchangeError.invalidRequest("meeting \(id) is already on \(date)") }
            let new = try schedule(tx, date, by: actor, details: ["rescheduledFrom": id])
            _ = try withdraw(tx, meeting, reason: "rescheduled to \(date)", replacedBy: new, by: actor)
            let now = Int64(tx.now.timeIntervalSince1970)
            for agency in meeting.invited {
                try tx.changeFact("x_invitation", [.text(new), .text(agency)], "INSERT INTO x_invitation (meeting, agency, invited_at) VALUES (?, ?, ?)",
                                  [.text(new), .text(agency), .integer(now)])
                try log(tx, actor, meeting: new, recipients: [agency], justification: "agency invited", details: ["action": "invite", "rescheduledFrom": id])
            }
            for number in meeting.agenda {
                try tx.changeFact("x_agenda", [.text(new), .text(number.description)],
                                  "INSERT INTO x_agenda (meeting, case_number, added_at) VALUES (?, ?, ?)",
                                  [.text(new), .text(number.description), .integer(now)])
                try log(tx, actor, meeting: new, case: number.description, justification: "case added to the agenda",
                        details: ["action": "add-case", "rescheduledFrom": id])
            }
            return try Self.get(tx, new)
        }
    }

    /// What became of a cancelled meeting: for `meeting show` and for any verb that names it.
    public struct Cancellation: Equatable, Sendable {
        /// The cancelled meeting's id.
        public let meeting: String
        /// The day it was to sit.
        public let date: CalendarDate
        /// Why (the coordinator's words, or "rescheduled to DATE").
        public let reason: String
        /// The meeting that replaced it, when it was rescheduled.
        public let replacedBy: String?
    }

    /// The message for a verb naming cancelled meeting `id`, or nil if it was never cancelled.
    static func cancellation(_ tx: VaultTransaction, _ id: String) throws -> String? {
        guard let row = try tx.rows("SELECT replaced_by FROM x_cancellation WHERE meeting = ?", [.text(id)]).first else { return nil }
        return "meeting \(id) was cancelled" + (row[0].text.map { ": it was rescheduled as \($0)" } ?? "")
    }

    private static func checkedReason(_ reason: String) throws -> String {
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.utf8.count <= 500 else {
            throw ExchangeError.invalidRequest("a cancellation needs a reason of 1 to 500 bytes (it stays in the log: a purpose, never a name)")
        }
        return trimmed
    }

    /// Removes `meeting`'s rows, child rows first, each change bound to the log, records
    /// the cancellation, and logs it with `reason`.
    private func withdraw(_ tx: VaultTransaction, _ meeting: Meeting, reason: String, replacedBy: String?,
                          by actor: Principal) throws -> Cancellation {
        let id = meeting.id
        for agency in meeting.invited {
            try tx.changeFact("x_invitation", [.text(id), .text(agency)], "DELETE FROM x_invitation WHERE meeting = ? AND agency = ?", [.text(id), .text(agency)])
        }
        for number in meeting.agenda {
            try tx.changeFact("x_agenda", [.text(id), .text(number.description)], "DELETE FROM x_agenda WHERE meeting = ? AND case_number = ?",
                              [.text(id), .text(number.description)])
        }
        for d in meeting.declarations {
            try tx.changeFact("x_declaration", [.text(id), .text(d.agency), .text(d.person)],
                              "DELETE FROM x_declaration WHERE meeting = ? AND agency = ? AND person = ?", [.text(id), .text(d.agency), .text(d.person)])
        }
        for row in try tx.rows("SELECT agency, person FROM x_attendance WHERE meeting = ?", [.text(id)]) {
            let agency = try row.text(0, "x_attendance"), person = try row.text(1, "x_attendance")
            try tx.changeFact("x_attendance", [.text(id), .text(agency), .text(person)],
                              "DELETE FROM x_attendance WHERE meeting = ? AND agency = ? AND person = ?", [.text(id), .text(agency), .text(person)])
        }
        try tx.changeFact("x_meeting", [.text(id)], "DELETE FROM x_meeting WHERE id = ?", [.text(id)])
        try tx.changeFact("x_cancellation", [.text(id)], """
            INSERT INTO x_cancellation (meeting, date, reason, replaced_by, cancelled_by, cancelled_at) VALUES (?, ?, ?, ?, ?, ?)
            """, [.text(id), .text(meeting.date.description), .text(reason), replacedBy.map(SQLValue.text) ?? .null, .text(actor.name),
                  .integer(Int64(tx.now.timeIntervalSince1970))])
        var details = ["action": "cancel", "date": meeting.date.description, "invitations": String(meeting.invited.count),
                       "cases": String(meeting.agenda.count), "declarations": String(meeting.declarations.count)]
        if let replacedBy { details["replacedBy"] = replacedBy }
        try log(tx, actor, meeting: id, recipients: meeting.invited, justification: reason, details: details)
        return Cancellation(meeting: id, date: meeting.date, reason: reason, replacedBy: replacedBy)
    }
}
