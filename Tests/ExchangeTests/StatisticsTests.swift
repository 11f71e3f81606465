import Exchange
import Foundation
import Vault
import XCTest

/// The quarterly equality and volume figures, from case rows and sealed facts, with no
/// form decrypted.
final class StatisticsTests: XCTestCase {
    var fixture: MaracFixture!
    let representative = Principal(uid: 1002, name: "Police rep", agency: "police", roles: [.representative])
    override func tearDown() { fixture?.cleanUp() }

    func testQuarterlyFiguresCountCasesRepeatsAgenciesAndEqualityFlags() throws {
        // Deny every read: the statistics must not need one.
        fixture = try MaracFixture(today: "2026-09-30", policy: DenyAllPolicy())
        try fixture.accept(fixture.referral(name: "Before Quarter"))  // outside the range
        fixture.clock.set("2026-10-01")
        try fixture.accept(fixture.referral(name: "Before Quarter"))  // a repeat, inside
        try fixture.accept(fixture.referral(name: "Ann Male", dob: "1980-01-01",
                                            edits: [("victim.diversity", ["gender": "male", "disabled": true]), ("children", [Any]())]))
        fixture.clock.set("2026-11-15")
        // 16 today: born 2010-11-15.
        try fixture.accept(fixture.referral(name: "Young Person", dob: "2010-11-15",
                                            edits: [("victim.diversity", ["lgbtq": true, "bme": true])]))
        // 17 and 364 days: still 17.
        try fixture.accept(fixture.referral(name: "Nearly Eighteen", dob: "2008-11-16", edits: [("victim.diversity", nil)]))
        var health = try FormEdit("valid/referral-health-professional-judgement-no-consent.json")
        health.set("date", "2026-11-15")
        try fixture.accept(Submission(bytes: health.bytes, agency: "health"))
        fixture.clock.set("2027-01-01")
        try fixture.accept(fixture.referral(name: "After Quarter"))

        let before = try fixture.vault.treeHead().size
        XCTAssertThrowsError(try fixture.marac.cases.statistics(from: CalendarDate("2026-10-01")!, to: CalendarDate("2026-12-31")!, by: representative)) {
            XCTAssertEqual($0 as? ExchangeError, .notPermitted("only the coordinator or an IG officer may compile the Marac's statistics"))
        }
        XCTAssertEqual(try fixture.vault.treeHead().size, before)
        let stats = try fixture.marac.cases.statistics(from: CalendarDate("2026-10-01")!, to: CalendarDate("2026-12-31")!, by: MaracFixture.coordinator)
        XCTAssertEqual(stats.cases, 5)
        XCTAssertEqual(stats.repeats, 1)
        XCTAssertEqual(stats.repeatRate, 0.2)
        XCTAssertEqual(stats.referralsByAgencyKind, ["police": 4, "health": 1])
        XCTAssertEqual(stats.nonPoliceReferrals, 1)
        XCTAssertEqual(stats.nonPoliceShare, 0.2)
        // bme: "Before Quarter" (fixture default true), "Young Person".
        XCTAssertEqual(stats.bme, 2)
        XCTAssertEqual(stats.lgbtq, 1)
        XCTAssertEqual(stats.disabled, 1)
        XCTAssertEqual(stats.male, 1)
        XCTAssertEqual(stats.aged16to17, 2)
        // One child on each referral but Ann Male's.
        XCTAssertEqual(stats.children, 4)
        // No document was consulted; the sealed facts' opening is one entry, counts only.
        XCTAssertEqual(try fixture.vault.treeHead().size, before + 1)
        let entry = try fixture.logEntry(before)
        XCTAssertEqual(entry.operation, .consultation)
        XCTAssertEqual(entry.actor, MaracFixture.coordinator.actor)
        XCTAssertEqual(entry.records, [])
        XCTAssertEqual(entry.bases, ["ukgdpr-6-1-e", "ukgdpr-9-2-g"])
        XCTAssertEqual(entry.details, ["what": "statistics", "from": "2026-10-01", "to": "2026-12-31", "cases": "5"])

        let empty = try fixture.marac.cases.statistics(from: CalendarDate("2030-01-01")!, to: CalendarDate("2030-03-31")!, by: MaracFixture.coordinator)
        XCTAssertEqual(empty.cases, 0)
        XCTAssertNil(empty.repeatRate)
    }

    /// The sealed facts cannot be moved to another case.
    func testSealedFactsAreBoundToTheirCase() throws {
        fixture = try MaracFixture()
        try fixture.accept(fixture.referral(name: "First Person"))
        try fixture.accept(fixture.referral(name: "Second Person"))
        try fixture.vault.transaction { tx in
            let facts = try tx.rows("SELECT facts FROM x_case WHERE number = 'M-2026-0001'")[0][0]
            try tx.execute("UPDATE x_case SET facts = ? WHERE number = 'M-2026-0002'", [facts])
        }
        XCTAssertThrowsError(try fixture.marac.cases.statistics(from: CalendarDate("2026-01-01")!, to: CalendarDate("2026-12-31")!, by: MaracFixture.coordinator)) {
            XCTAssertEqual($0 as? VaultError, .tampered(subject: "x_case.facts/M-2026-0002", part: .payload))
        }
    }
}
