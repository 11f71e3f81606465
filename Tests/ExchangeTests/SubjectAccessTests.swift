import Exchange
import Foundation
import Vault
import XCTest

/// Subject access (issue 13, point 2): the blind index finds every document about a
/// person, through the variants and aliases the IG officer gives, and nothing about anyone
/// else; only an IG officer searches, citing `audit` and a reason; the log names the
/// documents found, never the names searched for.
final class SubjectAccessTests: XCTestCase {
    var fixture: MaracFixture!
    let ig = Principal(uid: 1004, name: "IG officer", agency: "housing", roles: [.igOfficer], scope: .marac)
    let policeIG = Principal(uid: 1006, name: "Police IG officer", agency: "police", roles: [.igOfficer])
    let coordinator = MaracFixture.coordinator
    let dob = CalendarDate("1993-11-13")!

    override func setUpWithError() throws {
        fixture = try MaracFixture(policy: MaracAccessPolicy(registry: .builtIn))
    }
    override func tearDown() { fixture.cleanUp() }

    func testASearchFindsEveryDocumentAboutThePersonAndNothingElse() throws {
        let referral = try fixture.accept(fixture.referral(name: "Tamsin Quinn", dob: "1993-11-13", aliases: ["Tam Gray"]))
        try fixture.schedule(referral.caseNumber, inviting: ["health"])
        let research = try fixture.accept(fixture.fixture("valid/research-health-for-first-case.json"))
        let namesake = try fixture.accept(fixture.referral(name: "Tamsin Quinn", dob: "1990-01-01"))     // same name, another person
        let birthday = try fixture.accept(fixture.referral(name: "Other Person", dob: "1993-11-13"))     // same date of birth
        let search = { (names: [String], principal: Principal) in
            try self.fixture.marac.subjectSearch(names: names, dob: self.dob, by: principal, bases: ["audit"], reason: "subject access request")
        }

        XCTAssertEqual(try search(["  TAMSIN   quinn "], ig).map(\.document).sorted(), [referral.document, research.document].sorted(),
                       "a variant in case and spacing finds the referral and the research")
        XCTAssertEqual(try search(["Tam Gray"], ig).map(\.document), [referral.document], "an alias finds the referral it was given in")
        let all = try search(["Tam Gray", "Tamsin Quinn"], ig)
        XCTAssertEqual(Set(all.map(\.document)), [referral.document, research.document])
        XCTAssertFalse(all.contains { [namesake.document, birthday.document].contains($0.document) }, "nobody else")
        XCTAssertEqual(all.first { $0.document == research.document }, SubjectHit(document: research.document, kind: "research",
                                                                                  agency: "health", caseNumber: referral.caseNumber?.description))
        XCTAssertEqual(try search(["Tamsin Quinn"], policeIG).map(\.document), [referral.document], "an agency's IG officer: its own documents")

        let entry = try fixture.logEntry(try fixture.vault.treeHead().size - 1)
        XCTAssertEqual(entry.operation, .consultation)
        XCTAssertEqual(entry.bases, ["audit"])
        XCTAssertEqual(entry.details["what"], "subject-search")
        let logged = String(decoding: entry.encoded(), as: UTF8.self)
        XCTAssertFalse(logged.contains("Quinn") || logged.contains("Tamsin") || logged.contains("1993-11-13"), logged)

        for (principal, bases, reason, error) in [
            (coordinator, ["audit"], "x", ExchangeError.notPermitted("only an IG officer may search for a data subject")),
            (ig, ["dpa-s1-p18"], "x", .conflict("a subject access search cites the basis audit")),
            (ig, ["audit"], " ", .conflict("a subject access search needs a reason")),
        ] {
            XCTAssertThrowsError(try fixture.marac.subjectSearch(names: ["Tamsin Quinn"], dob: dob, by: principal, bases: bases, reason: reason)) {
                XCTAssertEqual($0 as? ExchangeError, error)
            }
        }
    }

    func testTheExportHoldsEachDocumentAsSentForTheOfficerToReview() throws {
        let referral = try fixture.accept(fixture.referral(name: "Tamsin Quinn", dob: "1993-11-13"))
        _ = try fixture.accept(fixture.referral(name: "Other Person", dob: "1993-11-13"))
        let export = try fixture.marac.subjectExport(names: ["Tamsin Quinn"], dob: dob, by: ig, bases: ["audit"], reason: "subject access request")
        let (content, files) = try ExportDocument.check(export.content)
        XCTAssertEqual(content["type"], "export-subject")
        XCTAssertEqual(files.map(\.name), ["documents/\(referral.document).json", "log/entries.jsonl"])
        XCTAssertFalse(String(decoding: export.content, as: UTF8.self).contains("Other Person"))
        XCTAssertEqual(try fixture.logEntry(try fixture.vault.treeHead().size - 1).details["export"], "subject")
        XCTAssertThrowsError(try fixture.marac.subjectExport(names: ["Nobody Known"], dob: dob, by: ig, bases: ["audit"], reason: "x")) {
            XCTAssertEqual($0 as? ExchangeError, .conflict("no document about this person is held"))
        }
    }
}
