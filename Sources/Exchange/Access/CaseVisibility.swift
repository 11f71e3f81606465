import Foundation

/// Who sees which case (`docs/access.md`, "Who sees which case"): one table and one pure
/// function of the facts, like the document-read table. Seeing a case is seeing its number,
/// its referring agency and the meetings that heard it; its documents are listed only as
/// the read table admits them, and reading one is always a read through that table.
public enum CaseVisibility {
    /// The facts: who asks, and of the case, the agency that referred it and the agencies
    /// invited to a meeting with it on the agenda (each an authenticated fact).
    public struct Facts: Equatable, Sendable {
        /// The agency that referred the case.
        public var referringAgency: String
        /// Every agency invited to a meeting with the case on its agenda.
        public var invitedAgencies: Set<String>

        /// A case's facts.
        public init(referringAgency: String, invitedAgencies: Set<String>) {
            self.referringAgency = referringAgency
            self.invitedAgencies = invitedAgencies
        }
    }

    /// What `principal` sees of a case: the rule that shows it, and whether repeat findings
    /// (which link referrals) are shown; nil when no row shows it (`not-found`, the answer
    /// for a case that does not exist).
    public struct Visibility: Equatable, Sendable {
        /// The first row that shows the case.
        public let rule: String
        /// Whether some row that shows it shows repeat findings.
        public let showsRepeats: Bool
    }

    enum Who: Equatable {
        case coordinator
        case maracWideIG
        case referringAgency
        case invitedAgency
    }

    struct Rule {
        let id: String
        let who: Who
        /// Whether the row shows repeat findings.
        let repeats: Bool
    }

    /// The rows, in order.
    static let table: [Rule] = [
        Rule(id: "coordinator",      who: .coordinator,     repeats: true),
        Rule(id: "marac-ig",         who: .maracWideIG,     repeats: false),
        Rule(id: "referring-agency", who: .referringAgency, repeats: false),
        Rule(id: "invited-agency",   who: .invitedAgency,   repeats: false),
    ]

    /// Whether, and how, `principal` sees a case with `facts`.
    public static func decide(_ principal: Principal, _ facts: Facts) -> Visibility? {
        let showing = table.filter { admits($0.who, principal, facts) }
        guard let first = showing.first else { return nil }
        return Visibility(rule: first.id, showsRepeats: showing.contains(where: \.repeats))
    }

    private static func admits(_ who: Who, _ principal: Principal, _ facts: Facts) -> Bool {
        switch who {
        case .coordinator: return principal.roles.contains(.coordinator)
        case .maracWideIG: return principal.roles.contains(.igOfficer) && principal.isMaracWide
        case .referringAgency: return principal.agency == facts.referringAgency
        case .invitedAgency: return facts.invitedAgencies.contains(principal.agency)
        }
    }

    /// The rows as `docs/access.md` shows them.
    public static var markdown: String {
        var lines = ["| rule | who | sees | repeat findings |", "|---|---|---|---|"]
        for rule in table {
            let (who, sees): (String, String)
            switch rule.who {
            case .coordinator: (who, sees) = ("the coordinator", "every case")
            case .maracWideIG: (who, sees) = ("the Marac-wide IG officer (`\"scope\": \"marac\"`)", "every case")
            case .referringAgency: (who, sees) = ("a principal of the agency that referred it", "that case")
            case .invitedAgency: (who, sees) = ("a principal of an agency invited to a meeting with the case on its agenda", "that case")
            }
            lines.append("| `\(rule.id)` | \(who) | \(sees) | \(rule.repeats ? "yes" : "no") |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
