import Foundation

// The document-read table as people read it (`docs/access.md`): made from the rows the
// code decides by, so the document cannot say one thing while the code does another
// (`ControlPolicyTests.testTheAccessDocumentShowsTheTables`).

extension AccessPolicy {
    /// The rules, one line each, as `docs/access.md` shows them.
    public static var markdown: String {
        var lines = ["| rule | for | who | reads | a corrected (superseded) form | when | basis | logged as |",
                     "|---|---|---|---|---|---|---|---|"]
        for rule in table {
            lines.append("| `\(rule.id)` | \(describe(rule.purpose)) | \(describe(rule.who)) | \(describe(rule.kinds)) | \(rule.superseded ? "yes" : "no") | "
                         + "\(describe(rule.when)) | \(describe(rule.basis)) | \(logged(rule.who)) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func describe(_ purpose: For) -> String {
        switch purpose {
        case .read: return "a person reading"
        case .pack(.agenda): return "building an agency's agenda pack"
        case .pack(.meeting): return "building an agency's meeting pack"
        case .pack(.minutes): return "building an agency's minutes pack"
        }
    }

    private static func describe(_ who: Who) -> String {
        switch who {
        case .ownAgency: return "a principal of the agency that sent it"
        case .idva: return "a principal of the Idva agency"
        case .coordinator: return "the coordinator"
        case .declaredInvited: return "a principal of an agency invited to a meeting with the case on its agenda, who has made the declaration for it"
        case .igOfficer: return "an IG officer of the agency that sent it, or the Marac-wide IG officer (`\"scope\": \"marac\"`)"
        case .agendaPackSender: return "the coordinator, for an invited agency whose pack is recorded, encrypted to its registered certificate, "
            + "the case on that meeting's agenda"
        case .meetingPackSender: return "anyone whose move makes the pack due (the coordinator, the chair, a declaring representative), "
            + "for an invited agency that has declared, whose pack is recorded, encrypted to its registered certificate, "
            + "the case on that meeting's agenda"
        case .minutesPackSender: return "the coordinator, for an agency that attended the meeting (someone of it declared) or owns one of "
            + "its actions, whose pack is recorded, encrypted to its registered certificate, the case on that meeting's agenda"
        }
    }

    private static func describe(_ kinds: Set<String>) -> String {
        kinds == allKinds ? "any form" : kinds.sorted().map { $0 == "iswc" ? "iswc forms" : $0 == "research" ? "research" : $0 + "s" }
            .joined(separator: ", ")
    }

    private static func describe(_ when: When) -> String {
        switch when {
        case .always: return "always"
        case .inSession: return "while that meeting is `in-session`"
        case .agendaOut: return "while that meeting is `agenda-issued` or `in-session`"
        case .closed: return "once that meeting is `closed`"
        }
    }

    private static func describe(_ basis: Basis) -> String {
        switch basis {
        case .reader: return "the reader's codes (each one that may justify sharing) and a reason"
        case .referral: return "the referral's own: `consent`, or its without-consent codes; and a reason"
        case let .fixedWithReason(codes): return codes.map { "`\($0)`" }.joined(separator: ", ") + ", and a reason"
        case let .fixed(codes): return codes.map { "`\($0)`" }.joined(separator: ", ")
        case let .fixedAndReferral(codes): return codes.map { "`\($0)`" }.joined(separator: ", ") + " and the referral's own"
        case .audit: return "`audit` (and any others), with a reason"
        }
    }

    private static func logged(_ who: Who) -> String {
        switch who {
        case .ownAgency: return "consultation"
        case .idva: return "disclosure to the Idva"
        case .coordinator: return "disclosure to the coordinator's agency"
        case .declaredInvited: return "disclosure to the reader's agency, naming the meeting"
        case .igOfficer: return "consultation or disclosure"
        case .agendaPackSender, .meetingPackSender, .minutesPackSender: return "disclosure to the recipient agency, naming the meeting, the pack and its certificate"
        }
    }
}
