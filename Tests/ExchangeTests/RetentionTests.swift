import Exchange
import Foundation
import TestSupport
import Vault
import XCTest

/// Retention with the test clock (issue 13, point 1): each case document goes on the day
/// its retention ends (counted from the case's latest meeting, or its receipt), a held case
/// stays until released, each erasure is logged under `retention-policy`, the log still
/// verifies, and nothing of an erased document is left in any file of the state directory.
final class RetentionTests: XCTestCase {
    var fixture: MaracFixture!
    let coordinator = MaracFixture.coordinator
    let ig = Principal(uid: 1004, name: "IG officer", agency: "housing", roles: [.igOfficer], scope: .marac)
    let police = Principal(uid: 1002, name: "Police rep", agency: "police", roles: [.representative])
    let schedule = RetentionSchedule(days: [.referral: 30, .research: 30, .iswc: 30])

    override func setUpWithError() throws { fixture = try MaracFixture(today: "2026-11-20") }
    override func tearDown() { fixture.cleanUp() }

    private func sql(_ query: String) throws -> [UInt8] {
        let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [fixture.directory + "/vault.db", query])
        return Hex.decode(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? []
    }

    func testDocumentsGoOnTheDayTheirRetentionEndsAndAHeldCaseStays() throws {
        // A: heard at a meeting on 2026-12-10, with health's research. B and C: never heard.
        let a = try fixture.accept(fixture.fixture("valid/referral-police.json"))
        let meeting = try fixture.schedule(a.caseNumber, inviting: ["health"])
        let research = try fixture.accept(fixture.fixture("valid/research-health-for-first-case.json"))
        let b = try fixture.accept(fixture.referral(name: "Second Person", dob: "1981-01-01"))
        let c = try fixture.accept(fixture.referral(name: "Third Person", dob: "1982-02-02"))
        fixture.clock.set("2026-12-10")
        for state in [MeetingState.agendaIssued, .inSession, .closed] { _ = try fixture.marac.meetings.advance(meeting.id, to: state, by: coordinator) }
        let caseC = try XCTUnwrap(c.caseNumber)
        XCTAssertThrowsError(try fixture.marac.hold(caseC, reason: "litigation", by: police)) {
            XCTAssertEqual($0 as? ExchangeError, .notPermitted("only an IG officer or the coordinator may place a legal hold"))
        }
        try fixture.marac.hold(caseC, reason: "civil claim pending", by: ig)
        XCTAssertThrowsError(try fixture.marac.hold(caseC, reason: "again", by: ig)) {
            XCTAssertEqual($0 as? ExchangeError, .conflict("case \(caseC) is already on hold"))
        }
        XCTAssertEqual(try fixture.logEntry(try fixture.vault.treeHead().size - 1).details["action"], "hold")

        // B's receipt was 2026-11-20: 30 days end on 2026-12-20, not a day before.
        let sealedB = try sql("SELECT hex(sealed) FROM payload WHERE document = (SELECT seq FROM document WHERE id = '\(b.document)')")
        let wrappedB = try sql("SELECT hex(wrapped) FROM data_key WHERE document = (SELECT seq FROM document WHERE id = '\(b.document)')")
        XCTAssertEqual(sealedB.isEmpty || wrappedB.isEmpty, false)
        fixture.clock.set("2026-12-19")
        XCTAssertEqual(try fixture.marac.retentionDue(schedule), [])
        fixture.clock.set("2026-12-20")
        XCTAssertEqual(try fixture.marac.retentionDue(schedule).map(\.document), [b.document], "C is held; A was heard on 2026-12-10")
        let before = try fixture.vault.treeHead().size
        let erased = try fixture.marac.applyRetention(schedule)
        XCTAssertEqual(erased, [RetentionItem(document: b.document, kind: .referral, agency: "police", caseNumber: b.caseNumber?.description,
                                              due: CalendarDate("2026-12-20")!)])
        let entry = try fixture.logEntry(before)
        XCTAssertEqual(entry.operation, .erasure)
        XCTAssertEqual(entry.bases, ["retention-policy"])
        XCTAssertEqual(entry.records, [b.document])
        XCTAssertEqual(entry.case, b.caseNumber?.description)
        XCTAssertNotNil(try fixture.vault.record(b.document).erasedAt)
        for (name, bytes) in try fixture.filesOnDisk() {
            XCTAssertFalse(bytes.contains(bytes: sealedB), "B's ciphertext in \(name)")
            XCTAssertFalse(bytes.contains(bytes: wrappedB), "B's wrapped data key in \(name)")
        }
        XCTAssertEqual(try fixture.marac.applyRetention(schedule), [], "once")

        // A and its research: 30 days after the meeting.
        fixture.clock.set("2027-01-08")
        XCTAssertEqual(try fixture.marac.retentionDue(schedule), [])
        fixture.clock.set("2027-01-09")
        XCTAssertEqual(Set(try fixture.marac.applyRetention(schedule).map(\.document)), [a.document, research.document])
        XCTAssertEqual(try fixture.marac.caseView(try XCTUnwrap(a.caseNumber), to: coordinator).documents, [], "the case stays, its documents gone")

        // C is kept while held, and goes once released.
        XCTAssertEqual(try fixture.marac.holds(), [caseC.description])
        try fixture.marac.release(caseC, by: coordinator)
        XCTAssertThrowsError(try fixture.marac.release(caseC, by: coordinator)) {
            XCTAssertEqual($0 as? ExchangeError, .conflict("case \(caseC) is not on hold"))
        }
        XCTAssertEqual(try fixture.marac.applyRetention(schedule).map(\.document), [c.document])
        _ = try fixture.vault.verifyLog()
        let links = try fixture.marac.verifyCaseLinks()
        XCTAssertEqual(links.cases, 3, "the cases' links still verify with their documents erased")
    }

    /// Erasure erases what outlives the documents (issue 22): the same bytes sent again are
    /// a new submission, not an "accepted" receipt for an erased document; a case whose
    /// every document is gone keeps neither its equality facts nor its Dash count, and the
    /// statistics say so; a case with a document left keeps both.
    func testWhatOutlivesTheDocumentsGoesWithTheLastOfThem() throws {
        let police = try fixture.fixture("valid/referral-police.json")
        let a = try fixture.accept(police)
        let b = try fixture.accept(fixture.referral(name: "Second Person", dob: "1981-01-01"))
        let caseA = try XCTUnwrap(a.caseNumber), caseB = try XCTUnwrap(b.caseNumber)
        // B's case has health's research too (B on a meeting health is invited to), which
        // this schedule keeps far longer.
        _ = try fixture.schedule(caseB, inviting: ["health"])
        var research = try FormEdit("valid/research-health-for-first-case.json")
        research.set("caseNumber", caseB.description)
        let late = try fixture.accept(Submission(bytes: research.bytes, agency: "health"))
        func facts(_ number: CaseNumber) throws -> (sealed: Int, dash: String) {
            let row = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"),
                                         [fixture.directory + "/vault.db", "SELECT length(facts) || ' ' || ifnull(dash_yes, 'null') FROM x_case WHERE number = '\(number)'"])
                .output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ")
            return (Int(row[0]) ?? -1, String(row[1]))
        }
        XCTAssertGreaterThan(try facts(caseA).sealed, 0)
        XCTAssertNotEqual(try facts(caseA).dash, "null", "the fixture has a Dash")

        // 30 days after receipt both referrals go; B's research stays.
        fixture.clock.set("2026-12-20")
        let erased = try fixture.marac.applyRetention(RetentionSchedule(days: [.referral: 30, .research: 3_000, .iswc: 30]))
        XCTAssertEqual(Set(erased.map(\.document)), [a.document, b.document])
        XCTAssertEqual(try facts(caseA).sealed, 0, "A's facts went with its last document")
        XCTAssertEqual(try facts(caseA).dash, "null")
        XCTAssertGreaterThan(try facts(caseB).sealed, 0, "B keeps its facts while health's research is kept")
        let stats = try fixture.marac.cases.statistics(from: CalendarDate("2026-11-01")!, to: CalendarDate("2026-11-30")!, by: coordinator)
        XCTAssertEqual(stats.cases, 2)
        XCTAssertEqual(stats.withoutEqualityFacts, 1)

        // The same bytes again: a new submission with a new document, not a duplicate.
        guard case let .accepted(again) = try fixture.marac.submit(police) else { return XCTFail("the resend was not accepted") }
        XCTAssertFalse(again.duplicate, "not a receipt for the erased document")
        XCTAssertNotEqual(again.document, a.document)
        XCTAssertNil(try fixture.vault.record(again.document).erasedAt)
        XCTAssertNotEqual(again.caseNumber, caseA, "a new case: the erased one's index tokens went with it")
        XCTAssertNil(try fixture.vault.record(late.document).erasedAt)
    }

    func testTheDefaultIsSixYearsAndAnUnlistedKindKeepsIt() {
        XCTAssertEqual(RetentionSchedule().days, [.referral: 2_192, .research: 2_192, .iswc: 2_192])
        XCTAssertEqual(RetentionSchedule(days: [.iswc: 90]).days[.referral], 2_192)
    }
}
