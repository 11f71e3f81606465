@testable import Exchange
import Foundation
import Vault
import XCTest

/// Minutes packs (`docs/packs.md`, "Minutes pack"): after the close, to each agency that
/// attended or owns an action and to no other; the plan and the actions exactly as
/// recorded; the case's open actions from earlier meetings; one disclosure per document
/// per agency under the `minutes-pack` row.
final class MinutesTests: XCTestCase {
    var fixture: MaracFixture!
    let coordinator = MaracFixture.coordinator
    let chair = Principal(uid: 1005, name: "Chair Person", agency: "police", roles: [.chair])
    let police = Principal(uid: 1002, name: "Police rep", agency: "police", roles: [.representative])
    let idva = Principal(uid: 1004, name: "Idva rep", agency: "idva", roles: [.representative])

    override func setUpWithError() throws {
        fixture = try MaracFixture(today: "2026-11-01", policy: MaracAccessPolicy(registry: .builtIn))
        for agency in ["police", "housing", "idva", "health", "probation"] {
            let certificate = try Certificate.selfSigned(commonName: "\(agency) recipient", key: try PrivateKey.generateP256(), validityDays: 365,
                                                         notBefore: fixture.clock.now - 3_600, usage: .recipient)
            try fixture.marac.agencies.setCertificate(agency, certificate.derRepresentation)
        }
    }
    override func tearDown() { fixture.cleanUp() }

    /// A meeting on `date` with `number` on its agenda, police, idva and health invited,
    /// opened by the chair.
    func sitting(_ number: CaseNumber, on date: String) throws -> Meeting {
        let meeting = try fixture.schedule(number, inviting: ["police", "idva", "health"], on: date)
        _ = try fixture.marac.sendAgenda(meeting.id, by: coordinator)
        fixture.clock.set(date)
        return try fixture.marac.meetings.advance(meeting.id, to: .inSession, by: chair)
    }

    func testTheMinutesGoToWhoAttendedOrOwnsAnActionWithThePlanAsRecorded() throws {
        let number = try XCTUnwrap(try fixture.accept(fixture.referral()).caseNumber)
        // An earlier meeting left police an action still open.
        let earlier = try sitting(number, on: "2026-11-12")
        let carried = try fixture.marac.addAction(NewAction(meeting: earlier.id, caseNumber: number, owner: "police", due: CalendarDate("2026-11-30")!,
                                                            risk: .perpetrator, text: "Earlier action"), by: chair)
        _ = try fixture.marac.meetings.advance(earlier.id, to: .closed, by: chair)

        let meeting = try sitting(number, on: "2026-12-10")
        XCTAssertThrowsError(try fixture.marac.sendMinutes(meeting.id, maracName: "Test Marac", statement: "In confidence.", by: coordinator)) {
            XCTAssertEqual($0 as? ExchangeError, .conflict("meeting \(meeting.id) is in-session; the minutes go out once it is closed"))
        }
        _ = try fixture.marac.meetings.declare(meeting.id, person: police.name, agency: "police", statement: [1], by: police)
        _ = try fixture.marac.meetings.declare(meeting.id, person: idva.name, agency: "idva", statement: [1], by: idva)
        let housing = try fixture.marac.addAction(NewAction(meeting: meeting.id, caseNumber: number, owner: "housing", due: CalendarDate("2026-12-24")!,
                                                            risk: .victim, text: "Change the locks"), by: chair)
        try fixture.marac.recordPlan(meeting.id, case: number, .risks([.victim: "First risks"]), by: chair)
        try fixture.marac.recordPlan(meeting.id, case: number, .risks([.victim: "Corrected risks", .staff: "Staff visits in pairs"]), by: chair)
        try fixture.marac.recordPlan(meeting.id, case: number, .idva(safeAsPossible: false, why: "The victim will not move"), by: idva)
        try fixture.marac.recordPlan(meeting.id, case: number, .links([.childProtection]), by: chair)
        _ = try fixture.marac.recordAttendance(meeting.id, agency: "health", role: .apology, researchSent: false, by: chair)
        _ = try fixture.marac.meetings.advance(meeting.id, to: .closed, by: chair)

        let police = self.police
        XCTAssertThrowsError(try fixture.marac.sendMinutes(meeting.id, maracName: "Test Marac", statement: "In confidence.", by: police)) {
            XCTAssertEqual($0 as? ExchangeError, .notPermitted("only the coordinator may send the minutes"))
        }
        fixture.clock.set("2026-12-16")  // Thursday 10th to Wednesday 16th: four working days
        let before = try fixture.vault.treeHead().size
        let issue = try fixture.marac.sendMinutes(meeting.id, maracName: "Test Marac", statement: "In confidence.", by: coordinator)
        XCTAssertEqual(issue.version, 1)
        XCTAssertEqual(issue.workingDaysAfter, 4)
        // Police and the Idva attended; housing owns an action; health sent apologies and
        // probation was never there: neither gets minutes.
        XCTAssertEqual(issue.packs.map(\.agency), ["housing", "idva", "police"])
        // One record entry, then one disclosure per document (3 plan parts, 1 action) per agency.
        XCTAssertEqual(try fixture.vault.treeHead().size, before + 1 + 3 * 4)
        let disclosure = try fixture.logEntry(before + 1)
        XCTAssertEqual(disclosure.operation, .disclosure)
        XCTAssertEqual(disclosure.details["rule"], "minutes-pack")
        XCTAssertEqual(disclosure.bases, ["marac-isp"])

        let content = try JSONParser().parse(try XCTUnwrap(issue.packs.first { $0.agency == "housing" }).content).value
        XCTAssertEqual(content["type"], "minutes")
        XCTAssertEqual(content["recipient"], "housing")
        XCTAssertEqual(content["marac"], "Test Marac")
        XCTAssertEqual(content["chair"], .object(JSONObject(["person": "Chair Person", "agency": "police"])))
        XCTAssertEqual(content["attendees"]?.array?.compactMap { $0["agency"]?.string }, ["idva", "police"])
        XCTAssertEqual(content["apologies"], .array([.object(JSONObject(["agency": "health", "researchSent": false]))]))
        XCTAssertEqual(content["confidentiality"], "In confidence.")
        XCTAssertEqual(content["copying"]?.string, MinutesRules.copying)
        let entry = try XCTUnwrap(content["cases"]?.array?.first)
        XCTAssertEqual(entry["case"]?.string, number.description)
        XCTAssertEqual(entry["risks"], .object(JSONObject(["staff": "Staff visits in pairs", "victim": "Corrected risks"])), "the latest risks")
        XCTAssertEqual(entry["idva"], .object(JSONObject(["safeAsPossible": false, "why": "The victim will not move"])))
        XCTAssertEqual(entry["links"], .array(["child-protection"]))
        XCTAssertEqual(entry["actions"], .array([.object(JSONObject(["id": .string(housing.id), "owner": "housing", "due": "2026-12-24",
                                                                     "risk": "victim", "status": "open", "text": "Change the locks"]))]))
        XCTAssertEqual(entry["openActionsFromEarlierMeetings"], .array([.object(JSONObject([
            "id": .string(carried.id), "meeting": .string(earlier.id), "owner": "police", "due": "2026-11-30", "status": "open"]))]))

        // Sent again: version 2, to the same agencies.
        XCTAssertEqual(try fixture.marac.sendMinutes(meeting.id, maracName: "Test Marac", statement: "In confidence.", by: coordinator).version, 2)

        // Once retention has erased the record, minutes still go out, with no text in them
        // and nothing erased read (one entry: the record of the send).
        fixture.clock.set("2026-12-20")
        XCTAssertFalse(try fixture.marac.applyRetention(RetentionSchedule(days: [.referral: 1])).isEmpty)
        let size = try fixture.vault.treeHead().size
        let late = try fixture.marac.sendMinutes(meeting.id, maracName: "Test Marac", statement: "In confidence.", by: coordinator)
        XCTAssertEqual(try fixture.vault.treeHead().size, size + 1)
        let erased = try XCTUnwrap(try JSONParser().parse(try XCTUnwrap(late.packs.first).content).value["cases"]?.array?.first)
        XCTAssertNil(erased["risks"])
        XCTAssertEqual(erased["actions"]?.array?.first?["text"], .null)
        XCTAssertEqual(erased["actions"]?.array?.first?["id"], .string(housing.id))
    }

    func testWorkingDaysCountMondayToFriday() {
        func days(_ from: String, _ to: String) -> Int { MinutesCase.workingDays(from: CalendarDate(from)!, to: CalendarDate(to)!) }
        XCTAssertEqual(days("2026-12-10", "2026-12-10"), 0)  // Thursday, the same day
        XCTAssertEqual(days("2026-12-10", "2026-12-11"), 1)  // Friday
        XCTAssertEqual(days("2026-12-10", "2026-12-13"), 1)  // Sunday
        XCTAssertEqual(days("2026-12-10", "2026-12-14"), 2)  // Monday
        XCTAssertEqual(days("2026-12-10", "2026-12-15"), 3)
        XCTAssertEqual(days("2026-12-12", "2026-12-13"), 0)  // Saturday to Sunday
        XCTAssertEqual(days("2026-12-10", "2026-12-09"), 0)
        XCTAssertEqual(days("2026-12-31", "2027-01-08"), 6)  // New Year's Day is a Friday, counted
    }

    /// The next agenda (`docs/packs.md`, "Agenda pack"): children's cases first, each
    /// case's open actions from earlier meetings, and a year since the last Marac flagged.
    func testTheNextAgendaListsOpenActionsChildrenFirstAndFlagsAYearSinceTheLastMarac() throws {
        // More than a year before the next meeting, a meeting heard the first case.
        fixture.clock.set("2025-10-01")
        let heardLongAgo = try XCTUnwrap(try fixture.accept(fixture.referral(name: "Long Ago")).caseNumber)
        let old = try fixture.marac.meetings.create(date: CalendarDate("2025-10-09")!, by: coordinator)
        _ = try fixture.marac.meetings.addCase(old.id, heardLongAgo, by: coordinator)
        for state in [MeetingState.agendaIssued, .inSession, .closed] { _ = try fixture.marac.meetings.advance(old.id, to: state, by: chair) }
        fixture.clock.set("2026-11-01")
        let adultOnly = try XCTUnwrap(try fixture.accept(fixture.referral(name: "Adult Only", edits: [("children", [Any]())])).caseNumber)
        let withAction = try XCTUnwrap(try fixture.accept(fixture.referral(name: "With Action")).caseNumber)
        // November's meeting left housing an open action on the third, police a done one.
        let november = try sitting(withAction, on: "2026-11-12")
        let open = try fixture.marac.addAction(NewAction(meeting: november.id, caseNumber: withAction, owner: "housing",
                                                         due: CalendarDate("2026-11-30")!, risk: .children, text: "Open one"), by: chair)
        let done = try fixture.marac.addAction(NewAction(meeting: november.id, caseNumber: withAction, owner: "police",
                                                         due: CalendarDate("2026-11-30")!, risk: .victim, text: "Done one"), by: chair)
        _ = try fixture.marac.updateAction(done.id, to: .done, on: CalendarDate("2026-11-12")!, note: "", by: police)
        _ = try fixture.marac.meetings.advance(november.id, to: .closed, by: chair)

        let december = try fixture.marac.meetings.create(date: CalendarDate("2026-12-10")!, by: coordinator)
        for number in [heardLongAgo, adultOnly, withAction] { _ = try fixture.marac.meetings.addCase(december.id, number, by: coordinator) }
        _ = try fixture.marac.meetings.invite(december.id, agencies: ["police"], by: coordinator)
        let issue = try fixture.marac.sendAgenda(december.id, by: coordinator)
        let cases = try XCTUnwrap(try JSONParser().parse(try XCTUnwrap(issue.packs.first).content).value["cases"]?.array)
        XCTAssertEqual(cases.compactMap { $0["case"]?.string }, [heardLongAgo, withAction, adultOnly].map(\.description), "children's cases first")
        XCTAssertEqual(cases[0]["lastMarac"], "2025-10-09")
        XCTAssertEqual(cases[0]["twelveMonthsSinceLastMarac"], .bool(true))
        XCTAssertEqual(cases[0]["openActions"], .array([]))
        XCTAssertEqual(cases[1]["lastMarac"], "2026-11-12")
        XCTAssertEqual(cases[1]["twelveMonthsSinceLastMarac"], .bool(false))
        XCTAssertEqual(cases[1]["openActions"], .array([.object(JSONObject([
            "id": .string(open.id), "meeting": .string(november.id), "owner": "housing", "due": "2026-11-30", "status": "open"]))]))
        XCTAssertNil(cases[2]["lastMarac"], "never heard")
        XCTAssertNil(cases[2]["twelveMonthsSinceLastMarac"])
    }

    /// Overdue notices (`docs/actions.md`): once a day to each agency with open actions past
    /// their due date, ids and dates only, logged before they are written; not again that
    /// day once written; none for an agency without a valid certificate.
    func testOverdueNoticesGoOnceADayToEachOwnerOfOverdueActions() throws {
        let number = try XCTUnwrap(try fixture.accept(fixture.referral()).caseNumber)
        let meeting = try sitting(number, on: "2026-12-10")
        let housing = try fixture.marac.addAction(NewAction(meeting: meeting.id, caseNumber: number, owner: "housing", due: CalendarDate("2026-12-17")!,
                                                            risk: .victim, text: "Secret action text"), by: chair)
        let children = try fixture.marac.addAction(NewAction(meeting: meeting.id, caseNumber: number, owner: "children", due: CalendarDate("2026-12-17")!,
                                                             risk: .children, text: "Another"), by: chair)
        let done = try fixture.marac.addAction(NewAction(meeting: meeting.id, caseNumber: number, owner: "police", due: CalendarDate("2026-12-17")!,
                                                         risk: .victim, text: "Done"), by: chair)
        _ = try fixture.marac.updateAction(done.id, to: .done, on: CalendarDate("2026-12-10")!, note: "", by: police)
        XCTAssertTrue(try fixture.marac.overdueNoticesDue().notices.isEmpty, "nothing is overdue yet")
        fixture.clock.set("2026-12-17")
        XCTAssertTrue(try fixture.marac.overdueNoticesDue().notices.isEmpty, "due today is not overdue")

        fixture.clock.set("2026-12-18")
        let before = try fixture.vault.treeHead().size
        let run = try fixture.marac.overdueNoticesDue()
        XCTAssertEqual(run.overdueActions, 2)
        XCTAssertEqual(run.notices.map(\.agency), ["housing"])
        XCTAssertEqual(run.skipped.map(\.agency), ["children"], "children has no certificate")
        XCTAssertEqual(run.notices[0].fileName, "overdue-2026-12-18.p7m")
        let content = try JSONParser().parse(run.notices[0].content).value
        XCTAssertEqual(content["actions"], .array([.object(JSONObject(["id": .string(housing.id), "case": .string(number.description),
            "meeting": .string(meeting.id), "due": "2026-12-17", "status": "open"]))]))
        XCTAssertFalse(String(decoding: run.notices[0].content, as: UTF8.self).contains("Secret"), "no action text")
        XCTAssertEqual(try fixture.vault.treeHead().size, before + 1)
        let entry = try fixture.logEntry(before)
        XCTAssertEqual(entry.operation, .disclosure)
        XCTAssertEqual(entry.recipients, ["housing"])
        XCTAssertEqual(entry.details["actions"], housing.id)
        _ = children

        // Not written yet: due again. Written: not again that day; the next day, again.
        XCTAssertEqual(try fixture.marac.overdueNoticesDue().notices.map(\.agency), ["housing"])
        try fixture.marac.noticesWritten(run.notices)
        XCTAssertTrue(try fixture.marac.overdueNoticesDue().notices.isEmpty)
        fixture.clock.set("2026-12-19")
        XCTAssertEqual(try fixture.marac.overdueNoticesDue().notices.map(\.agency), ["housing"])
    }
}
