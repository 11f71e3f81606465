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
        /// An action or plan part: whether the meeting is in session with the case on its
        /// agenda, and whether the caller has declared for it.
        public var inSessionOnAgenda = false
        public var callerDeclared = false
        /// The Idva's confirmation: whether `agency` is the active Idva agency.
        public var agencyIsIdva = false

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
        /// The chair or the coordinator.
        case chairOrCoordinator
    }

    enum Given: Equatable {
        case agencyInvited
        case requestWaitsForAgency
        /// No other agency's forms, or every such agency approved the caller's unused request.
        case ownersApproved
        /// The meeting is in session with the case on its agenda.
        case inSessionOnAgenda
        /// ... and the caller has declared for it.
        case declaredInSessionOnAgenda
        /// ... the caller has declared, and `agency` is the active Idva agency.
        case idvaDeclaredInSessionOnAgenda
        /// Nothing more.
        case always
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
        Rule(id: "chair-records-action", verb: "action.add", who: .chairOrCoordinator, given: .inSessionOnAgenda),
        Rule(id: "representative-records-own", verb: "action.add", who: .ofTheAgency, given: .declaredInSessionOnAgenda),
        Rule(id: "chair-records-risks", verb: "plan.risks", who: .chairOrCoordinator, given: .inSessionOnAgenda),
        Rule(id: "chair-records-links", verb: "plan.links", who: .chairOrCoordinator, given: .inSessionOnAgenda),
        Rule(id: "idva-confirms", verb: "plan.idva", who: .ofTheAgency, given: .idvaDeclaredInSessionOnAgenda),
        Rule(id: "owning-agency-updates", verb: "action.update", who: .ofTheAgency, given: .always),
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
        case "action.add", "plan.risks", "plan.links", "plan.idva":
            throw ExchangeError.notPermitted(refusal(verb) + (facts.inSessionOnAgenda ? "" : "; meeting \(facts.target) is not in session with the case on its agenda"))
        case "action.update":
            throw ExchangeError.notPermitted("only agency \(facts.agency) may update action \(facts.target)")
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
        case .chairOrCoordinator: return principal.roles.contains(.chair) || principal.roles.contains(.coordinator)
        }
    }

    /// Who may, in the words of a refusal.
    private static func refusal(_ verb: String) -> String {
        switch verb {
        case "action.add": return "only the chair, the coordinator, or a declared representative for their own agency records an action"
        case "plan.risks": return "only the chair or the coordinator records the risks"
        case "plan.links": return "only the chair or the coordinator records the links to other processes"
        default: return "only the Idva, declared, confirms the plan"
        }
    }

    private static func holds(_ given: Given, _ facts: Facts) -> Bool {
        switch given {
        case .agencyInvited: return facts.agencyInvited
        case .requestWaitsForAgency: return facts.requestWaitsForAgency
        case .ownersApproved: return facts.ownersWaiting.isEmpty
        case .inSessionOnAgenda: return facts.inSessionOnAgenda
        case .declaredInSessionOnAgenda: return facts.inSessionOnAgenda && facts.callerDeclared
        case .idvaDeclaredInSessionOnAgenda: return facts.inSessionOnAgenda && facts.callerDeclared && facts.agencyIsIdva
        case .always: return true
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
            case .ofTheAgency:
                who = ["export.approve": "a principal of the agency approving", "plan.idva": "a principal of the Idva agency",
                       "action.add": "a principal of the owning agency, for their own agency"][rule.verb] ?? "a principal of the owning agency"
            case .exporter: who = "the principal exporting, for the forms the read table admits them to now"
            case .chairOrCoordinator: who = "the chair or the coordinator"
            }
            switch rule.given {
            case .agencyInvited: given = "the agency is invited to the meeting"
            case .requestWaitsForAgency: given = "the request waits for that agency's approval"
            case .ownersApproved: given = "every other agency whose forms are in it has approved the caller's request, not yet used"
            case .inSessionOnAgenda: given = "the meeting is in session with the case on its agenda"
            case .declaredInSessionOnAgenda: given = "the meeting is in session with the case on its agenda, and the caller has declared for it"
            case .idvaDeclaredInSessionOnAgenda:
                given = "the meeting is in session with the case on its agenda, the caller has declared for it, and their agency is the active Idva agency"
            case .always: given = "-"
            }
            switch rule.verb {
            case "meeting.declare": otherwise = "refused: only the chair records a declaration for someone else; or the agency is not invited"
            case "export.approve": otherwise = "refused: the request does not wait for that agency"
            case "action.add", "plan.risks", "plan.links", "plan.idva": otherwise = "refused: " + refusal(rule.verb) + ", in session"
            case "action.update": otherwise = "refused: only the owning agency updates an action (the refusal is logged)"
            default: otherwise = "a request waits for those agencies' approval (logged as `consent`)"
            }
            lines.append("| `\(rule.verb)` | `\(rule.id)` | \(who) | \(given) | \(otherwise) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
