import Foundation
import Vault

/// A Marac meeting's state, moved only forwards, one step at a time, by the coordinator
/// or the chair.
public enum MeetingState: String, CaseIterable, Codable, Sendable {
    /// Created; agencies invited and cases added.
    case scheduled
    /// The agenda has gone to the invited agencies.
    case agendaIssued = "agenda-issued"
    /// The meeting is sitting: declared representatives may read the cases' research.
    case inSession = "in-session"
    /// Over: nothing more is disclosed under it.
    case closed

    /// The state after this one, if any.
    public var next: MeetingState? {
        switch self {
        case .scheduled: return .agendaIssued
        case .agendaIssued: return .inSession
        case .inSession: return .closed
        case .closed: return nil
        }
    }
}

/// A confidentiality declaration: who made it (or the chair recorded it for), for which
/// agency, when, and the SHA-256 of the statement text they agreed to.
public struct Declaration: Equatable, Sendable {
    /// The agency the person represents.
    public let agency: String
    /// The person (a principal's name, or an attendee the chair named).
    public let person: String
    /// Who recorded it: the person themselves, or the chair.
    public let recordedBy: String
    /// SHA-256 of the statement, hex.
    public let statementSHA256: String
    /// When.
    public let declaredAt: Date
}

/// A meeting as stored.
public struct Meeting: Equatable, Sendable {
    /// `MTG-YYYY-MM-DD` (with `-2`, `-3` for a second meeting on one day).
    public let id: String
    /// The day it sits.
    public let date: CalendarDate
    /// Its state.
    public let state: MeetingState
    /// The invited agencies, sorted.
    public let invited: [String]
    /// The cases on its agenda, sorted.
    public let agenda: [CaseNumber]
    /// The declarations made for it.
    public let declarations: [Declaration]

    /// Whether `person` of `agency` has declared for this meeting.
    public func hasDeclared(person: String, agency: String) -> Bool {
        declarations.contains { $0.person == person && $0.agency == agency }
    }
}

/// Meetings: scheduling, invitations, agenda, state and declarations. Every change is a
/// `meeting` or `declaration` entry in the log, in the same transaction as the change.
public struct MeetingBook: Sendable {
    let vault: Vault

    // MARK: - Reading

    /// Meeting `id`.
    public func get(_ id: String) throws -> Meeting {
        try vault.reading { try Self.get($0, id) }
    }

    /// Every meeting, by date.
    public func list() throws -> [Meeting] {
        try vault.reading { tx in
            try tx.rows("SELECT id FROM x_meeting ORDER BY date, id").map { try Self.get(tx, try $0.text(0, "x_meeting")) }
        }
    }

    static func get(_ tx: VaultTransaction, _ id: String) throws -> Meeting {
        guard let row = try tx.rows("SELECT id, date, state FROM x_meeting WHERE id = ?", [.text(id)]).first else {
            if let cancelled = try cancellation(tx, id) { throw ExchangeError.conflict(cancelled) }
            throw ExchangeError.unknownMeeting(id)
        }
        guard let date = CalendarDate(try row.text(1, "x_meeting/\(id)")),
              let state = MeetingState(rawValue: try row.text(2, "x_meeting/\(id)")) else { throw ExchangeError.corruptRow("x_meeting/\(id)") }
        let invited = try tx.rows("SELECT agency FROM x_invitation WHERE meeting = ? ORDER BY agency", [.text(id)])
            .map { try $0.text(0, "x_invitation") }
        let agenda = try tx.rows("SELECT case_number FROM x_agenda WHERE meeting = ? ORDER BY case_number", [.text(id)])
            .map { row -> CaseNumber in
                guard let number = CaseNumber(try row.text(0, "x_agenda")) else { throw ExchangeError.corruptRow("x_agenda/\(id)") }
                return number
            }
        let declarations = try tx.rows("""
            SELECT agency, person, recorded_by, statement_sha256, declared_at FROM x_declaration WHERE meeting = ?
            ORDER BY declared_at, agency, person
            """, [.text(id)]).map { row in
            Declaration(agency: try row.text(0, "x_declaration"), person: try row.text(1, "x_declaration"),
                        recordedBy: try row.text(2, "x_declaration"), statementSHA256: Hex.encode(row[3].blob ?? []),
                        declaredAt: Date(timeIntervalSince1970: TimeInterval(try row.int(4, "x_declaration"))))
        }
        return Meeting(id: id, date: date, state: state, invited: invited, agenda: agenda, declarations: declarations)
    }

    /// The meetings (not closed) with case `number` on their agenda.
    static func openMeetings(_ tx: VaultTransaction, with number: String) throws -> [Meeting] {
        try tx.rows("""
            SELECT m.id FROM x_meeting m JOIN x_agenda a ON a.meeting = m.id WHERE a.case_number = ? AND m.state != 'closed'
            """, [.text(number)]).map { try get(tx, try $0.text(0, "x_meeting")) }
    }

    /// Every meeting with case `number` on its agenda, closed ones included.
    static func meetings(_ tx: VaultTransaction, with number: String) throws -> [Meeting] {
        try tx.rows("SELECT meeting FROM x_agenda WHERE case_number = ? ORDER BY meeting", [.text(number)])
            .map { try get(tx, try $0.text(0, "x_agenda")) }
    }

    // MARK: - Changes

    /// Schedules a meeting on `date` (coordinator): today or later.
    public func create(date: CalendarDate, by actor: Principal) throws -> Meeting {
        try ControlPolicy.require("meeting.create", actor)
        return try vault.transaction { tx in try Self.get(tx, try schedule(tx, date, by: actor)) }
    }

    /// Inserts a `scheduled` meeting on `date` and logs it; its id. An id is never reused,
    /// not even a cancelled meeting's (`x_cancellation` keeps them).
    func schedule(_ tx: VaultTransaction, _ date: CalendarDate, by actor: Principal, details extra: [String: String] = [:]) throws -> String {
        guard date.isValid, date >= CalendarDate(tx.now) else { throw ExchangeError.invalidRequest("meeting date \(date) is in the past") }
        let base = "MTG-\(date)"
        let taken = try tx.rows("""
            SELECT (SELECT count(*) FROM x_meeting WHERE id = ?1 OR id LIKE ?2) + (SELECT count(*) FROM x_cancellation WHERE meeting = ?1 OR meeting LIKE ?2)
            """, [.text(base), .text(base + "-%")])
        let count = try taken.first.map { try $0.int(0, "x_meeting") } ?? 0
        let id = count == 0 ? base : "\(base)-\(count + 1)"
        let now = Int64(tx.now.timeIntervalSince1970)
        try tx.changeFact("x_meeting", [.text(id)], "INSERT INTO x_meeting (id, date, state, created_at, updated_at) VALUES (?, ?, 'scheduled', ?, ?)",
                          [.text(id), .text(date.description), .integer(now), .integer(now)])
        try log(tx, actor, meeting: id, justification: "meeting scheduled", details: ["action": "create", "date": date.description].merging(extra) { a, _ in a })
        return id
    }

    /// Invites `agencies` (registered and active) to meeting `id` (coordinator; not once closed).
    public func invite(_ id: String, agencies: [String], by actor: Principal) throws -> Meeting {
        try ControlPolicy.require("meeting.invite", actor)
        return try vault.transaction { tx in
            let meeting = try Self.get(tx, id)
            guard meeting.state != .closed else { throw ExchangeError.conflict("meeting \(id) is closed") }
            for agency in Set(agencies).sorted() where !meeting.invited.contains(agency) {
                guard let row = try tx.rows("SELECT active FROM x_agency WHERE id = ?", [.text(agency)]).first else {
                    throw ExchangeError.unknownAgency(agency)
                }
                guard try row.int(0, "x_agency") == 1 else { throw ExchangeError.agencyInactive(agency) }
                try tx.changeFact("x_invitation", [.text(id), .text(agency)], "INSERT INTO x_invitation (meeting, agency, invited_at) VALUES (?, ?, ?)",
                                  [.text(id), .text(agency), .integer(Int64(tx.now.timeIntervalSince1970))])
                try log(tx, actor, meeting: id, recipients: [agency], justification: "agency invited",
                        details: ["action": "invite"])
            }
            return try Self.get(tx, id)
        }
    }

    /// Puts case `number` (open) on meeting `id`'s agenda (coordinator). A case sits on one
    /// open meeting at a time.
    public func addCase(_ id: String, _ number: CaseNumber, by actor: Principal) throws -> Meeting {
        try ControlPolicy.require("meeting.add-case", actor)
        return try vault.transaction { tx in
            let meeting = try Self.get(tx, id)
            guard meeting.state != .closed else { throw ExchangeError.conflict("meeting \(id) is closed") }
            let record = try CaseBook.get(tx, number)
            guard record.status == .open else { throw ExchangeError.conflict("case \(number) is closed") }
            if meeting.agenda.contains(number) { return meeting }
            if let other = try Self.openMeetings(tx, with: number.description).first {
                throw ExchangeError.conflict("case \(number) is already on meeting \(other.id)")
            }
            try tx.changeFact("x_agenda", [.text(id), .text(number.description)], "INSERT INTO x_agenda (meeting, case_number, added_at) VALUES (?, ?, ?)",
                              [.text(id), .text(number.description), .integer(Int64(tx.now.timeIntervalSince1970))])
            try log(tx, actor, meeting: id, case: number.description, justification: "case added to the agenda",
                    details: ["action": "add-case"])
            return try Self.get(tx, id)
        }
    }

    /// Withdraws `agency`'s invitation to meeting `id` (coordinator): only while the meeting
    /// is `scheduled`, before its agenda has disclosed anything to anyone; logged. An agency
    /// invited by mistake, or without a certificate, no longer blocks the agenda.
    public func uninvite(_ id: String, agency: String, by actor: Principal) throws -> Meeting {
        try correction("meeting.uninvite", id, by: actor, stands: "its invitations stand") { tx, meeting in
            guard meeting.invited.contains(agency) else { throw ExchangeError.conflict("agency \(agency) is not invited to \(id)") }
            try tx.changeFact("x_invitation", [.text(id), .text(agency)], "DELETE FROM x_invitation WHERE meeting = ? AND agency = ?",
                              [.text(id), .text(agency)])
            try log(tx, actor, meeting: id, recipients: [agency], justification: "invitation withdrawn before the agenda", details: ["action": "uninvite"])
            return try Self.get(tx, id)
        }
    }

    /// Takes case `number` off meeting `id`'s agenda (coordinator): only while the meeting
    /// is `scheduled`, before its agenda has disclosed the case; logged.
    public func removeCase(_ id: String, _ number: CaseNumber, by actor: Principal) throws -> Meeting {
        try correction("meeting.remove-case", id, by: actor, stands: "its cases stand") { tx, meeting in
            guard meeting.agenda.contains(number) else { throw ExchangeError.conflict("case \(number) is not on \(id)'s agenda") }
            try tx.changeFact("x_agenda", [.text(id), .text(number.description)], "DELETE FROM x_agenda WHERE meeting = ? AND case_number = ?",
                              [.text(id), .text(number.description)])
            try log(tx, actor, meeting: id, case: number.description, justification: "case taken off the agenda before it went out",
                    details: ["action": "remove-case"])
            return try Self.get(tx, id)
        }
    }

    /// A correction to meeting `id` under `verb`'s policy row, made by `body` in one
    /// transaction while the meeting is `scheduled`; refused once the agenda has gone out
    /// (what it disclosed cannot be rewritten), the message ending with `stands`. What
    /// `body` returns.
    func correction<Result>(_ verb: String, _ id: String, by actor: Principal, stands: String,
                            _ body: (VaultTransaction, Meeting) throws -> Result) throws -> Result {
        try ControlPolicy.require(verb, actor)
        return try vault.transaction { tx in
            let meeting = try Self.get(tx, id)
            guard meeting.state == .scheduled else {
                throw ExchangeError.conflict("meeting \(id) is \(meeting.state.rawValue): its agenda has gone out, so \(stands)")
            }
            return try body(tx, meeting)
        }
    }

    /// Moves meeting `id` to `state`, which must be the next one (coordinator or chair).
    /// Closing it records the meeting date on each case it heard (the 12-month flag).
    public func advance(_ id: String, to state: MeetingState, by actor: Principal) throws -> Meeting {
        try ControlPolicy.require("meeting.advance", actor)
        return try vault.transaction { tx in
            let meeting = try Self.get(tx, id)
            guard meeting.state.next == state else {
                throw ExchangeError.conflict("meeting \(id) is \(meeting.state.rawValue); it can move only to "
                                             + (meeting.state.next?.rawValue ?? "nothing"))
            }
            try tx.changeFact("x_meeting", [.text(id)], "UPDATE x_meeting SET state = ?, updated_at = ? WHERE id = ?",
                              [.text(state.rawValue), .integer(Int64(tx.now.timeIntervalSince1970)), .text(id)])
            if state == .closed {
                for number in meeting.agenda { try CaseBook.recordMeeting(tx, number, on: meeting.date) }
            }
            // The chair who opens the meeting chairs it: the minutes' header (docs/actions.md).
            if state == .inSession && actor.roles.contains(.chair) {
                try tx.changeFact("x_attendance", [.text(id), .text(actor.agency), .text(actor.name)], """
                    INSERT INTO x_attendance (meeting, agency, person, role, declared, research_sent, recorded_by, recorded_at)
                    VALUES (?, ?, ?, 'chair', 0, 0, ?, ?)
                    """, [.text(id), .text(actor.agency), .text(actor.name), .text(actor.name), .integer(Int64(tx.now.timeIntervalSince1970))])
            }
            try log(tx, actor, meeting: id, justification: "meeting moved to \(state.rawValue)",
                    details: ["action": "advance", "from": meeting.state.rawValue, "to": state.rawValue])
            // Closing revokes the meeting packs and records what the outboxes still need,
            // in the same transaction: a close is never half recorded.
            if state == .closed { try MeetingClosing.revoke(tx, meeting, by: actor.actor) }
            return try Self.get(tx, id)
        }
    }

    /// Records the confidentiality declaration of `person` for `agency` at meeting `id`:
    /// made by the person themselves (a principal of an invited agency), or recorded by
    /// the chair for an attendee present, as `FactRules` decides. Once per person, agency and meeting; not once
    /// the meeting is closed.
    public func declare(_ id: String, person: String, agency: String, statement: [UInt8], by actor: Principal) throws -> Meeting {
        return try vault.transaction { tx in
            let meeting = try Self.get(tx, id)
            var facts = FactRules.Facts(target: id, person: person, agency: agency)
            facts.agencyInvited = meeting.invited.contains(agency)
            let forSelf = try FactRules.decide("meeting.declare", actor, facts) == .allow(rule: "declares-for-themselves")
            guard meeting.state != .closed else { throw ExchangeError.conflict("meeting \(id) is closed") }
            guard !meeting.hasDeclared(person: person, agency: agency) else {
                throw ExchangeError.conflict("this declaration for \(id) was already made")
            }
            let digest = SHA256.hash(statement)
            try tx.changeFact("x_declaration", [.text(id), .text(agency), .text(person)], """
                INSERT INTO x_declaration (meeting, agency, person, recorded_by, statement_sha256, declared_at) VALUES (?, ?, ?, ?, ?, ?)
                """, [.text(id), .text(agency), .text(person), .text(actor.name), .blob(digest), .integer(Int64(tx.now.timeIntervalSince1970))])
            try tx.append(.declaration(at: id, for: agency, by: actor.actor, at: tx.now,
                                       justification: forSelf ? "confidentiality declaration made" : "confidentiality declaration recorded by the chair",
                                       details: ["person": person, "statementSHA256": Hex.encode(digest)]))
            return try Self.get(tx, id)
        }
    }

    // MARK: - Helpers

    func log(_ tx: VaultTransaction, _ actor: Principal, meeting: String, case: String? = nil,
                     recipients: [String] = [], justification: String, details: [String: String]) throws {
        try tx.append(.meeting(meeting, by: actor.actor, case: `case`, recipients: recipients, at: tx.now, justification: justification,
                               details: details))
    }
}
