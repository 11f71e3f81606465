import Exchange
import Foundation
import Vault
import XCTest

/// Rectification (issue 13, point 2): an agency corrects a form by sending one that names
/// it in `supersedes`; that is an `alteration` entry, readers see the latest version, and
/// the earlier one stays, for its agency and the IG officers, until its retention ends.
final class RectificationTests: XCTestCase {
    var fixture: MaracFixture!
    let coordinator = MaracFixture.coordinator
    let police = Principal(uid: 1002, name: "Police rep", agency: "police", roles: [.representative])
    let ig = Principal(uid: 1004, name: "IG officer", agency: "housing", roles: [.igOfficer], scope: .marac)

    override func setUpWithError() throws { fixture = try MaracFixture(policy: MaracAccessPolicy(registry: .builtIn)) }
    override func tearDown() { fixture.cleanUp() }

    private func rejected(_ submission: Submission, file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        guard case let .rejected(rejection, _) = try fixture.marac.submit(submission) else {
            XCTFail("accepted", file: file, line: line)
            return []
        }
        return rejection.problems.map(\.description)
    }

    func testACorrectedReferralTakesTheEarliersPlaceOnItsCase() throws {
        let first = try fixture.accept(fixture.referral())
        let number = try XCTUnwrap(first.caseNumber)
        let before = try fixture.vault.treeHead().size
        let corrected = try fixture.accept(fixture.referral(edits: [("victim.address", "9 Corrected Road, Aylesbury"), ("supersedes", first.document)]))
        XCTAssertEqual(corrected.caseNumber, number, "the same case, not a new one")
        XCTAssertEqual(try fixture.marac.visibleCases(to: coordinator).count, 1)
        XCTAssertEqual(try fixture.marac.caseView(number, to: coordinator).documents.map(\.id), [corrected.document], "readers see the latest")
        let alteration = try (before..<fixture.vault.treeHead().size).map { try fixture.logEntry($0) }.first { $0.operation == .alteration }
        XCTAssertEqual(alteration?.records, [first.document, corrected.document])
        XCTAssertEqual(alteration?.details["supersedes"], first.document)
        XCTAssertEqual(alteration?.case, number.description)

        // The earlier version: its agency and the IG officers, for the audit trail.
        XCTAssertThrowsError(try fixture.marac.read(first.document, by: coordinator, bases: ["dpa-s1-p18"], reason: "check")) {
            XCTAssertEqual($0 as? VaultError, .accessDenied(document: first.document, reason: "superseded"))
        }
        XCTAssertNoThrow(try fixture.marac.read(first.document, by: police, bases: ["dpa-s1-p18"], reason: "audit trail"))
        XCTAssertNoThrow(try fixture.marac.read(first.document, by: ig, bases: ["audit"], reason: "audit trail"))
        // Only a reader the IG rule admits is exempt: an Idva-scoped IG officer reads the
        // Idva's copy of a referral under idva-referral, which does not read a corrected one.
        let idvaIG = Principal(uid: 1010, name: "Idva IG officer", agency: "idva", roles: [.igOfficer])
        XCTAssertThrowsError(try fixture.marac.read(first.document, by: idvaIG, bases: ["audit"], reason: "audit trail")) {
            XCTAssertEqual($0 as? VaultError, .accessDenied(document: first.document, reason: "superseded"))
        }
        let idva = Principal(uid: 1011, name: "Idva", agency: "idva", roles: [.representative])
        XCTAssertThrowsError(try fixture.marac.read(first.document, by: idva, bases: [], reason: "first contact")) {
            XCTAssertEqual($0 as? VaultError, .accessDenied(document: first.document, reason: "superseded"))
        }
        XCTAssertNoThrow(try fixture.marac.read(corrected.document, by: idvaIG, bases: ["audit"], reason: "the latest"))
        XCTAssertNoThrow(try fixture.marac.read(corrected.document, by: coordinator, bases: ["dpa-s1-p18"], reason: "check"))

        // Once only, by its own agency, of its own kind: one report for every refusal.
        let report = ["$.supersedes: no form of this agency and kind, on this case, to supersede"]
        XCTAssertEqual(try rejected(fixture.referral(name: "Again", edits: [("supersedes", first.document)])), report, "superseded already")
        var health = try FormEdit("valid/referral-health-professional-judgement-no-consent.json")
        health.set("supersedes", corrected.document)
        XCTAssertEqual(try rejected(Submission(bytes: health.bytes, agency: "health")), report, "another agency's")
        XCTAssertEqual(try rejected(fixture.referral(name: "Unknown", edits: [("supersedes", "doc_" + String(repeating: "0", count: 32))])), report)
        XCTAssertEqual(try rejected(fixture.referral(name: "Bad", edits: [("supersedes", "doc_XYZ")])),
                       ["$.supersedes: must be a document id such as doc_0123456789abcdef0123456789abcdef"])
        let chained = try fixture.accept(fixture.referral(edits: [("victim.address", "10 Second Road"), ("supersedes", corrected.document)]))
        XCTAssertEqual(chained.caseNumber, number, "a correction of the correction")
        fixture.clock.advance(days: 31)
        XCTAssertEqual(Set(try fixture.marac.retentionDue(RetentionSchedule(days: [.referral: 30])).map(\.document)),
                       [first.document, corrected.document, chained.document], "every version goes when the case's retention ends")
    }

    func testACorrectedResearchFormReplacesTheEarlierOnTheCaseAndInRetention() throws {
        let referral = try fixture.accept(fixture.referral())
        let number = try XCTUnwrap(referral.caseNumber)
        try fixture.schedule(number, inviting: ["health"])
        let research = try fixture.accept(fixture.fixture("valid/research-health-for-first-case.json"))
        var form = try FormEdit("valid/research-health-for-first-case.json")
        form.set("supersedes", research.document)
        form.set("accuracy.children.corrections", "Corrected after a records check.")
        let corrected = try fixture.accept(Submission(bytes: form.bytes, agency: "health"))
        let view = try fixture.marac.caseView(number, to: coordinator)
        XCTAssertFalse(view.documents.contains { $0.id == research.document })

        // A correction naming another case is refused.
        let other = try fixture.accept(fixture.referral(name: "Other Person", dob: "1980-01-01"))
        _ = try fixture.marac.meetings.addCase(try fixture.marac.meetings.list()[0].id, try XCTUnwrap(other.caseNumber), by: coordinator)
        var moved = try FormEdit("valid/research-health-for-first-case.json")
        moved.set("caseNumber", other.caseNumber?.description)
        moved.set("supersedes", corrected.document)
        XCTAssertEqual(try rejected(Submission(bytes: moved.bytes, agency: "health")),
                       ["$.supersedes: no form of this agency and kind, on this case, to supersede"])

        // The earlier versions go with their case's documents when retention ends.
        fixture.clock.advance(days: 31)
        let due = Set(try fixture.marac.retentionDue(RetentionSchedule(days: [.referral: 30, .research: 30, .iswc: 30])).map(\.document))
        XCTAssertTrue(due.isSuperset(of: [referral.document, research.document, corrected.document]), "\(due)")
    }
}
