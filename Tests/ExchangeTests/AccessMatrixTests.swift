import Exchange
import Foundation
import XCTest

/// Every combination of role × the reader's agency (the sender's, another, the Idva) ×
/// invited or not × declared or not × meeting state × form kind × case on the agenda or
/// not × what the reader gives (a sharing basis, `audit`, nothing), checked against the
/// rules in `Fixtures/access-rules.tsv`: the same allow or refusal, and the exact log
/// entry. Zero unexpected allows.
final class AccessMatrixTests: XCTestCase {
    struct TableRule {
        let id: String, who: String, reads: Set<String>, corrected: Bool, when: String, basis: String
    }

    static func table() throws -> [TableRule] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "access-rules", withExtension: "tsv", subdirectory: "Fixtures"))
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }.dropFirst()
        return lines.map { line in
            let cells = line.split(separator: "\t").map(String.init)
            return TableRule(id: cells[0], who: cells[1], reads: Set(cells[2].components(separatedBy: ", ")), corrected: cells[3] == "yes",
                             when: cells[4], basis: cells[5])
        }
    }

    enum ReaderAgency: CaseIterable { case sender, other, idva }
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

    struct Combination: CustomStringConvertible {
        var roles: [Principal.Role], maracWide: Bool, agency: ReaderAgency, invited: Bool, declared: Bool
        var state: MeetingState, kind: String, onAgenda: Bool, given: Given
        var description: String {
            "\(roles.map(\.rawValue))\(maracWide ? "/marac" : "") \(agency) invited=\(invited) declared=\(declared) "
                + "\(state.rawValue) \(kind) onAgenda=\(onAgenda) \(given)"
        }
    }

    static let roleSets: [([Principal.Role], Bool)] = [
        ([.coordinator], false), ([.chair], false), ([.representative], false), ([.igOfficer], false), ([.igOfficer], true),
        ([.keyCustodian], false), ([.chair, .representative], false),
    ]

    /// The table's answer: (rule, bases) of the first rule that fits and whose basis is given.
    static func expected(_ c: Combination, _ table: [TableRule], request: AccessPolicy.Request,
                         referralBases: [String] = ["consent"], superseded: Bool = false) -> (rule: String, bases: [String])? {
        let registry = LegalBasisRegistry.builtIn
        let hasReason = !request.reason.isEmpty
        for rule in table where rule.reads.contains(c.kind) && (!superseded || rule.corrected) {
            let fits: Bool
            switch rule.who {
            case "anyone of the agency that sent it": fits = c.agency == .sender
            case "anyone of the Idva agency": fits = c.agency == .idva
            case "the coordinator": fits = c.roles.contains(.coordinator)
            case "anyone of an invited agency who has declared": fits = c.invited && c.declared
            case "an IG officer of the agency that sent it, or the Marac-wide IG officer":
                fits = c.roles.contains(.igOfficer) && (c.maracWide || c.agency == .sender)
            default: XCTFail("unknown who: \(rule.who)"); fits = false
            }
            let now = rule.when == "always" || (c.onAgenda && c.state == .inSession)
            guard fits && now else { continue }
            switch rule.basis {
            case "the reader's":
                if !request.bases.isEmpty && hasReason && request.bases.allSatisfy({ registry.allows($0, for: .disclosure) }) {
                    return (rule.id, request.bases)
                }
            case "the referral's own": if !referralBases.isEmpty { return (rule.id, referralBases) }
            case "marac-isp": return (rule.id, ["marac-isp"])
            case "audit": if request.bases.contains("audit") && hasReason { return (rule.id, request.bases) }
            default: XCTFail("unknown basis: \(rule.basis)")
            }
        }
        return nil
    }

    func testEveryCombinationAgreesWithTheTableAndLogsExactly() throws {
        let table = try Self.table()
        XCTAssertEqual(table.map(\.id), ["own-agency", "idva-referral", "coordinator", "in-session", "ig-audit"])
        var checked = 0, allowed = 0, unexpectedAllows: [String] = [], unexpectedRefusals: [String] = [], wrongEntries: [String] = []
        for (roles, maracWide) in Self.roleSets {
            for agency in ReaderAgency.allCases {
                for invited in [false, true] { for declared in [false, true] {
                    for state in MeetingState.allCases { for kind in ["referral", "research", "iswc", "quarantine"] {
                        for onAgenda in [false, true] { for given in Given.allCases {
                            let c = Combination(roles: roles, maracWide: maracWide, agency: agency, invited: invited, declared: declared,
                                                state: state, kind: kind, onAgenda: onAgenda, given: given)
                            let readerAgency = ["sender": "police", "other": "health", "idva": "idva"]["\(agency)"]!
                            let principal = Principal(uid: 1, name: "Reader", agency: readerAgency, roles: roles, scope: maracWide ? .marac : nil)
                            let reader = AccessPolicy.Reader(principal: principal, agencyKind: AgencyKind(rawValue: readerAgency))
                            let document = AccessPolicy.Document(id: "doc_1", agency: "police", kind: kind,
                                                                 caseNumber: kind == "quarantine" ? nil : "M-2026-0001",
                                                                 referralBases: kind == "referral" ? ["consent"] : [])
                            let meetings = onAgenda && document.caseNumber != nil
                                ? [AccessPolicy.Meeting(id: "MTG-2026-12-10", state: state, readerInvited: invited, readerDeclared: invited && declared)]
                                : []
                            let request = given.request
                            var effective = c
                            effective.onAgenda = !meetings.isEmpty
                            effective.invited = invited && !meetings.isEmpty
                            effective.declared = invited && declared && !meetings.isEmpty
                            let expect = Self.expected(effective, table, request: request)
                            let decision = AccessPolicy.decide(reader, document, meetings: meetings, request: request, registry: .builtIn)
                            let entry = AccessLog.entry(decision, reader: principal, document: document, request: request, time: "2026-12-10T10:00:00Z")
                            checked += 1
                            switch (decision, expect) {
                            case let (.allow(rule, operation, bases, meeting), expect?):
                                allowed += 1
                                let operationExpected: LogEntry.Operation = readerAgency == "police" ? .consultation : .disclosure
                                let want = LogEntry(time: "2026-12-10T10:00:00Z", operation: operationExpected,
                                                    actor: .init(person: "Reader", agency: readerAgency), records: ["doc_1"],
                                                    case: document.caseNumber, meeting: expect.rule == "in-session" ? "MTG-2026-12-10" : nil,
                                                    recipients: operationExpected == .disclosure ? [readerAgency] : [], bases: expect.bases,
                                                    justification: request.reason.isEmpty ? AccessLog.justification("", rule: expect.rule) : request.reason,
                                                    details: ["rule": expect.rule, "kind": kind, "owner": "police"])
                                if rule != expect.rule || operation != operationExpected || bases != expect.bases
                                    || meeting != want.meeting || entry != want {
                                    wrongEntries.append("\(c): got \(rule) \(entry)")
                                }
                            case (.allow, nil): unexpectedAllows.append("\(c)")
                            case let (.deny(rule), expect?): unexpectedRefusals.append("\(c): refused (\(rule)), table allows under \(expect.rule)")
                            case let (.deny(rule), nil):
                                if entry.operation != .refusal || !entry.recipients.isEmpty || entry.records != ["doc_1"]
                                    || entry.details["rule"] != rule || rule.isEmpty || entry.bases != request.bases {
                                    wrongEntries.append("\(c): refusal entry \(entry)")
                                }
                            }
                        } }
                    } }
                } }
            }
        }
        XCTAssertEqual(checked, 7 * 3 * 2 * 2 * 4 * 4 * 2 * Given.allCases.count)
        XCTAssertEqual(unexpectedAllows, [], "\(unexpectedAllows.count) unexpected allows")
        XCTAssertEqual(unexpectedRefusals, [], "\(unexpectedRefusals.count) unexpected refusals")
        XCTAssertEqual(wrongEntries, [])
        XCTAssertGreaterThan(allowed, 500, "the matrix exercises allows too")
        print("access matrix: \(checked) combinations, \(allowed) allowed, \(checked - allowed) refused, 0 unexpected")
    }
}
