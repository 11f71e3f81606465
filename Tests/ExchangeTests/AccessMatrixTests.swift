import Exchange
import Foundation
import XCTest

/// Every combination of what the access tables speak of, checked against their answer
/// (`AccessTable`: `Fixtures/access-rules.tsv` and `Fixtures/access-refusals.tsv`, read as
/// a person reads them): the same allow or the exact refusal reason, and the exact log
/// entry. Person reads: role × the reader's agency (the sender's, another, the Idva) ×
/// invited or not × declared or not × meeting state × form kind × case on the agenda or
/// not × corrected or not × the referral's bases × what the reader gives. Pack reads:
/// agenda or meeting pack × sender's role × form kind × corrected or not × meeting state ×
/// each of the pack's five facts. Reads that do not say who reads. Zero disagreements.
final class AccessMatrixTests: XCTestCase {
    enum ReaderAgency: String, CaseIterable { case sender, other, idva }
    enum Given: CaseIterable {
        case sharingBasis, audit, nothing, basisWithoutReason, unknownBasis, notForSharing

        /// What a reader gives for each.
        var request: AccessPolicy.Request {
            switch self {
            case .sharingBasis: return .init(bases: ["dpa-s1-p18"], reason: "case review")
            case .audit: return .init(bases: ["audit"], reason: "quarterly audit")
            case .nothing: return .init(bases: [], reason: "")
            case .basisWithoutReason: return .init(bases: ["dpa-s1-p18"], reason: "")
            case .unknownBasis: return .init(bases: ["no-such-basis"], reason: "case review")
            case .notForSharing: return .init(bases: ["retention-policy"], reason: "case review")
            }
        }
    }

    static let roleSets: [([Principal.Role], Bool)] = [
        ([.coordinator], false), ([.chair], false), ([.representative], false), ([.igOfficer], false), ([.igOfficer], true),
        ([.keyCustodian], false), ([.chair, .representative], false),
    ]
    static let kinds = ["referral", "research", "iswc", "quarantine", "action", "plan", "action-update"]
    static let referralBases = [["consent"], ["ukgdpr-9-2-g", "dpa-s1-p18"], []]
    static let agencies = ["sender": "police", "other": "health", "idva": "idva"]
    static let time = "2026-12-10T10:00:00Z"

    /// The policy's answer as the tables put it.
    static func answer(_ decision: AccessPolicy.Decision) -> AccessTable.Answer {
        switch decision {
        case let .allow(rule, _, bases, _): return .allow(rule: rule, bases: bases)
        case let .deny(rule): return .refuse(rule)
        }
    }

    func testEveryPersonsReadAgreesWithTheTablesAndLogsExactly() throws {
        let table = try AccessTable()
        XCTAssertEqual(table.rules.map(\.id), ["own-agency", "idva-referral", "coordinator", "in-session", "ig-audit", "agenda-pack", "meeting-pack", "minutes-pack"])
        var checked = 0, allowed = 0, problems: [String] = [], reasons: [String: Int] = [:]
        for (roles, maracWide) in Self.roleSets { for agency in ReaderAgency.allCases {
            for invited in [false, true] { for declared in [false, true] { for state in MeetingState.allCases {
                for kind in Self.kinds { for onAgenda in [false, true] { for given in Given.allCases { for superseded in [false, true] {
                    for referralBases in kind == "referral" ? Self.referralBases : [[]] {
                        let readerAgency = Self.agencies[agency.rawValue]!
                        let principal = Principal(uid: 1, name: "Reader", agency: readerAgency, roles: roles, scope: maracWide ? .marac : nil)
                        let reader = AccessPolicy.Reader(principal: principal, agencyKind: AgencyKind(rawValue: readerAgency))
                        let document = AccessPolicy.Document(id: "doc_1", agency: "police", kind: kind,
                                                             caseNumber: kind == "quarantine" ? nil : "M-2026-0001",
                                                             referralBases: referralBases, superseded: superseded)
                        let meetings = onAgenda && document.caseNumber != nil
                            ? [AccessPolicy.Meeting(id: "MTG-2026-12-10", state: state, readerInvited: invited, readerDeclared: invited && declared)]
                            : []
                        let request = given.request
                        let s = AccessTable.Situation(
                            purpose: .read, roles: roles, maracWide: maracWide, readerAgency: agency.rawValue, kind: kind, superseded: superseded,
                            referralBases: referralBases, onAgenda: !meetings.isEmpty, invited: !meetings.isEmpty && invited,
                            declared: !meetings.isEmpty && invited && declared, state: state, bases: request.bases, reason: request.reason)
                        let expect = table.answer(s)
                        let decision = AccessPolicy.decide(reader, document, meetings: meetings, request: request, registry: .builtIn)
                        let entry = AccessLog.entry(decision, reader: principal, document: document, request: request, time: Self.time)
                        checked += 1
                        if Self.answer(decision) != expect { problems.append("\(s): policy \(decision), tables \(expect)"); continue }
                        let want: LogEntry
                        switch expect {
                        case let .allow(rule, bases):
                            allowed += 1
                            let operation: LogEntry.Operation = readerAgency == "police" ? .consultation : .disclosure
                            want = LogEntry(time: Self.time, operation: operation, actor: principal.actor, records: ["doc_1"],
                                            case: document.caseNumber, meeting: rule == "in-session" ? "MTG-2026-12-10" : nil,
                                            recipients: operation == .disclosure ? [readerAgency] : [], bases: bases,
                                            justification: request.reason.isEmpty ? AccessLog.justification("", rule: rule) : request.reason,
                                            details: ["rule": rule, "kind": kind, "owner": "police"])
                        case let .refuse(reason):
                            reasons[reason, default: 0] += 1
                            want = LogEntry(time: Self.time, operation: .refusal, actor: principal.actor, records: ["doc_1"],
                                            case: document.caseNumber, meeting: nil, recipients: [], bases: request.bases,
                                            justification: request.reason.isEmpty ? "no reason given" : request.reason,
                                            details: ["rule": reason, "kind": kind, "owner": "police"])
                        }
                        if entry != want { problems.append("\(s): entry \(entry), want \(want)") }
                    }
                } } } }
            } } }
        } }
        XCTAssertEqual(problems.prefix(20).joined(separator: "\n"), "", "\(problems.count) disagreements")
        XCTAssertEqual(checked, 7 * 3 * 2 * 2 * 4 * 2 * 6 * 2 * (3 + 6))
        AccessTable.assertEachOccurred(["superseded", "basis-required", "reason-required", "basis-unknown", "basis-not-for-sharing",
                                        "audit-basis-required", "referral-bases-unknown", "iswc-author-coordinator-ig-only", "quarantine-owner-ig-only",
                                        "action-update-owner-coordinator-ig-only", "case-not-on-an-agenda", "agency-not-invited", "declaration-not-made", "meeting-not-in-session"],
                                       in: reasons, "person's read")
        XCTAssertGreaterThan(allowed, 1_000, "the matrix exercises allows too")
        print("access matrix, person reads: \(checked) combinations, \(allowed) allowed, \(checked - allowed) refused, 0 disagreements")
    }

    func testEveryPackReadAgreesWithTheTablesAndLogsExactly() throws {
        let table = try AccessTable()
        var checked = 0, allowed = 0, problems: [String] = [], reasons: [String: Int] = [:]
        for kind in PackKind.allCases { for (roles, maracWide) in Self.roleSets { for form in Self.kinds { for superseded in [false, true] {
            for state in MeetingState.allCases { for facts in 0..<32 { for referralBases in Self.referralBases.prefix(2) {
                let fact = { (bit: Int) in facts & (1 << bit) != 0 }
                let principal = Principal(uid: 1, name: "Sender", agency: "idva", roles: roles, scope: maracWide ? .marac : nil)
                let pack = AccessPolicy.Pack(kind: kind, meeting: "MTG-2026-12-10", meetingState: state, recipient: "health", version: 2,
                                             certificateSHA256: String(repeating: "ab", count: 32), recorded: fact(0), recipientInvited: fact(1),
                                             recipientDeclared: fact(2), certificateRegistered: fact(3), caseOnAgenda: fact(4))
                let document = AccessPolicy.Document(id: "doc_1", agency: "police", kind: form, caseNumber: form == "quarantine" ? nil : "M-2026-0001",
                                                     referralBases: form == "referral" ? referralBases : [], superseded: superseded)
                let request = AccessPolicy.Request(bases: ["marac-isp"], reason: "", purpose: .pack(pack))
                let s = AccessTable.Situation(
                    purpose: AccessTable.Purpose(kind), roles: roles, maracWide: maracWide, readerAgency: "other", kind: form,
                    superseded: superseded, referralBases: document.referralBases, state: state, recorded: fact(0), recipientInvited: fact(1),
                    recipientDeclared: fact(2), certificateRegistered: fact(3), caseOnPackAgenda: fact(4), bases: request.bases)
                let expect = table.answer(s)
                let decision = AccessPolicy.decide(AccessPolicy.Reader(principal: principal, agencyKind: .idva), document, meetings: [],
                                                   request: request, registry: .builtIn)
                let entry = AccessLog.entry(decision, reader: principal, document: document, request: request, time: Self.time)
                checked += 1
                if Self.answer(decision) != expect { problems.append("\(s): policy \(decision), tables \(expect)"); continue }
                let file = ["agenda": "MTG-2026-12-10-v2.p7m", "meeting": "MTG-2026-12-10.p7m", "minutes": "MTG-2026-12-10-minutes-v2.p7m"][kind.rawValue]!
                var details = ["kind": form, "owner": "police", "pack": file, "version": "2", "certificateSHA256": pack.certificateSHA256]
                let want: LogEntry
                switch expect {
                case let .allow(rule, bases):
                    allowed += 1
                    details["rule"] = rule
                    want = LogEntry(time: Self.time, operation: .disclosure, actor: principal.actor, records: ["doc_1"], case: document.caseNumber,
                                    meeting: "MTG-2026-12-10", recipients: ["health"], bases: bases, justification: "\(rule) \(file) for health",
                                    details: details)
                case let .refuse(reason):
                    reasons[reason, default: 0] += 1
                    details["rule"] = reason
                    want = LogEntry(time: Self.time, operation: .refusal, actor: principal.actor, records: ["doc_1"], case: document.caseNumber,
                                    meeting: nil, recipients: [], bases: [], justification: "pack read refused", details: details)
                }
                if entry != want { problems.append("\(s): entry \(entry), want \(want)") }
            } } }
        } } } }
        XCTAssertEqual(problems.prefix(20).joined(separator: "\n"), "", "\(problems.count) disagreements")
        XCTAssertEqual(checked, 3 * 7 * 7 * 2 * 4 * 32 * 2)
        AccessTable.assertEachOccurred(["pack-not-recorded", "pack-not-invited", "pack-certificate-changed", "pack-not-on-agenda",
                                        "pack-not-coordinator", "pack-meeting-state", "pack-not-declared", "pack-not-attended", "pack-document-kind", "superseded"],
                                       in: reasons, "pack read")
        // Agenda: the coordinator, a current referral, two states, declared or not, two sets
        // of referral bases (8); meeting: every sender, current referral or research, in
        // session, two sets of bases (28); minutes: the coordinator, an action or a plan part,
        // closed, two sets of bases (4).
        XCTAssertEqual(allowed, 40)
        print("access matrix, pack reads: \(checked) combinations, \(allowed) allowed, \(checked - allowed) refused, 0 disagreements")
    }

    func testAReadThatDoesNotSayWhoReadsIsForNoRow() throws {
        let table = try AccessTable()
        for kind in Self.kinds { for superseded in [false, true] { for (roles, maracWide) in Self.roleSets {
            let principal = Principal(uid: 1, name: "Reader", agency: "police", roles: roles, scope: maracWide ? .marac : nil)
            let document = AccessPolicy.Document(id: "doc_1", agency: "police", kind: kind, caseNumber: "M-2026-0001", superseded: superseded)
            let request = AccessPolicy.Request(bases: ["audit"], reason: "audit", purpose: .unattributed)
            let s = AccessTable.Situation(purpose: .unattributed, roles: roles, maracWide: maracWide, kind: kind, superseded: superseded,
                                          bases: request.bases, reason: request.reason)
            let decision = AccessPolicy.decide(AccessPolicy.Reader(principal: principal, agencyKind: .police), document, meetings: [],
                                               request: request, registry: .builtIn)
            XCTAssertEqual(Self.answer(decision), table.answer(s), "\(s)")
            XCTAssertEqual(table.answer(s), .refuse("no-facts"))
        } } }
    }
}
