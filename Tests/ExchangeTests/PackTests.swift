@testable import Exchange
import Foundation
import Vault
import XCTest

/// Agenda and meeting packs as Exchange prepares them (`docs/packs.md`): who gets one,
/// what is in it, and the disclosure entries committed before any referral is decrypted.
/// Signing, encryption and the files are the daemon's (`PackEndToEndTests`).
final class PackTests: XCTestCase {
    var fixture: MaracFixture!
    var first: AcceptedForm!, meeting: Meeting!
    let coordinator = MaracFixture.coordinator
    let chair = Principal(uid: 1005, name: "Chair", agency: "police", roles: [.chair])
    let health = Principal(uid: 1003, name: "Health rep", agency: "health", roles: [.representative])
    let police = Principal(uid: 1002, name: "Police rep", agency: "police", roles: [.representative])

    override func setUpWithError() throws {
        fixture = try MaracFixture(policy: MaracAccessPolicy(registry: .builtIn))
        first = try fixture.accept(fixture.fixture("valid/referral-police.json"))
        meeting = try fixture.schedule(first.caseNumber, inviting: ["police", "health", "children"])
        for agency in ["police", "health", "children"] { try register(agency) }
    }
    override func tearDown() { fixture.cleanUp() }

    private var logSize: Int { (try? fixture.vault.treeHead().size) ?? -1 }

    private func register(_ agency: String, notBefore: Date? = nil, days: Int = 365) throws {
        let key = try PrivateKey.generateP256()
        let certificate = try Certificate.selfSigned(commonName: "\(agency) recipient", key: key, validityDays: days,
                                                     notBefore: notBefore ?? fixture.clock.now - 3_600, usage: .recipient)
        try fixture.marac.agencies.setCertificate(agency, certificate.derRepresentation)
    }

    private func content(_ pack: PreparedPack) throws -> JSONValue { try JSONParser().parse(pack.content).value }

    private func entries(since start: Int) throws -> [LogEntry] { try (start..<logSize).map { try fixture.logEntry($0) } }

    // MARK: - Agenda

    func testTheAgendaNamesEachCaseForEveryInvitedAgencyAndLogsOneDisclosureEach() throws {
        let start = logSize
        let issue = try fixture.marac.sendAgenda(meeting.id, by: coordinator)
        XCTAssertEqual(issue.version, 1)
        XCTAssertEqual(issue.meeting.state, .agendaIssued)
        XCTAssertEqual(issue.daysAhead, 20, "sent 2026-11-20 for 2026-12-10")
        XCTAssertEqual(issue.packs.map(\.agency), ["children", "health", "police"])
        XCTAssertEqual(issue.packs.map(\.fileName), Array(repeating: "\(meeting.id)-v1.p7m", count: 3))

        let agenda = try content(issue.packs[1])
        XCTAssertEqual(agenda["type"], "agenda")
        XCTAssertEqual(agenda["recipient"], "health")
        XCTAssertEqual(agenda["meeting"]?.string, meeting.id)
        let entry = try XCTUnwrap(agenda["cases"]?.array?.first)
        XCTAssertEqual(entry["case"]?.string, first.caseNumber?.description)
        XCTAssertEqual(entry["referringAgency"], "police")
        XCTAssertEqual(entry["criteria"], .array(["visible-high-risk"]))
        XCTAssertEqual(entry["repeat"], .bool(false))
        XCTAssertEqual(entry["victim"]?["name"], "Tamsin Quinn")
        XCTAssertEqual(entry["victim"]?["dob"], "1993-11-13")
        XCTAssertNotNil(entry["victim"]?["address"])
        XCTAssertNil(entry["victim"]?["aliases"], "absent, not empty, when the referral gives none")
        XCTAssertEqual(entry["perpetrators"]?.array?.count, 1)
        // Identifying details only: no risk detail, no contact detail.
        let text = String(decoding: issue.packs[1].content, as: UTF8.self)
        for withheld in ["dash", "phone", "afraidOf", "safeToTalkTo", "relationshipToVictim", "contacts", "diversity"] {
            XCTAssertFalse(text.contains("\"\(withheld)\""), withheld)
        }

        let logged = try entries(since: start)
        XCTAssertEqual(logged.map(\.operation), [.meeting, .disclosure, .disclosure, .disclosure])
        XCTAssertEqual(logged[0].details["version"], "1")
        for (entry, agency) in zip(logged.dropFirst(), ["children", "health", "police"]) {
            XCTAssertEqual(entry.recipients, [agency])
            XCTAssertEqual(entry.records, [first.document])
            XCTAssertEqual(entry.case, first.caseNumber?.description)
            XCTAssertEqual(entry.meeting, meeting.id)
            XCTAssertEqual(entry.bases, ["marac-isp", "consent"], "marac-isp and the referral's own basis")
            XCTAssertEqual(entry.details["pack"], "\(meeting.id)-v1.p7m")
            XCTAssertEqual(entry.details["rule"], "agenda-pack")
            XCTAssertEqual(entry.actor.person, coordinator.name)
        }
    }

    func testAResendAfterALateCaseIsANewVersionWithIt() throws {
        _ = try fixture.marac.sendAgenda(meeting.id, by: coordinator)
        let late = try fixture.accept(fixture.referral(name: "Late Case", dob: "1980-02-02"))
        _ = try fixture.marac.meetings.addCase(meeting.id, try XCTUnwrap(late.caseNumber), by: coordinator)
        let start = logSize
        let resend = try fixture.marac.sendAgenda(meeting.id, by: coordinator)
        XCTAssertEqual(resend.version, 2)
        XCTAssertEqual(resend.packs.first?.fileName, "\(meeting.id)-v2.p7m")
        XCTAssertEqual(try content(resend.packs[0])["cases"]?.array?.count, 2)
        let logged = try entries(since: start)
        XCTAssertEqual(logged.filter { $0.operation == .disclosure }.count, 6, "two cases to three agencies")
        XCTAssertEqual(logged[0].details["from"], "agenda-issued")
    }

    func testAnInvitedAgencyWithoutAValidCertificateStopsTheAgendaAndNothingIsRecorded() throws {
        // As if children had never registered one: written as the registry writes, an
        // authenticated fact recorded by its entry (a raw UPDATE would be refused as tampering).
        try fixture.vault.transaction { tx in
            try tx.changeFact("x_agency", [.text("children")], "UPDATE x_agency SET certificate = NULL WHERE id = 'children'", [])
            try tx.append(LogEntry(time: LogEntry.timestamp(tx.now), operation: .registry, actor: .localOperator, records: [], case: nil,
                                   meeting: nil, recipients: [], bases: [], justification: "test: certificate removed", details: [:]))
        }
        let before = logSize
        XCTAssertThrowsError(try fixture.marac.sendAgenda(meeting.id, by: coordinator)) {
            XCTAssertEqual($0 as? ExchangeError, .noRecipientCertificate(agency: "children", reason: "has no certificate"))
        }
        try register("children", days: 5)
        let expiry = LogEntry.timestamp(fixture.clock.now - 3_600 + 86_400 * 5)
        fixture.clock.advance(days: 6)
        XCTAssertThrowsError(try fixture.marac.sendAgenda(meeting.id, by: coordinator)) {
            XCTAssertEqual($0 as? ExchangeError, .noRecipientCertificate(agency: "children", reason: "certificate expired \(expiry)"))
            XCTAssertEqual("\($0)", "agency children certificate expired \(expiry): register a valid one with maracctl agency set-cert")
        }
        XCTAssertEqual(logSize, before + 1, "only the set-cert registry entry: no disclosure, no meeting entry")
        XCTAssertEqual(try fixture.marac.meetings.get(meeting.id).state, .scheduled)
        XCTAssertThrowsError(try fixture.marac.sendAgenda(meeting.id, by: police)) {
            XCTAssertEqual($0 as? ExchangeError, .notPermitted("only the coordinator may send the agenda"))
        }
    }

    // MARK: - Meeting packs

    func testMeetingPacksGoToDeclaredAgenciesOnlyAndALateDeclarationGetsItsPack() throws {
        let research = try fixture.accept(fixture.fixture("valid/research-health-for-first-case.json"))
        let iswc = try fixture.accept(fixture.fixture("valid/iswc-health.json"))
        _ = try fixture.marac.sendAgenda(meeting.id, by: coordinator)
        _ = try fixture.marac.meetings.declare(meeting.id, person: health.name, agency: "health", statement: [1], by: health)
        XCTAssertTrue(try fixture.marac.meetingPacks(meeting.id, by: chair).packs.isEmpty, "nothing before the meeting sits")
        _ = try fixture.marac.meetings.advance(meeting.id, to: .inSession, by: chair)

        let start = logSize
        let opened = try fixture.marac.meetingPacks(meeting.id, by: chair)
        XCTAssertEqual(opened.packs.map(\.agency), ["health"], "police and children have not declared")
        let pack = try content(opened.packs[0])
        XCTAssertEqual(pack["type"], "meeting-pack")
        let documents = try XCTUnwrap(pack["documents"]?.array)
        XCTAssertEqual(documents.compactMap { $0["document"]?.string }, [first.document, research.document])
        XCTAssertFalse(String(decoding: opened.packs[0].content, as: UTF8.self).contains(iswc.document), "never an iswc form")
        XCTAssertEqual(documents[1]["form"]?["agency"], "health")
        let recorded = try entries(since: start)
        XCTAssertEqual(recorded.first?.details["action"], "record-packs", "recorded before any read, naming the certificate")
        XCTAssertEqual(recorded.first?.details["certificates"]?.hasPrefix("health="), true)
        XCTAssertEqual(recorded.first?.facts?.map(\.table), ["x_pack"])
        let logged = Array(recorded.dropFirst())
        XCTAssertEqual(logged.map(\.operation), [.disclosure, .disclosure])
        XCTAssertEqual(logged.map(\.records), [[first.document], [research.document]])
        XCTAssertEqual(logged.map(\.bases), [["marac-isp"], ["marac-isp"]])
        XCTAssertTrue(logged.allSatisfy { $0.recipients == ["health"] && $0.details["rule"] == "meeting-pack" })

        // Recorded but unwritten: due again; written: not due again.
        XCTAssertEqual(try fixture.marac.meetingPacks(meeting.id, by: chair).packs.map(\.agency), ["health"])
        try fixture.marac.packsWritten([(opened.packs[0], Array(repeating: 7, count: 32))])
        XCTAssertTrue(try fixture.marac.meetingPacks(meeting.id, by: chair).packs.isEmpty)

        _ = try fixture.marac.meetings.declare(meeting.id, person: police.name, agency: "police", statement: [1], by: police)
        XCTAssertEqual(try fixture.marac.meetingPacks(meeting.id, only: "police", by: police).packs.map(\.agency), ["police"])
    }

    func testClosingRevokesEachMeetingPackInTheCloseAndRecordsTheOutboxWorkUntilDone() throws {
        _ = try fixture.marac.sendAgenda(meeting.id, by: coordinator)
        _ = try fixture.marac.meetings.declare(meeting.id, person: health.name, agency: "health", statement: [1], by: health)
        _ = try fixture.marac.meetings.advance(meeting.id, to: .inSession, by: chair)
        let packs = try fixture.marac.meetingPacks(meeting.id, by: chair).packs
        try fixture.marac.packsWritten([(packs[0], Array(repeating: 0xab, count: 32))])
        XCTAssertTrue(try fixture.marac.closingWork(meeting: meeting.id).isEmpty, "nothing while the meeting sits")
        let start = logSize
        _ = try fixture.marac.meetings.advance(meeting.id, to: .closed, by: chair)
        XCTAssertEqual(try entries(since: start).map { $0.details["action"] }, ["advance", "revoke-pack", "close-recorded"],
                       "the close, its revocation and its outbox work: one transaction")
        let work = try fixture.marac.closingWork(meeting: meeting.id)
        XCTAssertEqual(work.map(\.agency), meeting.invited.sorted())
        XCTAssertTrue(work.allSatisfy(\.removePacks))
        let notices = work.compactMap(\.notice)
        XCTAssertEqual(notices.map(\.agency), ["health"])
        XCTAssertEqual(notices[0].fileName, "\(meeting.id).revoked.p7m")
        let notice = try JSONParser().parse(notices[0].content).value
        XCTAssertEqual(notice["type"], "revocation")
        XCTAssertEqual(notice["packSHA256"]?.string, String(repeating: "ab", count: 32))
        XCTAssertEqual(try fixture.marac.closingWork(meeting: meeting.id).compactMap(\.notice).map(\.content), notices.map(\.content),
                       "the same notice at every try")

        // Each step is logged once it has happened, and is then no longer due.
        let health = try XCTUnwrap(work.first { $0.agency == "health" })
        let done = logSize
        try fixture.marac.noticeWritten(health, sha256: Array(repeating: 1, count: 32))
        try fixture.marac.noticeWritten(health, sha256: Array(repeating: 1, count: 32))
        XCTAssertEqual(try entries(since: done).map { $0.details["action"] }, ["notice-written"], "once")
        let left = try fixture.marac.closingWork(meeting: meeting.id)
        XCTAssertNil(left.first { $0.agency == "health" }?.notice)
        for item in left { try fixture.marac.packsRemoved(item, files: 1) }
        XCTAssertTrue(try fixture.marac.closingWork(meeting: meeting.id).isEmpty)
        XCTAssertTrue(try fixture.marac.closingWork().isEmpty)
    }

    // MARK: - The policy

    func testAPackReadTheRecordsDoNotBackIsRefusedAndLogged() throws {
        let context = ["uid": "1001", "roles": "coordinator", "pack": "agenda", "meeting": meeting.id, "recipient": "health", "version": "1"]
        let request = AccessRequest(actor: coordinator.name, agency: coordinator.agency, bases: [], reason: "", context: context)
        let before = logSize
        XCTAssertThrowsError(try fixture.vault.readLogged(first.document, as: request)) {
            XCTAssertEqual($0 as? VaultError, .accessDenied(document: first.document, reason: "pack-not-recorded"))
        }
        XCTAssertEqual(logSize, before + 1)
        XCTAssertEqual(try fixture.logEntry(before).operation, .refusal)
        _ = try fixture.marac.sendAgenda(meeting.id, by: coordinator)
        var forged = context
        forged["recipient"] = "housing"
        XCTAssertThrowsError(try fixture.vault.readLogged(first.document, as: AccessRequest(actor: coordinator.name, agency: coordinator.agency,
                                                                                        bases: [], reason: "", context: forged))) {
            XCTAssertEqual($0 as? VaultError, .accessDenied(document: first.document, reason: "pack-not-recorded"))
        }
    }
}
