import Exchange
import Foundation
import Vault

// The verbs that send packs (`docs/packs.md`, `docs/control-protocol.md`): sending the
// agenda, and the meeting moves and declarations that make meeting packs and revocation
// notices due. Exchange records each pack and logs its disclosures; `PackWriter` signs,
// encrypts and writes it.

extension ControlVerbs {
    /// `meeting.send-agenda`: a new agenda version to every invited agency.
    func sendAgenda(_ id: String, by principal: Principal) throws -> JSONValue {
        let issue = try marac.sendAgenda(id, by: principal)
        try packs.write(issue.packs)
        guard case var .object(result) = Self.json(issue.meeting) else { preconditionFailure("a meeting is an object") }
        result.set("version", .number(Double(issue.version)))
        result.set("daysAhead", .number(Double(issue.daysAhead)))
        result.set("packs", Self.json(issue.packs))
        if issue.daysAhead < agendaLeadDays {
            result.set("warning", .string("the agenda went out \(issue.daysAhead) days before the meeting; "
                                          + "the lead time is \(agendaLeadDays) days"))
            logger.warning("meeting.agenda_late", ["meeting": id, "daysAhead": issue.daysAhead, "leadDays": agendaLeadDays])
        }
        return .object(result)
    }

    /// `meeting.send-minutes`: minutes version N+1 to every agency that attended or owns
    /// an action; a warning when later than `marac.minutesWorkingDays` working days.
    func sendMinutes(_ id: String, by principal: Principal) throws -> JSONValue {
        let issue = try marac.sendMinutes(id, maracName: maracName, statement: statement, by: principal)
        try packs.write(issue.packs)
        guard case var .object(result) = Self.json(issue.meeting) else { preconditionFailure("a meeting is an object") }
        result.set("version", .number(Double(issue.version)))
        result.set("workingDaysAfter", .number(Double(issue.workingDaysAfter)))
        result.set("packs", Self.json(issue.packs))
        if issue.workingDaysAfter > minutesWorkingDays {
            result.set("warning", .string("the minutes went out \(issue.workingDaysAfter) working days after the meeting; "
                                          + "they are due within \(minutesWorkingDays)"))
            logger.warning("meeting.minutes_late", ["meeting": id, "workingDaysAfter": issue.workingDaysAfter, "dueWithin": minutesWorkingDays])
        }
        return .object(result)
    }

    /// `meeting.advance`: opening makes the meeting packs due, closing the revocation
    /// notices. The agenda is issued by sending it, never by a bare move. Closing a meeting
    /// already closed finishes what its close left in the outboxes (`docs/packs.md`,
    /// "Revocation notice"), and succeeds once nothing is left.
    func advance(_ id: String, to state: MeetingState, by principal: Principal) throws -> JSONValue {
        if state == .agendaIssued { throw ControlError(.conflict, "the agenda is issued by sending it: use meeting send-agenda") }
        let current = try marac.meetings.get(id)
        let meeting: Meeting
        if state == .closed && current.state == .closed {
            try ControlPolicy.require("meeting.advance", principal)
            meeting = current
        } else {
            meeting = try marac.meetings.advance(id, to: state, by: principal)
        }
        guard case var .object(result) = Self.json(meeting) else { preconditionFailure("a meeting is an object") }
        switch state {
        case .inSession: result.merge(try meetingPacks(id, only: nil, by: principal))
        case .closed:
            let outcome = packs.finishClosing(meeting: id)
            result.set("revocations", .array(outcome.notices.map { .object(JSONObject(["agency": .string($0.agency), "file": .string($0.file)])) }))
            if !outcome.pending.isEmpty {
                throw ControlError(.incomplete, "meeting \(id) is closed, but its outbox work is not finished for "
                                   + outcome.pending.map(\.agency).joined(separator: ", ") + " (" + (outcome.pending.first?.reason ?? "") + "); "
                                   + "the daemon retries it at start and on its timer, or run meeting close \(id) again")
            }
        default: break
        }
        return .object(result)
    }

    /// `meeting.declare`: a declaration during the meeting gets the agency its pack now.
    func declare(_ id: String, person: String, agency: String, by principal: Principal) throws -> JSONValue {
        let meeting = try marac.meetings.declare(id, person: person, agency: agency, statement: Array(statement.utf8), by: principal)
        guard case var .object(result) = Self.json(meeting) else { preconditionFailure("a meeting is an object") }
        if meeting.state == .inSession { result.merge(try meetingPacks(id, only: agency, by: principal)) }
        return .object(result)
    }

    /// `meeting.send-packs`: the meeting packs due and not yet written (after a failed
    /// write), by the chair or the coordinator.
    func sendMeetingPacks(_ id: String, by principal: Principal) throws -> JSONValue {
        return .object(try meetingPacks(id, only: nil, by: principal))
    }

    private func meetingPacks(_ id: String, only agency: String?, by principal: Principal) throws -> JSONObject {
        let due = try marac.meetingPacks(id, only: agency, by: principal)
        try packs.write(due.packs)
        for (agency, reason) in due.skipped {
            logger.warning("meeting.pack_skipped", ["meeting": id, "agency": agency, "reason": reason])
        }
        return JSONObject(["packs": Self.json(due.packs),
                           "skipped": .array(due.skipped.map { .object(JSONObject(["agency": .string($0.agency), "reason": .string($0.reason)])) })])
    }

    static func json(_ packs: [PreparedPack]) -> JSONValue {
        .array(packs.map { pack in
            .object(JSONObject(["agency": .string(pack.agency), "file": .string("outbox/\(pack.agency)/\(pack.kind.rawValue)/\(pack.fileName)"),
                                "documents": .number(Double(pack.documents.count))]))
        })
    }
}

extension JSONObject {
    /// Sets every member of `other` here.
    mutating func merge(_ other: JSONObject) {
        for (key, value) in other.members { set(key, value) }
    }
}
