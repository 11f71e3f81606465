import Exchange
import Foundation
import Vault
import XCTest

/// `x_case.referral` and `x_attachment` are application rows outside every AAD: each must
/// agree with the bound record of the document it points at, or it is refused by name.
final class CaseLinkTests: XCTestCase {
    var fixture: MaracFixture!
    var referral: AcceptedForm!, other: AcceptedForm!, research: AcceptedForm!

    override func setUpWithError() throws {
        fixture = try MaracFixture()
        referral = try fixture.accept(fixture.fixture("valid/referral-police.json"))
        other = try fixture.accept(fixture.referral(name: "Someone Else", dob: "1980-02-02"))
        try fixture.schedule(referral.caseNumber)
        research = try fixture.accept(fixture.fixture("valid/research-health-for-first-case.json"))
    }
    override func tearDown() { fixture.cleanUp() }

    private func sql(_ statement: String, _ values: [SQLValue]) throws {
        try fixture.vault.transaction { try $0.execute(statement, values) }
    }

    func testHonestLinksVerify() throws {
        let verified = try fixture.marac.verifyCaseLinks()
        XCTAssertEqual(verified.cases, 2)
        XCTAssertEqual(verified.attachments, 1)
    }

    func testAnAttachmentRePointedAtAnotherCaseIsRefusedByName() throws {
        let target = try XCTUnwrap(other.caseNumber)
        try sql("UPDATE x_attachment SET case_number = ? WHERE document = ?", [.text(target.description), .text(research.document)])
        let expected = ExchangeError.tampered("x_attachment/\(research.document)")
        XCTAssertThrowsError(try fixture.marac.verifyCaseLinks()) { XCTAssertEqual($0 as? ExchangeError, expected) }
        // The case it was moved to does not list it: the read path checks the same way.
        XCTAssertThrowsError(try fixture.marac.cases.attachments(of: target)) { XCTAssertEqual($0 as? ExchangeError, expected) }
        // A case view names the tampering too, rather than calling the case unknown.
        XCTAssertThrowsError(try fixture.marac.caseView(target, to: MaracFixture.coordinator)) { XCTAssertEqual($0 as? ExchangeError, expected) }
    }

    func testAnAttachmentRelabelledToAnotherAgencyIsRefused() throws {
        try sql("UPDATE x_attachment SET agency = 'police' WHERE document = ?", [.text(research.document)])
        XCTAssertThrowsError(try fixture.marac.verifyCaseLinks()) {
            XCTAssertEqual($0 as? ExchangeError, .tampered("x_attachment/\(research.document)"))
        }
    }

    func testTwoCasesWithTheirReferralsSwappedAreRefused() throws {
        let number = try XCTUnwrap(referral.caseNumber), second = try XCTUnwrap(other.caseNumber)
        try sql("UPDATE x_case SET referral = 'x' WHERE number = ?", [.text(number.description)])
        try sql("UPDATE x_case SET referral = ? WHERE number = ?", [.text(referral.document), .text(second.description)])
        try sql("UPDATE x_case SET referral = ? WHERE number = ?", [.text(other.document), .text(number.description)])
        XCTAssertThrowsError(try fixture.marac.verifyCaseLinks()) {
            XCTAssertEqual($0 as? ExchangeError, .tampered("x_case/\(number).referral"))
        }
    }

    func testACaseRePointedAtAResearchFormIsRefused() throws {
        let number = try XCTUnwrap(referral.caseNumber)
        try sql("UPDATE x_case SET referral = ? WHERE number = ?", [.text(research.document), .text(number.description)])
        XCTAssertThrowsError(try fixture.marac.verifyCaseLinks()) {
            XCTAssertEqual($0 as? ExchangeError, .tampered("x_case/\(number).referral"))
        }
    }
}
