import Exchange
import Foundation
import XCTest

/// The access tables a person can read (`Fixtures/access-rules.tsv`, who may read what;
/// `Fixtures/access-refusals.tsv`, why a read is refused), and their answer for a
/// situation, worked out from the tables' words alone: the oracle both access matrices
/// check the policy against. Every phrase of the tables is one case here; an unknown
/// phrase fails the test.
struct AccessTable {
    struct Rule { let id, purpose, who: String, reads: Set<String>, corrected: Bool, when, basis: String }
    struct Refusal { let scope, refusal, when: String }

    let rules: [Rule]
    let basisProblems: [Refusal]
    let noRuleFits: [Refusal]

    /// What a read is for, as the tables name it.
    enum Purpose: String {
        case read = "a person reading", agendaPack = "an agenda pack", meetingPack = "a meeting pack", minutesPack = "a minutes pack", unattributed

        /// The purpose of building a `kind` pack.
        init(_ kind: PackKind) {
            switch kind {
            case .agenda: self = .agendaPack
            case .meeting: self = .meetingPack
            case .minutes: self = .minutesPack
            }
        }
    }

    /// Everything the tables speak of.
    struct Situation: CustomStringConvertible {
        var purpose = Purpose.read
        var roles: [Principal.Role] = [], maracWide = false
        /// The reader's agency: `sender`, `other` or `idva`.
        var readerAgency = "sender"
        var kind = "referral", superseded = false, referralBases = ["consent"]
        /// A person's read: a meeting with the case on its agenda, the reader's agency
        /// invited to it, the reader declared, its state.
        var onAgenda = false, invited = false, declared = false, state = MeetingState.scheduled
        /// A pack's facts.
        var recorded = false, recipientInvited = false, recipientDeclared = false, certificateRegistered = false, caseOnPackAgenda = false
        var bases: [String] = [], reason = ""

        var description: String {
            "\(purpose) \(roles.map(\.rawValue))\(maracWide ? "/marac" : "") \(readerAgency) \(kind) superseded=\(superseded) "
                + "referral=\(referralBases) onAgenda=\(onAgenda) invited=\(invited) declared=\(declared) \(state.rawValue) "
                + (purpose == .agendaPack || purpose == .meetingPack || purpose == .minutesPack ? "recorded=\(recorded) recipientInvited=\(recipientInvited) "
                    + "recipientDeclared=\(recipientDeclared) certificate=\(certificateRegistered) caseOnAgenda=\(caseOnPackAgenda) " : "")
                + "bases=\(bases) reason=\(reason.isEmpty ? "none" : "given")"
        }
    }

    enum Answer: Equatable { case allow(rule: String, bases: [String]), refuse(String) }

    init() throws {
        func rows(_ name: String) throws -> [[String]] {
            let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "tsv", subdirectory: "Fixtures"))
            return try String(contentsOf: url, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
                .map { $0.split(separator: "\t").map(String.init) }
        }
        rules = try rows("access-rules").dropFirst().map {
            Rule(id: $0[0], purpose: $0[1], who: $0[2], reads: Set($0[3].components(separatedBy: ", ")), corrected: $0[4] == "yes",
                 when: $0[5], basis: $0[6])
        }
        let refusals = try rows("access-refusals")
        let split = try XCTUnwrap(refusals.firstIndex { $0.first == "for" })
        basisProblems = refusals[1..<split].map { Refusal(scope: $0[0], refusal: $0[1], when: $0[2]) }
        noRuleFits = refusals[(split + 1)...].map { Refusal(scope: $0[0], refusal: $0[1], when: $0[2]) }
    }

    /// The tables' answer for `s`.
    func answer(_ s: Situation) -> Answer {
        var firstProblem: String?
        for rule in rules where rule.purpose == s.purpose.rawValue && rule.reads.contains(s.kind) && fits(rule.who, s) && holds(rule.when, s) {
            if s.superseded && !rule.corrected {
                firstProblem = firstProblem ?? "superseded"
                continue
            }
            if let problem = basisProblems.first(where: { $0.scope == rule.basis && holds($0.when, s) }) {
                firstProblem = firstProblem ?? problem.refusal
                continue
            }
            return .allow(rule: rule.id, bases: bases(rule.basis, s))
        }
        if let firstProblem { return .refuse(firstProblem) }
        for refusal in noRuleFits where inScope(refusal.scope, s) && holds(refusal.when, s) { return .refuse(refusal.refusal) }
        XCTFail("no refusal in access-refusals.tsv holds for \(s)")
        return .refuse("?")
    }

    private func inScope(_ scope: String, _ s: Situation) -> Bool {
        switch scope {
        case "anything": return true
        case "a pack": return s.purpose == .agendaPack || s.purpose == .meetingPack || s.purpose == .minutesPack
        default: return scope == s.purpose.rawValue
        }
    }

    private func fits(_ who: String, _ s: Situation) -> Bool {
        let pack = s.recorded && s.recipientInvited && s.certificateRegistered && s.caseOnPackAgenda
        switch who {
        case "anyone of the agency that sent it": return s.readerAgency == "sender"
        case "anyone of the Idva agency": return s.readerAgency == "idva"
        case "the coordinator": return s.roles.contains(.coordinator)
        case "anyone of an invited agency who has declared": return s.onAgenda && s.invited && s.declared
        case "an IG officer of the agency that sent it, or the Marac-wide IG officer":
            return s.roles.contains(.igOfficer) && (s.maracWide || s.readerAgency == "sender")
        case "the coordinator, for an invited agency whose pack is recorded, to its registered certificate, the case on the agenda":
            return s.roles.contains(.coordinator) && pack
        case "anyone, for an invited agency that has declared, whose pack is recorded, to its registered certificate, the case on the agenda":
            return pack && s.recipientDeclared
        case "the coordinator, for an agency that attended or owns an action, whose pack is recorded, to its registered certificate, the case on the agenda":
            return s.roles.contains(.coordinator) && pack && s.recipientDeclared
        default: XCTFail("unknown who: \(who)"); return false
        }
    }

    private func holds(_ when: String, _ s: Situation) -> Bool {
        let registry = LegalBasisRegistry.builtIn
        switch when {
        case "always": return true
        case "while a meeting with the case on its agenda is in session": return s.onAgenda && s.state == .inSession
        case "while the meeting's agenda is issued or it is in session": return s.state == .agendaIssued || s.state == .inSession
        case "while the meeting is in session": return s.state == .inSession
        case "once the meeting is closed": return s.state == .closed
        // Basis problems.
        case "the reader gave no code": return s.bases.isEmpty
        case "the reader gave no reason": return s.reason.isEmpty
        case "a code is not in the registry": return s.bases.contains { registry.basis($0) == nil }
        case "a code may not justify sharing": return !s.bases.allSatisfy { registry.allows($0, for: .disclosure) }
        case "audit is not among the codes": return !s.bases.contains("audit")
        case "the referral names none": return s.referralBases.isEmpty
        // No rule fits.
        case "the request does not say who reads, or names a pack without all its facts": return s.purpose == .unattributed
        case "the form is an iswc form": return s.kind == "iswc"
        case "the form is in quarantine": return s.kind == "quarantine"
        case "the form is an action update": return s.kind == "action-update"
        case "no meeting has the form's case on its agenda": return !s.onAgenda
        case "the reader's agency is invited to none of those meetings": return !s.invited
        case "the reader has declared for none of those meetings": return !s.declared
        case "the pack is not recorded for that agency and version": return !s.recorded
        case "the agency is not invited": return !s.recipientInvited
        case "the certificate is not the agency's registered one": return !s.certificateRegistered
        case "the form's case is not on the meeting's agenda": return !s.caseOnPackAgenda
        case "the sender is not the coordinator": return !s.roles.contains(.coordinator)
        case "the meeting's agenda is not issued and it is not in session": return s.state != .agendaIssued && s.state != .inSession
        case "the meeting is not in session": return s.state != .inSession
        case "no one of the agency has declared": return !s.recipientDeclared
        case "no one of the agency attended and it owns no action": return !s.recipientDeclared
        case "the meeting is not closed": return s.state != .closed
        default: XCTFail("unknown condition: \(when)"); return false
        }
    }

    private func bases(_ basis: String, _ s: Situation) -> [String] {
        switch basis {
        case "the reader's", "audit": return s.bases
        case "the referral's own", "the referral's own, with a reason": return s.referralBases
        case "marac-isp", "marac-isp, with a reason": return ["marac-isp"]
        case "marac-isp and the referral's own": return ["marac-isp"] + s.referralBases.filter { $0 != "marac-isp" }
        default: XCTFail("unknown basis: \(basis)"); return []
        }
    }

    /// Fails unless every one of `reasons` was counted at least once in `counts`.
    static func assertEachOccurred(_ reasons: [String], in counts: [String: Int], _ what: String,
                                   file: StaticString = #filePath, line: UInt = #line) {
        for reason in reasons where (counts[reason] ?? 0) == 0 {
            XCTFail("no \(what) was refused \(reason): \(counts.sorted { $0.key < $1.key })", file: file, line: line)
        }
    }
}
