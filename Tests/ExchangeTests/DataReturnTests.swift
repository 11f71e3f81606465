@testable import Exchange
import Foundation
import Vault
import XCTest

/// The quarterly data return (`docs/data-return.md`) against a hand count: cases with
/// attributes drawn from a seeded generator, heard at meetings in and out of the quarter
/// and in every state, counted here from the attributes the test chose.
final class DataReturnTests: XCTestCase {
    var fixture: MaracFixture!
    override func tearDown() { fixture?.cleanUp() }

    /// What the test chose for one case.
    struct Victim {
        var number: CaseNumber
        var agencyKind: String
        var repeatCase: Bool
        var bme = false, lgbtq = false, disabled = false, male = false, aged16to17 = false
        var children = 0
        var youngPerpetrator = false
    }

    /// The same cases on every run.
    typealias Generator = SeededGenerator

    /// A date of birth giving `age` on `day` (17 and 364 days for `nearly: true`).
    func dob(age: Int, on day: CalendarDate, nearly: Bool = false) -> String {
        let birthday = CalendarDate(year: day.year - age - (nearly ? 1 : 0), month: day.month, day: day.day)!
        return (nearly ? birthday.adding(days: 1) : birthday).description
    }

    /// Takes `count` generated referrals on the clock's day.
    func generate(_ count: Int, _ random: inout Generator, earlier: inout [(name: String, dob: String)]) throws -> [Victim] {
        try (0..<count).map { _ in
            let today = CalendarDate(fixture.clock.now)
            // Names of letters only, each its own surname, and a date of birth each: no two
            // generated victims are the same person unless the test makes a repeat.
            let letters = Array("abcdefghijklmnopqrstuvwxyz")
            var name = "Victim " + "Q" + String(letters[earlier.count / 26]) + String(letters[earlier.count % 26]) + "son"
            var birth = CalendarDate("1980-01-01")!.adding(days: 37 * earlier.count).description
            var victim = Victim(number: CaseNumber("M-2026-0001")!, agencyKind: Bool.random(using: &random) ? "police" : "health", repeatCase: false)
            if !earlier.isEmpty && Int.random(in: 0..<5, using: &random) == 0 {  // the same victim again: a repeat
                (name, birth) = earlier[Int.random(in: 0..<earlier.count, using: &random)]
                victim.repeatCase = true
            } else {
                switch Int.random(in: 0..<6, using: &random) {
                case 0: birth = dob(age: 16, on: today)
                case 1: birth = dob(age: 17, on: today, nearly: true)
                case 2: birth = dob(age: 18, on: today)
                default: break
                }
                earlier.append((name, birth))
            }
            victim.bme = Bool.random(using: &random)
            victim.lgbtq = Int.random(in: 0..<4, using: &random) == 0
            victim.disabled = Int.random(in: 0..<3, using: &random) == 0
            let gender = ["male", "female", "other", nil][Int.random(in: 0..<4, using: &random)]
            victim.male = gender == "male"
            victim.children = Int.random(in: 0...3, using: &random)
            let perpetratorAge = [15, 17, 18, 40, nil][Int.random(in: 0..<5, using: &random)]
            victim.youngPerpetrator = perpetratorAge.map { $0 <= 17 } ?? false
            // Age on the day of receipt, counted by hand: whole years, less one before the birthday.
            let born = CalendarDate(birth)!
            let age = today.year - born.year - ((today.month, today.day) < (born.month, born.day) ? 1 : 0)
            victim.aged16to17 = age == 16 || age == 17

            var form = try FormEdit("valid/referral-police.json")
            form.set("date", today.description)
            form.set("dash.signedDate", today.description)
            form.set("referringAgency", victim.agencyKind == "police" ? "police" : "health")
            form.set("victim.name", name)
            form.set("victim.dob", birth)
            var diversity: [String: Any] = ["bme": victim.bme, "lgbtq": victim.lgbtq, "disabled": victim.disabled]
            if let gender { diversity["gender"] = gender }
            form.set("victim.diversity", diversity)
            form.set("children", (0..<victim.children).map { ["name": "Child \($0)", "dob": "2020-01-0\($0 + 1)"] })
            form.set("perpetrators.0.dob", perpetratorAge.map { dob(age: $0, on: today) })
            let accepted = try fixture.accept(Submission(bytes: form.bytes, agency: victim.agencyKind == "police" ? "police" : "health"))
            victim.number = try XCTUnwrap(accepted.caseNumber)
            return victim
        }
    }

    func meeting(_ date: String, _ cases: [Victim], to state: MeetingState) throws -> Meeting {
        let coordinator = MaracFixture.coordinator
        var meeting = try fixture.marac.meetings.create(date: CalendarDate(date)!, by: coordinator)
        for victim in cases { meeting = try fixture.marac.meetings.addCase(meeting.id, victim.number, by: coordinator) }
        while meeting.state != state { meeting = try fixture.marac.meetings.advance(meeting.id, to: meeting.state.next!, by: coordinator) }
        return meeting
    }

    func testTheReturnAgreesWithAHandCountOverGeneratedCases() throws {
        fixture = try MaracFixture(today: "2026-09-01", policy: DenyAllPolicy())  // no form may be read
        var random = Generator(state: 2026_4)
        var earlier: [(name: String, dob: String)] = []
        let september = try generate(8, &random, earlier: &earlier)
        _ = try meeting("2026-09-24", september, to: .closed)  // Q3: not in the return
        fixture.clock.set("2026-10-01")
        let october = try generate(12, &random, earlier: &earlier)
        let first = try meeting("2026-10-08", Array(september.prefix(3)) + october, to: .closed)
        fixture.clock.set("2026-11-02")
        let november = try generate(10, &random, earlier: &earlier)
        // Heard again in November (a second case heard), and new cases; left in session.
        let second = try meeting("2026-11-12", Array(october.prefix(4)) + november, to: .inSession)
        fixture.clock.set("2026-12-01")
        let december = try generate(6, &random, earlier: &earlier)
        _ = try meeting("2026-12-10", Array(december.prefix(3)), to: .agendaIssued)  // not held
        _ = try meeting("2027-01-07", Array(december.suffix(3)), to: .closed)  // held, but in Q1 2027

        // The hand count: each case on each meeting held in the quarter.
        let heard = Array(september.prefix(3)) + october + Array(october.prefix(4)) + november
        XCTAssertEqual(heard.count, 29)
        func count(_ property: (Victim) -> Bool) -> Int { heard.filter(property).count }
        XCTAssertGreaterThan(count(\.repeatCase), 0, "the generator made repeats")
        XCTAssertGreaterThan(count(\.youngPerpetrator), 0)
        XCTAssertGreaterThan(count(\.aged16to17), 0)

        let coordinator = MaracFixture.coordinator
        let before = try fixture.vault.treeHead().size
        let figures = try fixture.marac.dataReturn(Quarter("2026Q4")!, adultFemalePopulation: 120_000, by: coordinator)
        XCTAssertEqual(figures.meetings, [.init(id: first.id, date: CalendarDate("2026-10-08")!, cases: 15),
                                          .init(id: second.id, date: CalendarDate("2026-11-12")!, cases: 14)])
        XCTAssertEqual(figures.casesHeard, 29)
        XCTAssertEqual(figures.repeatCases, count(\.repeatCase))
        XCTAssertEqual(figures.policeReferrals, count { $0.agencyKind == "police" })
        XCTAssertEqual(figures.partnerReferrals, count { $0.agencyKind != "police" })
        XCTAssertEqual(figures.referralsByAgencyKind, ["police": count { $0.agencyKind == "police" }, "health": count { $0.agencyKind == "health" }])
        XCTAssertEqual(figures.victimsRaciallyMinoritised, count(\.bme))
        XCTAssertEqual(figures.victimsLGBT, count(\.lgbtq))
        XCTAssertEqual(figures.victimsDisabled, count(\.disabled))
        XCTAssertEqual(figures.victimsMale, count(\.male))
        XCTAssertEqual(figures.victimsAged16to17, count(\.aged16to17))
        XCTAssertEqual(figures.childrenInHouseholds, heard.map(\.children).reduce(0, +))
        XCTAssertEqual(figures.perpetratorsAged17OrUnder, count(\.youngPerpetrator))
        XCTAssertEqual(figures.casesWithoutEqualityFacts, 0)
        XCTAssertEqual(figures.casesWithoutPerpetratorAge, 0)
        // 29 a quarter, 116 a year, per 120,000 women: 9.7 per 10,000.
        XCTAssertEqual(figures.casesPer10000AdultWomen, 9.7)

        // One entry, counts only, under the statistics bases.
        XCTAssertEqual(try fixture.vault.treeHead().size, before + 1)
        let entry = try fixture.logEntry(before)
        XCTAssertEqual(entry.operation, .consultation)
        XCTAssertEqual(entry.actor, coordinator.actor)
        XCTAssertEqual(entry.records, [])
        XCTAssertEqual(entry.bases, ["ukgdpr-6-1-e", "ukgdpr-9-2-g"])
        XCTAssertEqual(entry.details, ["what": "data-return", "quarter": "2026Q4", "meetings": "2", "cases": "29"])

        // The output formats carry the same figures.
        let json = DataReturnJSON.json(figures)
        XCTAssertEqual(json["figures"]?["casesHeard"], .number(29))
        XCTAssertEqual(json["casesPer10000AdultWomen"], .number(9.7))
        let csv = DataReturnJSON.csv(json)
        XCTAssertTrue(csv.hasPrefix("figure,detail,value\r\nquarter,2026-10-01 to 2026-12-31,2026Q4\r\nmeeting,\(first.id) 2026-10-08,15\r\n"), csv)
        XCTAssertTrue(csv.contains("\r\nrepeatCases,repeat cases,\(count(\.repeatCase))\r\n"), csv)
        XCTAssertTrue(csv.hasSuffix("\r\ncasesPer10000AdultWomen,a year at this quarter's rate; SafeLives recommends 40,9.7\r\n"), csv)
    }

    func testOnlyTheCoordinatorOrAnIGOfficerComputesItAndAQuarterIsYYYYQn() throws {
        fixture = try MaracFixture(today: "2026-10-01")
        let before = try fixture.vault.treeHead().size
        let representative = Principal(uid: 1002, name: "Police rep", agency: "police", roles: [.representative])
        XCTAssertThrowsError(try fixture.marac.dataReturn(Quarter("2026Q4")!, adultFemalePopulation: nil, by: representative)) {
            XCTAssertEqual($0 as? ExchangeError, .notPermitted("only the coordinator or an IG officer may compile the quarterly data return"))
        }
        XCTAssertEqual(try fixture.vault.treeHead().size, before, "a refusal opens nothing and logs nothing here")
        let officer = Principal(uid: 1003, name: "IG", agency: "police", roles: [.igOfficer])
        let empty = try fixture.marac.dataReturn(Quarter("2026Q4")!, adultFemalePopulation: nil, by: officer)
        XCTAssertEqual(empty.casesHeard, 0)
        XCTAssertNil(empty.casesPer10000AdultWomen)
        XCTAssertNil(DataReturnJSON.json(empty)["casesPer10000AdultWomen"])

        XCTAssertEqual(Quarter("2026Q1")?.first, CalendarDate("2026-01-01"))
        XCTAssertEqual(Quarter("2026Q1")?.last, CalendarDate("2026-03-31"))
        XCTAssertEqual(Quarter("2024Q1")?.last, CalendarDate("2024-03-31"))
        XCTAssertEqual(Quarter("2026Q2")?.last, CalendarDate("2026-06-30"))
        XCTAssertEqual(Quarter("2026Q3")?.last, CalendarDate("2026-09-30"))
        XCTAssertEqual(Quarter("2026Q4")?.last, CalendarDate("2026-12-31"))
        for bad in ["2026Q0", "2026Q5", "2026q4", "26Q4", "2026-Q4", "2026Q44", "Q4", "", "１９９９Q1", "1999Q1"] {
            XCTAssertNil(Quarter(bad), bad)
        }
    }
}
