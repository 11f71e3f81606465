import Exchange
import Foundation
import Vault
import XCTest

/// The clock going backwards (issue 13, point 6): an NTP step or a wrong RTC after a
/// restart. Nothing may break or be lost: forms are taken, case numbers stay unique, reads
/// are logged, the log verifies, and retention never erases early (it counts from the
/// case's own dates, so a clock set back only delays it).
final class ClockTests: XCTestCase {
    var fixture: MaracFixture!
    override func setUpWithError() throws { fixture = try MaracFixture(today: "2027-01-02", policy: MaracAccessPolicy(registry: .builtIn)) }
    override func tearDown() { fixture.cleanUp() }

    func testAClockSetBackAYearBreaksNothingAndErasesNothingEarly() throws {
        let first = try fixture.accept(fixture.referral(name: "Before Step", dob: "1980-01-01"))
        XCTAssertEqual(first.caseNumber?.description, "M-2027-0001")
        fixture.clock.set("2026-12-30")  // stepped back across the new year
        let second = try fixture.accept(fixture.referral(name: "After Step", dob: "1981-01-01"))
        XCTAssertEqual(second.caseNumber?.year, 2026, "numbered by the date it was received")
        fixture.clock.set("2027-01-02")
        let third = try fixture.accept(fixture.referral(name: "Forward Again", dob: "1982-01-01"))
        XCTAssertEqual(third.caseNumber?.description, "M-2027-0002", "no number is issued twice")
        XCTAssertEqual(Set([first, second, third].compactMap(\.caseNumber)).count, 3)

        let police = Principal(uid: 1002, name: "Police rep", agency: "police", roles: [.representative])
        fixture.clock.set("2026-06-01")
        for form in [first, second, third] {
            XCTAssertNoThrow(try fixture.marac.read(form.document, by: police, bases: ["dpa-s1-p18"], reason: "check"))
        }
        // Retention counts from each case's receipt date: a clock far behind erases nothing.
        XCTAssertEqual(try fixture.marac.applyRetention(RetentionSchedule(days: [.referral: 1])), [])
        _ = try fixture.vault.verifyLog()
        XCTAssertEqual(try fixture.marac.verifyCaseLinks().cases, 3)
    }
}
