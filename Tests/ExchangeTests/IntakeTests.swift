import Exchange
import Foundation
import Vault
import XCTest

/// Forms into the vault: cases opened and numbered, research and iswc attached, the
/// collection logged, duplicates recognised, and nothing written for a refused file.
final class IntakeTests: XCTestCase {
    var fixture: MaracFixture!
    override func setUpWithError() throws { fixture = try MaracFixture() }
    override func tearDown() { fixture.cleanUp() }

    func testAReferralOpensTheFirstCaseOfTheYearAndStoresTheBytesAsSubmitted() throws {
        let submission = try fixture.fixture("valid/referral-police.json")
        let accepted = try fixture.accept(submission)
        XCTAssertEqual(accepted.caseNumber?.description, "M-2026-0001")
        XCTAssertEqual(accepted.kind, .referral)
        XCTAssertEqual(accepted.dashYesCount, 16)
        XCTAssertEqual(accepted.digest, SHA256.hash(submission.bytes))
        XCTAssertFalse(accepted.duplicate)

        let record = try fixture.marac.cases.get(XCTUnwrap(accepted.caseNumber))
        XCTAssertEqual(record.referral, accepted.document)
        XCTAssertEqual(record.receivedOn, CalendarDate("2026-11-20"))
        XCTAssertEqual(record.referringAgency, "police")
        XCTAssertEqual(record.agencyKind, .police)
        XCTAssertEqual(record.status, .open)
        XCTAssertEqual(record.dashYesCount, 16)
        XCTAssertNil(record.flagUntil)

        let stored = try fixture.vault.read(accepted.document, as: AccessRequest(actor: "test", agency: "police", bases: ["audit"], reason: "test"))
        XCTAssertEqual(stored.withUnsafeBytes { Array($0) }, submission.bytes)
        XCTAssertEqual(try fixture.vault.record(accepted.document).metadata, ["case": "M-2026-0001", "bases": "consent"], "the case and the referral's bases, bound to the document")
    }

    func testCaseNumbersFollowTheYearOfReceiptAndThePrefix() throws {
        XCTAssertEqual(try fixture.accept(fixture.referral(name: "A One")).caseNumber?.description, "M-2026-0001")
        XCTAssertEqual(try fixture.accept(fixture.referral(name: "B Two")).caseNumber?.description, "M-2026-0002")
        fixture.clock.set("2027-01-01")
        XCTAssertEqual(try fixture.accept(fixture.referral(name: "C Three")).caseNumber?.description, "M-2027-0001")
        fixture.cleanUp()

        fixture = try MaracFixture(settings: MaracSettings(casePrefix: "BUCKS"))
        XCTAssertEqual(try fixture.accept(fixture.referral()).caseNumber?.description, "BUCKS-2026-0001")
        XCTAssertThrowsError(try Marac(vault: fixture.vault, settings: MaracSettings(casePrefix: "m"))) {
            XCTAssertEqual($0 as? ExchangeError, .invalidCasePrefix)
        }
    }

    /// A number once issued is never issued again, even if its case row is gone.
    func testCaseNumbersAreNeverReused() throws {
        try fixture.accept(fixture.referral(name: "A One"))
        let second = try fixture.accept(fixture.referral(name: "B Two"))
        try fixture.vault.transaction { try $0.execute("DELETE FROM x_case WHERE number = ?", [.text(second.caseNumber!.description)]) }
        XCTAssertEqual(try fixture.accept(fixture.referral(name: "C Three")).caseNumber?.description, "M-2026-0003")
    }

    /// A refused file leaves no document, no log entry, no case number used.
    func testARejectedFormWritesNothing() throws {
        let bad = try fixture.fixture("invalid/referral-future-dob.json")
        guard case let .rejected(rejection, _) = try fixture.marac.submit(bad) else { return XCTFail("accepted") }
        XCTAssertEqual(rejection.problems.map(\.description), ["$.victim.dob: date of birth is in the future"])
        XCTAssertEqual(try fixture.vault.list().count, 0)
        XCTAssertEqual(try fixture.vault.treeHead().size, fixture.setupEntries)
        XCTAssertEqual(try fixture.marac.cases.list().count, 0)
        XCTAssertEqual(try fixture.accept(fixture.fixture("valid/referral-police.json")).caseNumber?.description, "M-2026-0001")
    }

    /// The collection is logged with its legal basis, ids only.
    func testTheCollectionIsLoggedWithItsLegalBasis() throws {
        let police = try fixture.accept(fixture.fixture("valid/referral-police.json"))
        let health = try fixture.accept(fixture.fixture("valid/referral-health-professional-judgement-no-consent.json"))
        let entry = try fixture.logEntry(XCTUnwrap(police.logIndex))
        XCTAssertEqual(entry.operation, .collection)
        XCTAssertEqual(entry.actor, LogEntry.Actor(person: nil, agency: "police"))
        XCTAssertEqual(entry.records, [police.document])
        XCTAssertEqual(entry.case, "M-2026-0001")
        XCTAssertEqual(entry.bases, ["consent"])
        XCTAssertEqual(entry.time, "2026-11-20T12:00:00Z")
        // The log keeps a keyed digest, never SHA-256 of the form: the log outlives any
        // erasure, and a plain hash of a short form would confirm a guess at it.
        let bytes = try fixture.fixture("valid/referral-police.json").bytes
        XCTAssertEqual(entry.details, ["kind": "referral", "digest": Hex.encode(try fixture.vault.reading { try $0.contentDigest(bytes) })])
        XCTAssertNil(try raw(police).range(of: Data(Hex.encode(police.digest).utf8)), "no plain SHA-256 in the log")
        XCTAssertEqual(try fixture.logEntry(XCTUnwrap(health.logIndex)).bases, ["dpa-s1-p18", "ukgdpr-6-1-e"])
        XCTAssertNil(try raw(police).range(of: Data("Quinn".utf8)), "no personal data in the log")
    }

    private func raw(_ form: AcceptedForm) throws -> Data { try fixture.vault.logEntry(XCTUnwrap(form.logIndex)) }

    /// The same bytes from the same agency map to the same document; once.
    func testResubmittingTheSameBytesIsIdempotent() throws {
        let submission = try fixture.fixture("valid/referral-police.json")
        let first = try fixture.accept(submission)
        fixture.clock.advance(days: 3)
        let again = try fixture.accept(submission)
        XCTAssertTrue(again.duplicate)
        XCTAssertEqual(again.document, first.document)
        XCTAssertEqual(again.caseNumber, first.caseNumber)
        XCTAssertEqual(again.dashYesCount, 16)
        XCTAssertNil(again.logIndex)
        XCTAssertEqual(try fixture.vault.list().count, 1)
        XCTAssertEqual(try fixture.vault.treeHead().size, fixture.setupEntries + 1)
        XCTAssertEqual(try fixture.marac.cases.list().count, 1)
        // In one batch too: the second copy sees the first.
        let batch = try fixture.marac.submit([try fixture.referral(name: "B Two"), try fixture.referral(name: "B Two")])
        guard case let .accepted(a) = batch[0], case let .accepted(b) = batch[1] else { return XCTFail() }
        XCTAssertEqual(a.document, b.document)
        XCTAssertTrue(b.duplicate)
    }

    func testResearchIsTakenOnlyFromInvitedAgenciesForAnOpenCaseOnAnOpenMeeting() throws {
        let referral = try fixture.accept(fixture.fixture("valid/referral-police.json"))
        let sameReport = ["$.caseNumber: no open case on a meeting this agency is invited to"]
        // Not yet on a meeting: refused with the report an unknown case gets.
        guard case let .rejected(early, _) = try fixture.marac.submit(fixture.fixture("valid/research-health-for-first-case.json")) else { return XCTFail() }
        XCTAssertEqual(early.problems.map(\.description), sameReport)
        let meeting = try fixture.schedule(referral.caseNumber, inviting: ["police"])
        guard case let .rejected(uninvited, _) = try fixture.marac.submit(fixture.fixture("valid/research-health-for-first-case.json")) else { return XCTFail() }
        XCTAssertEqual(uninvited.problems.map(\.description), sameReport)
        _ = try fixture.marac.meetings.invite(meeting.id, agencies: ["health"], by: MaracFixture.coordinator)
        let research = try fixture.accept(fixture.fixture("valid/research-health-for-first-case.json"))
        XCTAssertEqual(research.caseNumber, referral.caseNumber)
        XCTAssertEqual(try fixture.marac.cases.attachments(of: XCTUnwrap(referral.caseNumber)).map(\.document), [research.document])
        XCTAssertEqual(try fixture.logEntry(XCTUnwrap(research.logIndex)).bases, ["marac-isp"])

        var other = try FormEdit("valid/research-health-for-first-case.json")
        other.set("caseNumber", "M-2026-0009")
        guard case let .rejected(unknown, _) = try fixture.marac.submit(Submission(bytes: other.bytes, agency: "health")) else { return XCTFail() }
        XCTAssertEqual(unknown.problems.map(\.description), sameReport, "the same report whether or not the case exists")

        let closing = try fixture.vault.treeHead().size
        XCTAssertThrowsError(try fixture.marac.cases.close(XCTUnwrap(referral.caseNumber), reason: " ", by: MaracFixture.coordinator)) {
            XCTAssertEqual($0 as? ExchangeError, .invalidRequest("closing a case needs a reason"))
        }
        try fixture.marac.cases.close(XCTUnwrap(referral.caseNumber), reason: "victim moved out of the area", by: MaracFixture.coordinator)
        XCTAssertEqual(try fixture.logEntry(closing).justification, "case closed: victim moved out of the area")
        XCTAssertThrowsError(try fixture.marac.cases.close(XCTUnwrap(referral.caseNumber), reason: "again", by: MaracFixture.coordinator)) {
            XCTAssertEqual($0 as? ExchangeError, .conflict("case M-2026-0001 is closed already"))
        }
        other.set("caseNumber", "M-2026-0001")
        other.set("otherInformation", "Second look.")
        guard case let .rejected(closed, _) = try fixture.marac.submit(Submission(bytes: other.bytes, agency: "health")) else { return XCTFail() }
        XCTAssertEqual(closed.problems.map(\.description), sameReport)
        XCTAssertEqual(try fixture.vault.list(kind: "research").count, 1)
    }

    func testAnISWCAttachesToItsCaseOrWaitsWithItsReference() throws {
        let unattached = try fixture.accept(fixture.fixture("valid/iswc-health.json"))
        XCTAssertNil(unattached.caseNumber)
        XCTAssertEqual(try fixture.logEntry(XCTUnwrap(unattached.logIndex)).bases, ["marac-isp", "dpa-s1-p18", "ukgdpr-6-1-d", "hra-art2"])

        let referral = try fixture.accept(fixture.fixture("valid/referral-police.json"))
        var form = try FormEdit("valid/iswc-health.json")
        form.set("referralReference", nil)
        form.set("caseNumber", "M-2026-0001")
        guard case let .rejected(notYet, _) = try fixture.marac.submit(Submission(bytes: form.bytes, agency: "health")) else { return XCTFail() }
        XCTAssertEqual(notYet.problems.map(\.description), ["$.caseNumber: no open case on a meeting this agency is invited to"])
        try fixture.schedule(referral.caseNumber, inviting: ["health"])
        let attached = try fixture.accept(Submission(bytes: form.bytes, agency: "health"))
        XCTAssertEqual(attached.caseNumber, referral.caseNumber)
        form.set("caseNumber", "M-2026-0002")
        guard case let .rejected(unknown, _) = try fixture.marac.submit(Submission(bytes: form.bytes, agency: "health")) else { return XCTFail() }
        XCTAssertEqual(unknown.problems.map(\.description), ["$.caseNumber: no open case on a meeting this agency is invited to"])
    }

    /// Referrals wait for exactly one active Idva: every case is referred to the Idva.
    func testReferralsNeedExactlyOneActiveIdva() throws {
        fixture.cleanUp()
        fixture = try MaracFixture(idva: false)
        XCTAssertThrowsError(try fixture.marac.submit(fixture.fixture("valid/referral-police.json"))) {
            XCTAssertEqual($0 as? ExchangeError, .idvaRequired(active: 0))
            XCTAssertEqual("\($0)", "referrals need exactly one active agency of kind idva; 0 are active")
        }
        XCTAssertEqual(try fixture.vault.list().count, 0)
        // An iswc does not open a case and needs no Idva.
        XCTAssertNoThrow(try fixture.accept(fixture.fixture("valid/iswc-health.json")))
        try fixture.marac.agencies.add(Agency(id: "idva", name: "Idva", kind: .idva))
        XCTAssertNoThrow(try fixture.accept(fixture.fixture("valid/referral-police.json")))
    }

    func testFormsFromUnknownOrInactiveAgenciesAreNotTaken() throws {
        XCTAssertThrowsError(try fixture.marac.submit(Submission(bytes: fixture.fixture("valid/referral-police.json").bytes, agency: "mars"))) {
            XCTAssertEqual($0 as? ExchangeError, .unknownAgency("mars"))
        }
        try fixture.marac.agencies.setActive("police", false)
        XCTAssertThrowsError(try fixture.marac.submit(fixture.fixture("valid/referral-police.json"))) {
            XCTAssertEqual($0 as? ExchangeError, .agencyInactive("police"))
        }
    }

    /// A case's flag runs to 12 months after its latest meeting.
    func testTheFlagRunsTwelveMonthsFromTheLatestMeeting() throws {
        let number = try XCTUnwrap(fixture.accept(fixture.fixture("valid/referral-police.json")).caseNumber)
        try fixture.marac.cases.recordMeeting(number, on: CalendarDate("2026-12-01")!)
        XCTAssertEqual(try fixture.marac.cases.get(number).flagUntil, CalendarDate("2027-12-01"))
        try fixture.marac.cases.recordMeeting(number, on: CalendarDate("2027-02-02")!)
        try fixture.marac.cases.recordMeeting(number, on: CalendarDate("2026-12-15")!)
        XCTAssertEqual(try fixture.marac.cases.get(number).latestMeeting, CalendarDate("2027-02-02"))
        XCTAssertEqual(try fixture.marac.cases.get(number).flagUntil, CalendarDate("2028-02-02"))
        XCTAssertThrowsError(try fixture.marac.cases.recordMeeting(CaseNumber("M-2026-0099")!, on: CalendarDate("2026-12-01")!)) {
            XCTAssertEqual($0 as? ExchangeError, .unknownCase("M-2026-0099"))
        }
    }

    /// Nothing of a form is in clear in the database, its WAL or journal.
    func testNoFormContentIsStoredInClear() throws {
        try fixture.schedule(try fixture.accept(fixture.fixture("valid/referral-police.json")).caseNumber)
        try fixture.accept(fixture.fixture("valid/research-health-for-first-case.json"))
        let markers = ["Tamsin Quinn", "Mill Lane", "Riverside Infants", "Pattern of injuries", "\"bme\":true", "1993-11-13"]
        for (name, bytes) in try fixture.filesOnDisk() {
            for marker in markers { XCTAssertFalse(bytes.contains(bytes: Array(marker.utf8)), "\(marker) in \(name)") }
        }
    }
}
