import Foundation

/// The risk an action addresses (`docs/actions.md`).
public enum ActionRisk: String, CaseIterable, Sendable {
    case victim, children, perpetrator, staff
}

/// An action's status: `open` when recorded; open while `open` or `in-progress`.
public enum ActionStatus: String, CaseIterable, Sendable {
    case open
    case inProgress = "in-progress"
    case done
    case notPossible = "not-possible"
    case blockedByChangedCircumstances = "blocked-by-changed-circumstances"

    /// Whether the action still waits to be done.
    public var isOpen: Bool { self == .open || self == .inProgress }
}

/// A link the chair records to another safeguarding process.
public enum SafeguardingLink: String, CaseIterable, Sendable {
    case childProtection = "child-protection"
    case childInNeed = "child-in-need"
    case adultSafeguarding = "adult-safeguarding"
    case mappa
    case mash
}

/// An action as its row stands: never its text (that is the `document`, read through the
/// access policy).
public struct ActionRecord: Equatable, Sendable {
    /// `<case>-A<n>`.
    public let id: String
    public let meeting: String
    public let caseNumber: String
    /// The owning agency.
    public let owner: String
    public let due: CalendarDate
    public let risk: ActionRisk
    public let status: ActionStatus
    /// The day of the status (recorded, or as the update gave it).
    public let statusOn: CalendarDate
    /// The vault document holding the action's text.
    public let document: String

    /// Whether it is open and its due date is before `today`.
    public func isOverdue(on today: CalendarDate) -> Bool { status.isOpen && due < today }
}

/// A new action, as the chair (or a representative) records it in session.
public struct NewAction: Sendable {
    public var meeting: String
    public var caseNumber: CaseNumber
    public var owner: String
    public var due: CalendarDate
    public var risk: ActionRisk
    /// The action, in the recorder's words (personal data: never logged).
    public var text: String

    /// An action.
    public init(meeting: String, caseNumber: CaseNumber, owner: String, due: CalendarDate, risk: ActionRisk, text: String) {
        self.meeting = meeting
        self.caseNumber = caseNumber
        self.owner = owner
        self.due = due
        self.risk = risk
        self.text = text
    }
}

/// A part of a case's plan at a meeting (`docs/actions.md`, "A plan part").
public enum PlanPart: Sendable {
    /// The risks identified, by area (at least one).
    case risks([ActionRisk: String])
    /// The Idva's view: the plan is as safe as possible, or why not.
    case idva(safeAsPossible: Bool, why: String?)
    /// Links made to other safeguarding processes (none is a valid answer).
    case links([SafeguardingLink])

    /// `risks`, `idva` or `links`.
    public var name: String {
        switch self {
        case .risks: return "risks"
        case .idva: return "idva"
        case .links: return "links"
        }
    }
}

/// Who was at a meeting besides its declarations: observers and apologies.
public struct AttendanceRecord: Equatable, Sendable {
    /// `chair` (who opened the meeting, recorded then), `observer` or `apology`.
    public enum Role: String, Sendable { case chair, observer, apology }
    public let agency: String
    /// The observer's name; empty for an agency's apologies.
    public let person: String
    public let role: Role
    /// An observer: whether they made the declaration.
    public let declared: Bool
    /// Apologies: whether the agency sent its research.
    public let researchSent: Bool
}

extension AttendanceRecord {
    /// Sets `chair` (when recorded), `attendees` (the declarations: agency, person),
    /// `observers` (agency, person, declared) and `apologies` (agency, researchSent): what
    /// `meeting show` answers and the minutes' header holds (`docs/packs.md`).
    public static func set(_ meeting: Meeting, _ attendance: [AttendanceRecord], into object: inout JSONObject) {
        if let chair = attendance.first(where: { $0.role == .chair }) {
            object.set("chair", .object(JSONObject(["person": .string(chair.person), "agency": .string(chair.agency)])))
        }
        object.set("attendees", .array(meeting.declarations.map { .object(JSONObject(["agency": .string($0.agency), "person": .string($0.person)])) }))
        object.set("observers", .array(attendance.filter { $0.role == .observer }.map {
            .object(JSONObject(["agency": .string($0.agency), "person": .string($0.person), "declared": .bool($0.declared)]))
        }))
        object.set("apologies", .array(attendance.filter { $0.role == .apology }.map {
            .object(JSONObject(["agency": .string($0.agency), "researchSent": .bool($0.researchSent)]))
        }))
    }
}

/// A text the chair or an agency writes (an action, a risk, a note): 1 to 4,000
/// characters, not only white space. Refusals name the field, never the text.
enum WrittenText {
    static let limit = 4_000

    static func check(_ text: String, _ field: String, allowEmpty: Bool = false) throws {
        if allowEmpty && text.isEmpty { return }
        guard text.contains(where: { !$0.isWhitespace }) else { throw ExchangeError.invalidRequest("\(field) is empty") }
        guard text.count <= limit else { throw ExchangeError.invalidRequest("\(field) is longer than \(limit) characters") }
    }
}
