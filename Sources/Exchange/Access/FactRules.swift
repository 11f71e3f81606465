import Foundation

/// What a verb open to any principal is then decided by, where that is not a read
/// (`docs/access.md`, "Decided on the facts"): who may make or record a declaration, who
/// may approve an export, and when a case export needs its owners' approval. One table,
/// every column of every row evaluated; the operations ask it inside the transaction that
/// reads the facts, and a refusal says why.
public enum FactRules {
    /// The facts a row decides on, read in the operation's transaction.
    public struct Facts: Equatable, Sendable {
        /// The meeting or export request acted on.
        public var target: String
        /// The person and agency the act is for (a declaration's maker; the approving agency).
        public var person: String
        public var agency: String
        /// A declaration: whether `agency` is invited to the meeting.
        public var agencyInvited = false
        /// An approval: whether the request waits for `agency`'s approval.
        public var requestWaitsForAgency = false
        /// A case export: the other agencies whose forms are in it that have not yet
        /// approved the caller's request.
        public var ownersWaiting: [String] = []

        /// The facts of an act on `target` for `person` of `agency`.
        public init(target: String, person: String, agency: String) {
            self.target = target
            self.person = person
            self.agency = agency
        }
    }

    enum Who: Equatable {
        /// The principal acting for themselves (their own name and agency).
        case themselves
        /// The chair, for someone else.
        case chair
        /// A principal of the agency the act is for.
        case ofTheAgency
        /// The principal exporting.
        case exporter
    }

    enum Given: Equatable {
        case agencyInvited
        case requestWaitsForAgency
        /// No other agency's forms, or every such agency approved the caller's unused request.
        case ownersApproved
    }

    struct Rule {
        let id: String
        let verb: String
        let who: Who
        let given: Given
    }

    /// The rows, verb by verb, in order.
    static let table: [Rule] = [
        Rule(id: "declares-for-themselves", verb: "meeting.declare", who: .themselves, given: .agencyInvited),
        Rule(id: "chair-records", verb: "meeting.declare", who: .chair, given: .agencyInvited),
        Rule(id: "owning-agency-approves", verb: "export.approve", who: .ofTheAgency, given: .requestWaitsForAgency),
        Rule(id: "owners-approved", verb: "export.case", who: .exporter, given: .ownersApproved),
    ]

    /// The answer.
    public enum Decision: Equatable, Sendable {
        /// Allowed under the row `rule`.
        case allow(rule: String)
        /// A case export that waits for these agencies' approval.
        case waitsFor([String])
    }

    /// Decides `verb` for `principal` on `facts`: the first row for the verb whose every
    /// column holds. Throws `notPermitted`, saying why, if none does.
    public static func decide(_ verb: String, _ principal: Principal, _ facts: Facts) throws -> Decision {
        let rows = table.filter { $0.verb == verb }
        precondition(!rows.isEmpty, "no fact rule for \(verb)")
        let fitting = rows.filter { fits($0.who, principal, facts) }
        if let rule = fitting.first(where: { holds($0.given, facts) }) { return .allow(rule: rule.id) }
        switch verb {
        case "meeting.declare":
            if fitting.isEmpty { throw ExchangeError.notPermitted("only the chair records a declaration for someone else") }
            throw ExchangeError.notPermitted("agency \(facts.agency) is not invited to \(facts.target)")
        case "export.approve":
            throw ExchangeError.notPermitted("export request \(facts.target) does not wait for agency \(facts.agency)")
        default:
            return .waitsFor(facts.ownersWaiting)
        }
    }

    private static func fits(_ who: Who, _ principal: Principal, _ facts: Facts) -> Bool {
        switch who {
        case .themselves: return principal.name == facts.person && principal.agency == facts.agency
        case .chair: return principal.roles.contains(.chair)
        case .ofTheAgency: return principal.agency == facts.agency
        case .exporter: return principal.name == facts.person && principal.agency == facts.agency
        }
    }

    private static func holds(_ given: Given, _ facts: Facts) -> Bool {
        switch given {
        case .agencyInvited: return facts.agencyInvited
        case .requestWaitsForAgency: return facts.requestWaitsForAgency
        case .ownersApproved: return facts.ownersWaiting.isEmpty
        }
    }

    /// The rows as `docs/access.md` shows them.
    public static var markdown: String {
        var lines = ["| verb | rule | who | when | otherwise |", "|---|---|---|---|---|"]
        for rule in table {
            let who: String, given: String, otherwise: String
            switch rule.who {
            case .themselves: who = "a principal, for themselves"
            case .chair: who = "the chair, for an attendee present"
            case .ofTheAgency: who = "a principal of the agency approving"
            case .exporter: who = "the principal exporting, for the forms the read table admits them to now"
            }
            switch rule.given {
            case .agencyInvited: given = "the agency is invited to the meeting"
            case .requestWaitsForAgency: given = "the request waits for that agency's approval"
            case .ownersApproved: given = "every other agency whose forms are in it has approved the caller's request, not yet used"
            }
            switch rule.verb {
            case "meeting.declare": otherwise = "refused: only the chair records a declaration for someone else; or the agency is not invited"
            case "export.approve": otherwise = "refused: the request does not wait for that agency"
            default: otherwise = "a request waits for those agencies' approval (logged as `consent`)"
            }
            lines.append("| `\(rule.verb)` | `\(rule.id)` | \(who) | \(given) | \(otherwise) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
