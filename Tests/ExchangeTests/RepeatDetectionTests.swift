import Exchange
import Foundation
import XCTest

/// A referral for a victim whose last referral was within 12 months is a repeat, linked
/// to that case, whatever the referrer ticked; the victim is matched by blind index.
final class RepeatDetectionTests: XCTestCase {
    var fixture: MaracFixture!
    override func tearDown() { fixture?.cleanUp() }

    /// The second referral's case after `days` days (each scenario on a fresh vault).
    func secondReferral(after days: Int, firstOn day: String) throws -> CaseRecord {
        fixture?.cleanUp()
        fixture = try MaracFixture(today: day)
        try fixture.accept(fixture.referral())
        fixture.clock.advance(days: days)
        let second = try fixture.accept(fixture.referral())
        return try fixture.marac.cases.get(XCTUnwrap(second.caseNumber))
    }

    func testTheTwelveMonthBoundaryIsTheAnniversary() throws {
        XCTAssertEqual(try secondReferral(after: 364, firstOn: "2025-11-20").repeatOf?.description, "M-2025-0001", "day 364")
        XCTAssertEqual(try secondReferral(after: 365, firstOn: "2025-11-20").repeatOf?.description, "M-2025-0001", "day 365 is 2026-11-20")
        XCTAssertNil(try secondReferral(after: 366, firstOn: "2025-11-20").repeatOf, "day 366")
    }

    func testAcrossALeapDayTheAnniversaryIsDay366() throws {
        XCTAssertEqual(try secondReferral(after: 366, firstOn: "2027-03-01").repeatOf?.description, "M-2027-0001", "2028-03-01")
        XCTAssertNil(try secondReferral(after: 367, firstOn: "2027-03-01").repeatOf)
        // 29 February's anniversary is 28 February.
        XCTAssertEqual(try secondReferral(after: 365, firstOn: "2028-02-29").repeatOf?.description, "M-2028-0001", "2029-02-28")
        XCTAssertNil(try secondReferral(after: 366, firstOn: "2028-02-29").repeatOf, "2029-03-01")
    }

    /// Case, spacing, and composed or decomposed accents do not hide a repeat.
    func testNameVariantsThatNormaliseEqualAreTheSameVictim() throws {
        fixture = try MaracFixture()
        let first = try fixture.accept(fixture.referral(name: "Zoë Øverland-Smith", dob: "1990-02-03"))
        for variant in ["ZOË ØVERLAND-SMITH", "  zoë   øverland-smith ", "Zoe\u{308} \u{D8}verland-Smith", "Zo\u{EB}\tØverland-Smith"] {
            fixture.clock.advance(days: 1)
            let again = try fixture.accept(fixture.referral(name: variant, dob: "1990-02-03"))
            XCTAssertNotNil(again.repeatOf, variant.debugDescription)
        }
        XCTAssertEqual(try fixture.marac.cases.get(CaseNumber("M-2026-0002")!).repeatOf, first.caseNumber)
    }

    func testADifferentNameOrDateOfBirthIsADifferentVictim() throws {
        fixture = try MaracFixture()
        try fixture.accept(fixture.referral(name: "Zoe Overland", dob: "1990-02-03"))
        XCTAssertNil(try fixture.accept(fixture.referral(name: "Zoe Overland", dob: "1990-02-04")).repeatOf)
        XCTAssertNil(try fixture.accept(fixture.referral(name: "Zoë Overland", dob: "1990-02-03")).repeatOf, "an accent is a different letter")
        XCTAssertNil(try fixture.accept(fixture.referral(name: "Zoe Overlander", dob: "1990-02-03")).repeatOf)
    }

    func testAnAliasOnEitherReferralMatches() throws {
        fixture = try MaracFixture()
        let first = try fixture.accept(fixture.referral(name: "Jane Doe", dob: "1988-08-08", aliases: ["Jane Roe"]))
        XCTAssertEqual(try fixture.accept(fixture.referral(name: "Jane Roe", dob: "1988-08-08")).repeatOf, first.caseNumber)
        XCTAssertNotNil(try fixture.accept(fixture.referral(name: "J. Smith", dob: "1988-08-08", aliases: ["jane doe"])).repeatOf)
    }

    /// The link is to the victim's most recent case, and the window runs from it.
    func testTheLinkIsToTheLastReferral() throws {
        fixture = try MaracFixture(today: "2025-01-10")
        let a = try fixture.accept(fixture.referral())
        fixture.clock.advance(days: 300)
        let b = try fixture.accept(fixture.referral())
        XCTAssertEqual(b.repeatOf, a.caseNumber)
        fixture.clock.advance(days: 300)
        let c = try fixture.accept(fixture.referral())
        XCTAssertEqual(c.repeatOf, b.caseNumber, "600 days after the first, 300 after the last")
    }

    /// The daemon decides; a difference from the referrer's tick is shown to the coordinator.
    func testTheReferrersTickIsRecordedAndAMismatchFlagged() throws {
        fixture = try MaracFixture()
        let first = try fixture.accept(fixture.referral(tickedRepeat: true))
        let unticked = try fixture.accept(fixture.referral())
        fixture.clock.advance(days: 1)
        let ticked = try fixture.accept(fixture.referral(tickedRepeat: true))
        XCTAssertFalse(ticked.duplicate)
        let cases = fixture.marac.cases
        XCTAssertEqual(try cases.get(XCTUnwrap(first.caseNumber)).repeatMismatch, true, "ticked, but no earlier referral")
        XCTAssertNil(first.repeatOf)
        XCTAssertEqual(try cases.get(XCTUnwrap(unticked.caseNumber)).repeatMismatch, true, "a repeat the referrer did not tick")
        XCTAssertNotNil(unticked.repeatOf)
        XCTAssertEqual(try cases.get(XCTUnwrap(ticked.caseNumber)).repeatMismatch, false)
        XCTAssertEqual(try cases.get(XCTUnwrap(ticked.caseNumber)).referrerTickedRepeat, true)
    }

    /// Without a date of birth there is no blind index: the case says detection did not run.
    func testWithoutADateOfBirthDetectionCannotRun() throws {
        fixture = try MaracFixture()
        try fixture.accept(fixture.referral(dob: nil))
        let second = try fixture.accept(fixture.referral(dob: nil))
        XCTAssertNil(second.repeatOf)
        let record = try fixture.marac.cases.get(XCTUnwrap(second.caseNumber))
        XCTAssertFalse(record.repeatChecked)
        XCTAssertFalse(record.repeatMismatch)
    }
}
