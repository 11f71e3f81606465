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
        let table = try AccessTable()
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
                (try put("action", case: number), "action", [], false),
                (try put("plan", case: number), "plan", [], false),
                (try put("action-update", case: number), "action-update", [], false),
            ]
            var reads: [(request: ReadRequest, expect: AccessTable.Answer, what: String)] = []
            for (roles, maracWide) in AccessMatrixTests.roleSets { for agency in AccessMatrixTests.ReaderAgency.allCases {
                for document in documents { for given in AccessMatrixTests.Given.allCases {
                    let readerAgency = AccessMatrixTests.agencies[agency.rawValue]!
                    let principal = Principal(uid: 1, name: "Reader", agency: readerAgency, roles: roles, scope: maracWide ? .marac : nil)
                    let onAgenda = setting.onAgenda && document.kind != "quarantine"
                    let request = given.request
                    let s = AccessTable.Situation(
                        purpose: .read, roles: roles, maracWide: maracWide, readerAgency: agency.rawValue, kind: document.kind,
                        superseded: document.superseded, referralBases: document.referralBases, onAgenda: onAgenda,
                        invited: onAgenda && setting.invited, declared: onAgenda && setting.invited && setting.declared, state: setting.state,
                        bases: request.bases, reason: request.reason)
                    reads.append((ReadRequest(document: document.id, principal: principal, bases: request.bases, reason: request.reason),
                                  table.answer(s), "\(setting) \(s)"))
                } }
            } }
            let before = try fixture.vault.treeHead().size
            let answers = try fixture.marac.read(reads.map(\.request))
            XCTAssertEqual(try fixture.vault.treeHead().size, before + reads.count, "every read and refusal committed, once")
            for (read, answer) in zip(reads, answers) {
                checked += 1
                switch (answer, read.expect) {
                case let (.success(done), .allow(rule, bases)):
                    allowed += 1
                    let entry = done.entry
                    let disclosure = read.request.principal.agency != "police"
                    if entry.details["rule"] != rule || entry.bases != bases || entry.operation != (disclosure ? .disclosure : .consultation)
                        || entry.recipients != (disclosure ? [read.request.principal.agency] : []) || entry.records != [read.request.document]
                        || entry.actor != read.request.principal.actor || (rule == "in-session") != (entry.meeting != nil) {
                        problems.append("\(read.what): allowed as \(entry.details["rule"] ?? "?") \(entry.bases), tables \(read.expect)")
                    }
                case (.success, .refuse): problems.append("\(read.what): allowed, the tables refuse: \(read.expect)")
                case let (.failure(error), .allow(rule, _)): problems.append("\(read.what): refused (\(error)), the tables allow under \(rule)")
                case let (.failure(error), .refuse(reason)):
                    guard case let VaultError.accessDenied(document, rule)? = error as? VaultError, document == read.request.document else {
                        problems.append("\(read.what): failed with \(error), not a logged refusal"); continue
                    }
                    refusalsByRule[rule, default: 0] += 1
                    if rule != reason { problems.append("\(read.what): refused \(rule), the tables say \(reason)") }
                }
            }
        }
        XCTAssertEqual(problems.prefix(20).joined(separator: "\n"), "", "\(problems.count) disagreements")
        XCTAssertEqual(checked, settings.count * 7 * 3 * 10 * AccessMatrixTests.Given.allCases.count)
        // Every refusal rule the table's bases and facts can produce occurred on the real vault.
        AccessTable.assertEachOccurred(["basis-required", "reason-required", "basis-unknown", "basis-not-for-sharing", "audit-basis-required",
                                        "referral-bases-unknown", "case-not-on-an-agenda", "agency-not-invited", "declaration-not-made",
                                        "meeting-not-in-session", "iswc-author-coordinator-ig-only", "quarantine-owner-ig-only",
                                        "action-update-owner-coordinator-ig-only", "superseded"],
                                       in: refusalsByRule, "read")
        XCTAssertGreaterThan(allowed, 1_000)
        print("installed access matrix: \(checked) reads on a real vault, \(allowed) allowed, refusals \(refusalsByRule.sorted { $0.key < $1.key })")
    }

    /// The pack rows and the reads for no row, on a real vault: meetings in every state,
    /// the recipient invited or not and declared or not, the case on the agenda or not,
    /// each pack read for a recorded version and an unrecorded one, to the registered
    /// certificate and to another, by every sender, of a corrected referral, the current
    /// one, research and an iswc form. Each answer is the tables' exactly.
    func testPackReadsAndReadsForNoRowOnARealVaultAgreeWithTheTables() throws {
        let table = try AccessTable()
        let certificate = try Certificate.selfSigned(commonName: "health recipient", key: try PrivateKey.generateP256(), validityDays: 365,
                                                     notBefore: fixture.clock.now - 3_600, usage: .recipient)
        try fixture.marac.agencies.setCertificate("health", certificate.derRepresentation)
        let registered = Hex.encode(certificate.sha256Fingerprint)
        var checked = 0, allowed = 0, refusalsByRule: [String: Int] = [:], problems: [String] = []
        for state in MeetingState.allCases { for invited in [false, true] { for declared in [false, true] { for onAgenda in [false, true] {
            // A case of its own (a case is on one open meeting's agenda at a time).
            let first = try fixture.accept(fixture.referral(name: "Pack Matrix \(checked)", dob: "1990-01-01"))
            let number = try XCTUnwrap(first.caseNumber).description
            let corrected = try fixture.accept(fixture.referral(name: "Pack Matrix \(checked)", dob: "1990-01-01",
                                                                edits: [("victim.address", "1 Corrected Road"), ("supersedes", first.document)]))
            let documents: [(id: String, kind: String, superseded: Bool)] = [
                (first.document, "referral", true), (corrected.document, "referral", false),
                (try put("research", case: number), "research", false), (try put("iswc", case: number), "iswc", false),
                (try put("action", case: number), "action", false), (try put("plan", case: number), "plan", false),
            ]
            let meeting = try fixture.marac.meetings.create(date: CalendarDate("2026-12-10")!, by: coordinator)
            if onAgenda { _ = try fixture.marac.meetings.addCase(meeting.id, CaseNumber(number)!, by: coordinator) }
            if invited {
                _ = try fixture.marac.meetings.invite(meeting.id, agencies: ["health"], by: coordinator)
                if declared { _ = try fixture.marac.meetings.declare(meeting.id, person: "Rep", agency: "health", statement: [1], by: chair) }
            }
            var now = MeetingState.scheduled
            while now != state, let next = now.next {
                _ = try fixture.marac.meetings.advance(meeting.id, to: next, by: chair)
                now = next
            }
            // Version 1 of each pack recorded for health, as sending it would; version 2 never.
            try fixture.vault.transaction { tx in
                for kind in PackKind.allCases { try Marac.record(tx, kind, meeting: meeting.id, agencies: ["health"], version: 1, by: coordinator) }
                try tx.append(.meeting(meeting.id, by: coordinator.actor, recipients: ["health"], at: tx.now, justification: "packs recorded",
                                       details: ["action": "record-packs"]))
            }
            var reads: [(id: String, request: AccessRequest, expect: AccessTable.Answer, what: String)] = []
            for kind in PackKind.allCases { for version in [1, 2] { for rightCertificate in [true, false] {
                for (roles, maracWide) in AccessMatrixTests.roleSets { for document in documents {
                    let sender = Principal(uid: 1, name: "Sender", agency: "idva", roles: roles, scope: maracWide ? .marac : nil)
                    let context = PackRead.context(kind, meeting: meeting.id, recipient: "health", version: version,
                                                   certificateSHA256: rightCertificate ? registered : String(repeating: "0", count: 64), for: sender)
                    let s = AccessTable.Situation(
                        purpose: AccessTable.Purpose(kind), roles: roles, maracWide: maracWide, readerAgency: "other",
                        kind: document.kind, superseded: document.superseded, referralBases: ["consent"], state: state, recorded: version == 1,
                        recipientInvited: invited, recipientDeclared: invited && declared, certificateRegistered: rightCertificate,
                        caseOnPackAgenda: onAgenda, bases: ["marac-isp"])
                    reads.append((document.id, AccessRequest(actor: sender.name, agency: sender.agency, bases: ["marac-isp"], reason: "", context: context),
                                  table.answer(s), "\(s) version=\(version)"))
                } }
            } } }
            // Reads for no row: no reader's roles, and a pack read that does not name its meeting.
            for document in documents {
                var partial = PackRead.context(.meeting, meeting: meeting.id, recipient: "health", version: 1, certificateSHA256: registered, for: coordinator)
                partial["meeting"] = nil
                for context in [[:], partial] {
                    reads.append((document.id, AccessRequest(actor: "Someone", agency: "police", bases: ["audit"], reason: "audit", context: context),
                                  table.answer(AccessTable.Situation(purpose: .unattributed, kind: document.kind, superseded: document.superseded)),
                                  "no row: \(context.keys.sorted())"))
                }
            }
            let before = try fixture.vault.treeHead().size
            let answers = try fixture.vault.readLogged(reads.map { ($0.id, $0.request) })
            XCTAssertEqual(try fixture.vault.treeHead().size, before + reads.count, "every read and refusal committed, once")
            for (read, answer) in zip(reads, answers) {
                checked += 1
                let what = "\(state.rawValue) invited=\(invited) declared=\(declared) onAgenda=\(onAgenda) \(read.what)"
                switch (answer, read.expect) {
                case let (.success(done), .allow(rule, bases)):
                    allowed += 1
                    let entry = try LogEntry(decoding: done.logEntry)
                    if entry.operation != .disclosure || entry.details["rule"] != rule || entry.bases != bases || entry.recipients != ["health"]
                        || entry.meeting != meeting.id || entry.details["certificateSHA256"] != registered || entry.records != [read.id] {
                        problems.append("\(what): allowed as \(entry), tables \(read.expect)")
                    }
                case (.success, .refuse): problems.append("\(what): allowed, the tables refuse: \(read.expect)")
                case let (.failure(error), .allow(rule, _)): problems.append("\(what): refused (\(error)), the tables allow under \(rule)")
                case let (.failure(error), .refuse(reason)):
                    guard case let VaultError.accessDenied(document, rule)? = error as? VaultError, document == read.id else {
                        problems.append("\(what): failed with \(error), not a logged refusal"); continue
                    }
                    refusalsByRule[rule, default: 0] += 1
                    if rule != reason { problems.append("\(what): refused \(rule), the tables say \(reason)") }
                }
            }
        } } } }
        XCTAssertEqual(problems.prefix(20).joined(separator: "\n"), "", "\(problems.count) disagreements")
        XCTAssertEqual(checked, 32 * (3 * 2 * 2 * 7 * 6 + 6 * 2))
        AccessTable.assertEachOccurred(["pack-not-recorded", "pack-not-invited", "pack-certificate-changed", "pack-not-on-agenda",
                                        "pack-not-coordinator", "pack-meeting-state", "pack-not-declared", "pack-not-attended", "pack-document-kind", "superseded",
                                        "no-facts"], in: refusalsByRule, "read")
        XCTAssertGreaterThan(allowed, 0)
        print("installed pack matrix: \(checked) reads on a real vault, \(allowed) allowed, refusals \(refusalsByRule.sorted { $0.key < $1.key })")
    }
}
