import Exchange
import Foundation
import Vault

// The meeting's record and its follow-up (`docs/actions.md`): actions, plan parts,
// observers and apologies, updates and lists. Texts arrive in the request, never on a
// command line, and are neither logged nor echoed: answers carry ids, dates and codes.

extension ControlVerbs {
    func actions(_ principal: Principal, _ request: ControlRequest) throws -> JSONValue {
        let args = Arguments(request.args)
        switch request.verb {
        case "action.add":
            // SMART: an owner and a due date, or nothing is written.
            guard args.object["owner"] != nil, args.object["due"] != nil else {
                throw ControlError(.badArgument, "an action needs an owning agency (owner) and a due date (due)")
            }
            guard let risk = ActionRisk(rawValue: try args.string("risk")) else {
                throw ControlError(.badArgument, "risk must be one of " + ActionRisk.allCases.map(\.rawValue).joined(separator: ", "))
            }
            let action = try marac.addAction(NewAction(meeting: try args.label("meeting"), caseNumber: try args.caseNumber("case"),
                                                       owner: try args.label("owner"), due: try args.date("due"), risk: risk,
                                                       text: try args.text("text")), by: principal)
            return Self.json(action, today: CalendarDate(vault.currentTime))
        case "plan.record":
            let part: PlanPart
            switch try args.string("part") {
            case "risks":
                guard let given = args.object["risks"]?.object else { throw ControlError(.badArgument, "risks must be an object") }
                var risks: [ActionRisk: String] = [:]
                for key in given.keys {
                    guard let risk = ActionRisk(rawValue: key), let text = given[key]?.string, text.utf8.count <= Arguments.textBytes else {
                        throw ControlError(.badArgument, "risks takes victim, children, perpetrator and staff, each a text")
                    }
                    risks[risk] = text
                }
                part = .risks(risks)
            case "idva":
                guard let safe = args.object["safeAsPossible"]?.bool else { throw ControlError(.badArgument, "safeAsPossible must be true or false") }
                part = .idva(safeAsPossible: safe, why: args.object["why"] == nil ? nil : try args.text("why"))
            case "links":
                let codes = try args.labels("links", allowEmpty: true)
                let links = codes.compactMap(SafeguardingLink.init(rawValue:))
                guard links.count == codes.count else {
                    throw ControlError(.badArgument, "links are codes from " + SafeguardingLink.allCases.map(\.rawValue).joined(separator: ", "))
                }
                part = .links(links)
            default: throw ControlError(.badArgument, "part must be risks, idva or links")
            }
            let document = try marac.recordPlan(try args.label("meeting"), case: try args.caseNumber("case"), part, by: principal)
            return .object(JSONObject(["meeting": .string(try args.label("meeting")), "case": .string(try args.string("case")),
                                       "part": .string(part.name), "document": .string(document)]))
        case "meeting.attendance":
            guard let role = AttendanceRecord.Role(rawValue: try args.string("role")) else {
                throw ControlError(.badArgument, "role must be observer or apology")
            }
            let meeting = try marac.recordAttendance(try args.label("meeting"), agency: try args.label("agency"),
                                                     person: try args.optionalName("person") ?? "", role: role,
                                                     declared: try args.flag("declared"), researchSent: try args.flag("researchSent"), by: principal)
            return try meetingJSON(meeting)
        case "action.update":
            guard let status = ActionStatus(rawValue: try args.string("status")), status != .open else {
                throw ControlError(.badArgument, "status must be in-progress, done, not-possible or blocked-by-changed-circumstances")
            }
            let action = try marac.updateAction(try args.label("action"), to: status, on: try args.date("date"),
                                                note: args.object["note"] == nil ? "" : try args.text("note", allowEmpty: true), by: principal)
            return Self.json(action, today: CalendarDate(vault.currentTime))
        case "action.list":
            let filter = ActionFilter(meeting: try args.optionalLabel("meeting"), agency: try args.optionalLabel("agency"),
                                      openOnly: try args.flag("open"), overdueOnly: try args.flag("overdue"))
            let today = CalendarDate(vault.currentTime)
            return .array(try marac.actions(filter, for: principal).map { Self.json($0, today: today) })
        default: throw Self.unknownVerb
        }
    }

    /// `meeting` as `meeting.show` answers it: the meeting, and who attended (the
    /// declarations), observed or sent apologies.
    func meetingJSON(_ meeting: Meeting) throws -> JSONValue {
        guard case var .object(fields) = Self.json(meeting) else { preconditionFailure("a meeting is an object") }
        AttendanceRecord.set(meeting, try marac.attendance(meeting.id), into: &fields)
        return .object(fields)
    }

    /// An action without its text: `{"id", "meeting", "case", "owner", "due", "risk", "status", "statusOn", "overdue"}`.
    static func json(_ action: ActionRecord, today: CalendarDate) -> JSONValue {
        .object(JSONObject([
            "id": .string(action.id), "meeting": .string(action.meeting), "case": .string(action.caseNumber), "owner": .string(action.owner),
            "due": .string(action.due.description), "risk": .string(action.risk.rawValue), "status": .string(action.status.rawValue),
            "statusOn": .string(action.statusOn.description), "overdue": .bool(action.isOverdue(on: today)),
        ]))
    }
}

extension Arguments {
    /// The most UTF-8 bytes a text argument may have (4,000 characters of up to four).
    static let textBytes = 16_000

    /// A text written by a person (an action, a note): personal data, checked by length
    /// only here (Exchange checks it is not blank and at most 4,000 characters).
    func text(_ name: String, allowEmpty: Bool = false) throws -> String {
        guard let value = object[name]?.string, allowEmpty || !value.isEmpty, value.utf8.count <= Self.textBytes else {
            throw ControlError(.badArgument, "\(name) is required (a text of at most 4000 characters)")
        }
        return value
    }

    /// A `YYYY-MM-DD` date that exists: `2027-02-30` is refused as no such date.
    func date(_ name: String) throws -> CalendarDate {
        let text = try string(name)
        if let problem = CalendarDate.problem(with: text) { throw ControlError(.badArgument, "\(name) \(problem)") }
        return CalendarDate(text)!
    }
}
