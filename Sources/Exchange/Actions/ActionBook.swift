import Foundation
import Vault

// The action plan recorded in session, and its follow-up (`docs/actions.md`): every text a
// vault document of its agency, every row an authenticated fact, every write an entry in
// the log in the same transaction; who may is `FactRules`' rows.

extension Marac {
    /// Records action `new` at its meeting (in session, the case on its agenda): the chair
    /// or the coordinator for any active agency, a declared representative for their own.
    /// SMART: the owner must be an active agency and the due date on or after the meeting.
    public func addAction(_ new: NewAction, by principal: Principal) throws -> ActionRecord {
        try ControlPolicy.require("action.add", principal)
        try WrittenText.check(new.text, "the action")
        return try vault.transaction { tx in
            let meeting = try MeetingBook.get(tx, new.meeting)
            _ = try FactRules.decide("action.add", principal, Self.sessionFacts(meeting, new.caseNumber, principal, agency: new.owner))
            let owner = try AgencyRegistry.get(tx, new.owner)
            guard owner.active else { throw ExchangeError.agencyInactive(owner.id) }
            guard new.due.isValid, new.due >= meeting.date else {
                throw ExchangeError.invalidRequest("the due date must be a real date on or after the meeting (\(meeting.date))")
            }
            let number = new.caseNumber.description
            let earlier = try tx.rows("SELECT count(*) FROM x_action WHERE case_number = ?", [.text(number)]).first?.first?.integer ?? 0
            let id = "\(number)-A\(earlier + 1)"
            var content = JSONObject()
            content.set("v", 1)
            content.set("type", "action")
            content.set("action", .string(id))
            content.set("meeting", .string(meeting.id))
            content.set("case", .string(number))
            content.set("owner", .string(owner.id))
            content.set("due", .string(new.due.description))
            content.set("risk", .string(new.risk.rawValue))
            content.set("text", .string(new.text))
            let document = try Self.putMinute(tx, content, kind: "action", agency: owner.id, meeting: meeting.id, case: number, part: id)
            let now = Int64(tx.now.timeIntervalSince1970), today = CalendarDate(tx.now).description
            try tx.changeFact("x_action", [.text(id)], """
                INSERT INTO x_action (id, meeting, case_number, owner, due, risk, status, status_on, document, recorded_by, recorded_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?)
                """, [.text(id), .text(meeting.id), .text(number), .text(owner.id), .text(new.due.description), .text(new.risk.rawValue),
                      .text(today), .text(document), .text(principal.name), .integer(now), .integer(now)])
            try tx.append(.minute(document, by: principal.actor, case: number, meeting: meeting.id, owner: owner.id, at: tx.now,
                                  justification: "action recorded", details: ["what": "action", "id": id, "due": new.due.description]))
            return try Self.action(tx, id)
        }
    }

    /// Records `part` of case `number`'s plan at meeting `id` (in session, the case on its
    /// agenda): the risks and the links by the chair or the coordinator, the Idva's
    /// confirmation by a declared principal of the Idva agency. Returns the document.
    @discardableResult
    public func recordPlan(_ id: String, case number: CaseNumber, _ part: PlanPart, by principal: Principal) throws -> String {
        try ControlPolicy.require("plan.record", principal)
        var content = JSONObject()
        content.set("v", 1)
        content.set("type", "plan")
        content.set("part", .string(part.name))
        switch part {
        case let .risks(risks):
            guard !risks.isEmpty else { throw ExchangeError.invalidRequest("give at least one risk") }
            var object = JSONObject()
            for risk in ActionRisk.allCases {
                guard let text = risks[risk] else { continue }
                try WrittenText.check(text, "the \(risk.rawValue) risk")
                object.set(risk.rawValue, .string(text))
            }
            content.set("risks", .object(object))
        case let .idva(safe, why):
            content.set("safeAsPossible", .bool(safe))
            if !safe { try WrittenText.check(why ?? "", "why the plan is not as safe as possible") }
            if let why, !why.isEmpty { try WrittenText.check(why, "why"); content.set("why", .string(why)) }
        case let .links(links):
            content.set("links", .array(ActionsOrder.unique(links).map { .string($0.rawValue) }))
        }
        return try vault.transaction { tx in
            let meeting = try MeetingBook.get(tx, id)
            var facts = Self.sessionFacts(meeting, number, principal, agency: principal.agency)
            let agency = try AgencyRegistry.get(tx, principal.agency)
            facts.agencyIsIdva = agency.kind == .idva && agency.active
            _ = try FactRules.decide("plan." + part.name, principal, facts)
            content.set("meeting", .string(meeting.id))
            content.set("case", .string(number.description))
            let document = try Self.putMinute(tx, content, kind: "plan", agency: principal.agency, meeting: meeting.id,
                                              case: number.description, part: part.name)
            try tx.append(.minute(document, by: principal.actor, case: number.description, meeting: meeting.id, owner: principal.agency,
                                  at: tx.now, justification: "plan \(part.name) recorded", details: ["what": "plan", "part": part.name]))
            return document
        }
    }

    /// Records an observer (with whether they made the declaration) or an agency's
    /// apologies (with whether it sent its research) for meeting `id`: the chair or the
    /// coordinator, not once the meeting is closed. Once per agency and person.
    public func recordAttendance(_ id: String, agency: String, person: String = "", role: AttendanceRecord.Role,
                                 declared: Bool = false, researchSent: Bool = false, by principal: Principal) throws -> Meeting {
        try ControlPolicy.require("meeting.attendance", principal)
        switch role {
        case .chair: throw ExchangeError.invalidRequest("the chair is recorded when they open the meeting")
        case .observer: try WrittenText.check(person, "the observer's name")
        case .apology: guard person.isEmpty else { throw ExchangeError.invalidRequest("apologies are an agency's, not a person's") }
        }
        guard person.count <= 200 else { throw ExchangeError.invalidRequest("the observer's name is longer than 200 characters") }
        return try vault.transaction { tx in
            let meeting = try MeetingBook.get(tx, id)
            guard meeting.state != .closed else { throw ExchangeError.conflict("meeting \(id) is closed") }
            _ = try AgencyRegistry.get(tx, agency)
            guard try tx.rows("SELECT 1 FROM x_attendance WHERE meeting = ? AND agency = ? AND person = ?",
                              [.text(id), .text(agency), .text(person)]).isEmpty else {
                throw ExchangeError.conflict("this \(role.rawValue) is already recorded for \(id)")
            }
            try tx.changeFact("x_attendance", [.text(id), .text(agency), .text(person)], """
                INSERT INTO x_attendance (meeting, agency, person, role, declared, research_sent, recorded_by, recorded_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, [.text(id), .text(agency), .text(person), .text(role.rawValue), .integer(declared ? 1 : 0), .integer(researchSent ? 1 : 0),
                      .text(principal.name), .integer(Int64(tx.now.timeIntervalSince1970))])
            try tx.append(.meeting(id, by: principal.actor, recipients: [agency], at: tx.now, justification: "\(role.rawValue) recorded",
                                   details: ["action": "attendance", "role": role.rawValue]))
            return try MeetingBook.get(tx, id)
        }
    }

    /// The observers and apologies recorded for meeting `id`, by agency.
    public func attendance(_ id: String) throws -> [AttendanceRecord] {
        try vault.reading { tx in try Self.attendance(tx, id) }
    }

    static func attendance(_ tx: VaultTransaction, _ id: String) throws -> [AttendanceRecord] {
        try tx.rows("SELECT agency, person, role, declared, research_sent FROM x_attendance WHERE meeting = ? ORDER BY role DESC, agency, person",
                    [.text(id)]).map { row in
            guard let role = AttendanceRecord.Role(rawValue: try row.text(2, "x_attendance")) else { throw ExchangeError.corruptRow("x_attendance/\(id)") }
            return AttendanceRecord(agency: try row.text(0, "x_attendance"), person: try row.text(1, "x_attendance"), role: role,
                                    declared: try row.int(3, "x_attendance") == 1, researchSent: try row.int(4, "x_attendance") == 1)
        }
    }

    // MARK: - Helpers

    /// The facts of an act in session on `number` at `meeting` by `principal`, for `agency`.
    static func sessionFacts(_ meeting: Meeting, _ number: CaseNumber, _ principal: Principal, agency: String) -> FactRules.Facts {
        var facts = FactRules.Facts(target: meeting.id, person: principal.name, agency: agency)
        facts.inSessionOnAgenda = meeting.state == .inSession && meeting.agenda.contains(number)
        facts.callerDeclared = meeting.hasDeclared(person: principal.name, agency: principal.agency)
        return facts
    }

    /// Stores `content` as a document of `kind` for `agency`, bound to its case and meeting,
    /// and its `x_minute` row; the caller appends the entry that records both.
    static func putMinute(_ tx: VaultTransaction, _ content: JSONObject, kind: String, agency: String, meeting: String, case number: String,
                          part: String) throws -> String {
        try putMinute(tx, SecretBytes(copying: JSONValue.object(content).canonicalBytes), kind: kind, agency: agency, meeting: meeting,
                      case: number, part: part)
    }

    /// As `putMinute` for content already in bytes (an action update from an inbox).
    static func putMinute(_ tx: VaultTransaction, _ content: SecretBytes, kind: String, agency: String, meeting: String, case number: String,
                          part: String) throws -> String {
        let document = try tx.put(NewDocument(content: content, agency: agency, kind: kind, metadata: ["case": number, "meeting": meeting]))
        try tx.changeFact("x_minute", [.text(document)], """
            INSERT INTO x_minute (document, meeting, case_number, kind, part, agency, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)
            """, [.text(document), .text(meeting), .text(number), .text(kind), .text(part), .text(agency), .integer(Int64(tx.now.timeIntervalSince1970))])
        return document
    }

    /// Action `id` as its row stands.
    static func action(_ tx: VaultTransaction, _ id: String) throws -> ActionRecord {
        guard let row = try tx.rows("SELECT \(ActionsOrder.columns) FROM x_action WHERE id = ?", [.text(id)]).first else {
            throw ExchangeError.unknownAction(id)
        }
        return try ActionsOrder.record(row)
    }
}

/// Reading `x_action` rows, and small helpers the action verbs share.
enum ActionsOrder {
    static let columns = "id, meeting, case_number, owner, due, risk, status, status_on, document"

    static func record(_ row: [SQLValue]) throws -> ActionRecord {
        let id = try row.text(0, "x_action")
        guard let due = CalendarDate(try row.text(4, "x_action/\(id)")), let risk = ActionRisk(rawValue: try row.text(5, "x_action/\(id)")),
              let status = ActionStatus(rawValue: try row.text(6, "x_action/\(id)")), let on = CalendarDate(try row.text(7, "x_action/\(id)")) else {
            throw ExchangeError.corruptRow("x_action/\(id)")
        }
        return ActionRecord(id: id, meeting: try row.text(1, "x_action/\(id)"), caseNumber: try row.text(2, "x_action/\(id)"),
                            owner: try row.text(3, "x_action/\(id)"), due: due, risk: risk, status: status, statusOn: on,
                            document: try row.text(8, "x_action/\(id)"))
    }

    /// Whether `text` is an action id: a case number, `-A`, then 1 to 999999 without
    /// leading zeros (what `addAction` makes).
    static func isActionID(_ text: String) -> Bool {
        guard let range = text.range(of: "-A", options: .backwards), CaseNumber(String(text[..<range.lowerBound])) != nil else { return false }
        let digits = text[range.upperBound...]
        return (1...6).contains(digits.count) && digits.first != "0" && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// `links` without repeats, in the code list's order.
    static func unique(_ links: [SafeguardingLink]) -> [SafeguardingLink] {
        SafeguardingLink.allCases.filter(links.contains)
    }
}

extension LogEntry {
    /// A document of the meeting's record (an action, a plan part, an action update) made
    /// by `actor`: a `collection` under the Marac information sharing protocol, naming the
    /// agency whose key holds it as `details.owner`.
    static func minute(_ document: String, by actor: Actor, case number: String, meeting: String, owner: String, at time: Date,
                       justification: String, details: [String: String]) -> LogEntry {
        LogEntry(time: timestamp(time), operation: .collection, actor: actor, records: [document], case: number, meeting: meeting, recipients: [],
                 bases: ["marac-isp"], justification: justification, details: details.merging(["owner": owner]) { _, owner in owner })
    }
}
