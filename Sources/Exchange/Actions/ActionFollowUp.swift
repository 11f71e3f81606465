import Foundation
import Vault

// Follow-up (`docs/actions.md`, "Follow-up"): the owning agency reports progress; the
// coordinator and the agencies list what is open or overdue.

/// Which actions `Marac.actions` lists.
public struct ActionFilter: Sendable {
    public var meeting: String?
    public var agency: String?
    /// Only those still open (`open` or `in-progress`).
    public var openOnly = false
    /// Only those open and past their due date.
    public var overdueOnly = false

    /// Every action.
    public init(meeting: String? = nil, agency: String? = nil, openOnly: Bool = false, overdueOnly: Bool = false) {
        self.meeting = meeting
        self.agency = agency
        self.openOnly = openOnly
        self.overdueOnly = overdueOnly
    }
}

extension Marac {
    /// Updates action `id` to `status` on `date` with `note` (may be empty; a document of
    /// the owning agency when not): a principal of the owning agency only. Anyone else is
    /// refused, and the refusal is logged. A closed action (`done`, `not-possible`,
    /// `blocked-by-changed-circumstances`) is not updated again.
    public func updateAction(_ id: String, to status: ActionStatus, on date: CalendarDate, note: String,
                             by principal: Principal) throws -> ActionRecord {
        try ControlPolicy.require("action.update", principal)
        // The id reaches the log (a refusal names it) and messages: only in its own format,
        // never a string someone typed in the wrong place.
        guard ActionsOrder.isActionID(id) else { throw ExchangeError.invalidRequest("the action must be an action id such as M-2026-0001-A1") }
        try WrittenText.check(note, "the note", allowEmpty: true)
        guard status != .open else { throw ExchangeError.invalidRequest("an update's status is in-progress, done, not-possible or blocked-by-changed-circumstances") }
        do {
            return try vault.transaction { tx in
                let action = try Self.action(tx, id)
                _ = try FactRules.decide("action.update", principal, FactRules.Facts(target: id, person: principal.name, agency: action.owner))
                guard action.status.isOpen else { throw ExchangeError.conflict("action \(id) is \(action.status.rawValue); it is not updated again") }
                guard date.isValid, date <= CalendarDate(tx.now) else { throw ExchangeError.invalidRequest("the update's date must be a real date, not in the future") }
                var records: [String] = []
                if !note.isEmpty {
                    var content = JSONObject()
                    content.set("v", 1)
                    content.set("type", "action-update")
                    content.set("action", .string(id))
                    content.set("status", .string(status.rawValue))
                    content.set("date", .string(date.description))
                    content.set("note", .string(note))
                    records.append(try Self.putMinute(tx, content, kind: "action-update", agency: action.owner, meeting: action.meeting,
                                                      case: action.caseNumber, part: id))
                }
                try Self.setStatus(tx, id, status, on: date)
                try tx.append(.alteration(by: principal.actor, records: records, case: action.caseNumber, bases: ["marac-isp"], at: tx.now,
                                          justification: "action \(id) updated",
                                          details: ["what": "action-update", "id": id, "status": status.rawValue, "owner": action.owner]))
                return try Self.action(tx, id)
            }
        } catch let error as ExchangeError {
            if case .notPermitted = error {
                // The refusal is the log's too: an agency trying to change another's action.
                try vault.appendLog([LogEntry(time: LogEntry.timestamp(vault.currentTime), operation: .refusal, actor: principal.actor,
                                              records: [], case: nil, meeting: nil, recipients: [], bases: [],
                                              justification: "action update refused: not the owning agency",
                                              details: ["what": "action-update", "id": id, "rule": "owning-agency-updates"]).encoded()])
            }
            throw error
        }
    }

    /// Sets action `id`'s status and its date: the one place an update changes the row.
    static func setStatus(_ tx: VaultTransaction, _ id: String, _ status: ActionStatus, on date: CalendarDate) throws {
        try tx.changeFact("x_action", [.text(id)], "UPDATE x_action SET status = ?, status_on = ?, updated_at = ? WHERE id = ?",
                          [.text(status.rawValue), .text(date.description), .integer(Int64(tx.now.timeIntervalSince1970)), .text(id)])
    }

    /// An action update from `agency`'s inbox (`docs/forms.md`, "action-update"): the form
    /// is stored as the update's document, of the owning agency, and the action's status
    /// set. Refused, with the same report whether the action does not exist or is another
    /// agency's (no agency can probe another's actions), and the refusal logged; refused if
    /// the action is closed already.
    static func takeUpdate(_ tx: VaultTransaction, _ update: ActionUpdateForm, bytes: [UInt8], from agency: String) throws -> Result<(document: String, caseNumber: CaseNumber?), FormRejection> {
        var found: ActionRecord?
        do { found = try Self.action(tx, update.action) } catch ExchangeError.unknownAction(_) { found = nil }
        guard let action = found, action.owner == agency else {
            try tx.append(LogEntry(time: LogEntry.timestamp(tx.now), operation: .refusal, actor: .init(person: nil, agency: agency), records: [],
                                   case: nil, meeting: nil, recipients: [], bases: [], justification: "action update refused: not the owning agency",
                                   details: ["what": "action-update", "id": update.action, "rule": "owning-agency-updates"]))
            return .failure(FormRejection(kind: .actionUpdate, problems: [
                FormProblem(JSONPath.root.appending("action"), .unknownAction, "no action of this agency has this id"),
            ]))
        }
        guard action.status.isOpen, let status = ActionStatus(rawValue: update.status) else {
            return .failure(FormRejection(kind: .actionUpdate, problems: [
                FormProblem(JSONPath.root.appending("status"), .inconsistent, "action \(action.id) is \(action.status.rawValue); it is not updated again"),
            ]))
        }
        let document = try putMinute(tx, SecretBytes(copying: bytes), kind: FormKind.actionUpdate.rawValue, agency: agency, meeting: action.meeting,
                                     case: action.caseNumber, part: action.id)
        try setStatus(tx, action.id, status, on: update.date)
        return .success((document, CaseNumber(action.caseNumber)))
    }

    /// The actions `filter` selects that `principal` may list: every agency's for the
    /// coordinator, the chair and IG officers; their own agency's for anyone else. Ids,
    /// cases, owners, dates and statuses only (`action.list`).
    public func actions(_ filter: ActionFilter = ActionFilter(), for principal: Principal) throws -> [ActionRecord] {
        try ControlPolicy.require("action.list", principal)
        let everyAgency = principal.roles.contains(.coordinator) || principal.roles.contains(.chair) || principal.roles.contains(.igOfficer)
        let today = CalendarDate(vault.currentTime)
        return try vault.reading { tx in
            try tx.rows("SELECT \(ActionsOrder.columns) FROM x_action ORDER BY due, id").map(ActionsOrder.record).filter { action in
                (everyAgency || action.owner == principal.agency)
                    && (filter.meeting == nil || action.meeting == filter.meeting)
                    && (filter.agency == nil || action.owner == filter.agency)
                    && (!filter.openOnly || action.status.isOpen)
                    && (!filter.overdueOnly || action.isOverdue(on: today))
            }
        }
    }
}
