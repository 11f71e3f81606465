@testable import Exchange
import Foundation
import Vault
import XCTest

/// The access matrix against the **installed** policy on a real vault (issue 21, point 2):
/// real meetings in every state, invitations and declarations made through Exchange, real
/// documents (a referral taken through intake and its correction, research, iswc and
/// quarantine forms, referrals under without-consent bases and under none), every read through `Marac.read` (the vault's
/// one way to plaintext) and compared with the table a person can read
/// (`Fixtures/access-rules.tsv`): the same allow or refusal, the exact refusal rule for
/// the refusals the table names, and the committed log entry.
final class AccessMatrixInstalledTests: XCTestCase {
    var fixture: MaracFixture!
    let coordinator = MaracFixture.coordinator
    let chair = Principal(uid: 1005, name: "Chair", agency: "police", roles: [.chair])

    override func setUpWithError() throws {
        fixture = try MaracFixture(policy: MaracAccessPolicy(registry: .builtIn))
    }
    override func tearDown() { fixture.cleanUp() }

    /// A document of `kind` owned by police, bound to `number` (none for quarantine), put
    /// as intake would store it.
    func put(_ kind: String, case number: String?, bases: [String]? = nil) throws -> String {
        var metadata: [String: String] = [:]
        if let number { metadata["case"] = number }
        if let bases { metadata["bases"] = bases.joined(separator: ",") }
        return try fixture.vault.transaction { tx in
            try tx.put(NewDocument(content: SecretBytes(copying: Array(#"{"kind":"\#(kind)"}"#.utf8)), agency: "police", kind: kind, metadata: metadata))
        }
    }

    struct Setting: CustomStringConvertible {
        let state: MeetingState, invited: Bool, declared: Bool, onAgenda: Bool
        var description: String { "\(state.rawValue) invited=\(invited) declared=\(declared) onAgenda=\(onAgenda)" }
    }

    func testTheInstalledPolicyOnARealVaultAgreesWithTheTable() throws {
        let table = try AccessMatrixTests.table()
        var settings: [Setting] = []
        for state in MeetingState.allCases { for invited in [false, true] { for declared in [false, true] { for onAgenda in [false, true] {
            settings.append(Setting(state: state, invited: invited, declared: declared, onAgenda: onAgenda))
        } } } }
        let quarantine = try put("quarantine", case: nil)
        var checked = 0, allowed = 0, refusalsByRule: [String: Int] = [:]
        var problems: [String] = []
        for (index, setting) in settings.enumerated() {
            // A case of its own, with its meeting moved to the state, as the coordinator would.
            let referral = try fixture.accept(fixture.referral(name: "Matrix Victim \(index)", dob: "1990-01-01"))
            let number = try XCTUnwrap(referral.caseNumber).description
            let meeting = try fixture.marac.meetings.create(date: CalendarDate("2026-12-10")!, by: coordinator)
            if setting.onAgenda { _ = try fixture.marac.meetings.addCase(meeting.id, CaseNumber(number)!, by: coordinator) }
            if setting.invited {
                _ = try fixture.marac.meetings.invite(meeting.id, agencies: ["police", "health", "idva"], by: coordinator)
                if setting.declared {
                    for agency in ["police", "health", "idva"] {
                        _ = try fixture.marac.meetings.declare(meeting.id, person: "Reader", agency: agency, statement: [1], by: chair)
                    }
                }
            }
            var state = MeetingState.scheduled
            while state != setting.state, let next = state.next {
                _ = try fixture.marac.meetings.advance(meeting.id, to: next, by: chair)
                state = next
            }
            // The first referral corrected by police (the correction is the case's referral now).
            let corrected = try fixture.accept(fixture.referral(name: "Matrix Victim \(index)", dob: "1990-01-01",
                                                                edits: [("victim.address", "1 Corrected Road"), ("supersedes", referral.document)]))
            let documents: [(id: String, kind: String, referralBases: [String], superseded: Bool)] = [
                (referral.document, "referral", ["consent"], true),
                (corrected.document, "referral", ["consent"], false),
                (try put("referral", case: number, bases: ["ukgdpr-9-2-g", "dpa-s1-p18"]), "referral", ["ukgdpr-9-2-g", "dpa-s1-p18"], false),
                (try put("referral", case: number), "referral", [], false),
                (try put("research", case: number), "research", [], false),
                (try put("iswc", case: number), "iswc", [], false),
                (quarantine, "quarantine", [], false),
            ]
            var reads: [(request: ReadRequest, expect: (rule: String, bases: [String])?, what: String, kind: String)] = []
            for (roles, maracWide) in AccessMatrixTests.roleSets { for agency in AccessMatrixTests.ReaderAgency.allCases {
                for document in documents { for given in AccessMatrixTests.Given.allCases {
                    let readerAgency = ["sender": "police", "other": "health", "idva": "idva"]["\(agency)"]!
                    let principal = Principal(uid: 1, name: "Reader", agency: readerAgency, roles: roles, scope: maracWide ? .marac : nil)
                    let onAgenda = setting.onAgenda && document.kind != "quarantine"
                    let c = AccessMatrixTests.Combination(roles: roles, maracWide: maracWide, agency: agency,
                                                          invited: onAgenda && setting.invited, declared: onAgenda && setting.invited && setting.declared,
                                                          state: setting.state, kind: document.kind, onAgenda: onAgenda, given: given)
                    let request = given.request
                    reads.append((ReadRequest(document: document.id, principal: principal, bases: request.bases, reason: request.reason),
                                  AccessMatrixTests.expected(c, table, request: request, referralBases: document.referralBases,
                                                             superseded: document.superseded),
                                  "\(setting) \(c) bases=\(document.referralBases) superseded=\(document.superseded)", document.kind))
                } }
            } }
            let before = try fixture.vault.treeHead().size
            let answers = try fixture.marac.read(reads.map(\.request))
            XCTAssertEqual(try fixture.vault.treeHead().size, before + reads.count, "every read and refusal committed, once")
            for (read, answer) in zip(reads, answers) {
                checked += 1
                switch (answer, read.expect) {
                case let (.success(done), expect?):
                    allowed += 1
                    let entry = done.entry
                    let disclosure = read.request.principal.agency != "police"
                    if entry.details["rule"] != expect.rule || entry.bases != expect.bases || entry.operation != (disclosure ? .disclosure : .consultation)
                        || entry.recipients != (disclosure ? [read.request.principal.agency] : []) || entry.records != [read.request.document]
                        || entry.actor != read.request.principal.actor || (expect.rule == "in-session") != (entry.meeting != nil) {
                        problems.append("\(read.what): allowed as \(entry.details["rule"] ?? "?") \(entry.bases), table \(expect)")
                    }
                case (.success, nil): problems.append("\(read.what): allowed, the table refuses")
                case let (.failure(error), expect?): problems.append("\(read.what): refused (\(error)), the table allows under \(expect.rule)")
                case let (.failure(error), nil):
                    guard case let VaultError.accessDenied(document, rule)? = error as? VaultError, document == read.request.document else {
                        problems.append("\(read.what): failed with \(error), not a logged refusal"); continue
                    }
                    refusalsByRule[rule, default: 0] += 1
                    // The refusal the table names where only one applies.
                    if read.kind == "iswc", !read.request.principal.roles.contains(.coordinator), read.request.principal.agency != "police",
                       !read.request.principal.roles.contains(.igOfficer), rule != "iswc-author-coordinator-ig-only" {
                        problems.append("\(read.what): refused \(rule), not iswc-author-coordinator-ig-only")
                    }
                }
            }
        }
        XCTAssertEqual(problems.prefix(20).joined(separator: "\n"), "", "\(problems.count) disagreements")
        XCTAssertEqual(checked, settings.count * 7 * 3 * 7 * AccessMatrixTests.Given.allCases.count)
        // Every refusal rule the table's bases and facts can produce occurred on the real vault.
        for rule in ["basis-required", "reason-required", "basis-unknown", "basis-not-for-sharing", "audit-basis-required",
                     "referral-bases-unknown", "case-not-on-an-agenda", "agency-not-invited", "declaration-not-made",
                     "meeting-not-in-session", "iswc-author-coordinator-ig-only", "quarantine-owner-ig-only", "superseded"] {
            XCTAssertGreaterThan(refusalsByRule[rule] ?? 0, 0, "no read was refused \(rule): \(refusalsByRule)")
        }
        XCTAssertGreaterThan(allowed, 1_000)
        print("installed access matrix: \(checked) reads on a real vault, \(allowed) allowed, refusals \(refusalsByRule.sorted { $0.key < $1.key })")
    }
}
