@testable import Exchange
import Foundation
import Vault
import XCTest

/// The action plan in session and its follow-up (`docs/actions.md`): who may record what,
/// the SMART refusals, the owner-only update with its logged refusal, the lists, and the
/// texts kept out of the log and readable only through the access policy.
final class ActionTests: XCTestCase {
    var fixture: MaracFixture!
    let coordinator = MaracFixture.coordinator
    let chair = Principal(uid: 1005, name: "Chair", agency: "police", roles: [.chair])
    let police = Principal(uid: 1002, name: "Police rep", agency: "police", roles: [.representative])
    let housing = Principal(uid: 1003, name: "Housing rep", agency: "housing", roles: [.representative])
    let idva = Principal(uid: 1004, name: "Idva rep", agency: "idva", roles: [.representative])
    var meeting: Meeting!
    var number: CaseNumber!

    override func setUpWithError() throws {
        fixture = try MaracFixture(today: "2026-12-01", policy: MaracAccessPolicy(registry: .builtIn))
        number = try XCTUnwrap(try fixture.accept(fixture.referral()).caseNumber)
        meeting = try fixture.schedule(number, inviting: ["police", "housing", "idva"], on: "2026-12-10")
        fixture.clock.set("2026-12-10")
    }
    override func tearDown() { fixture.cleanUp() }

    func action(_ owner: String, due: String = "2026-12-24", text: String = "Install a panic alarm at the victim's address",
                by principal: Principal) throws -> ActionRecord {
        try fixture.marac.addAction(NewAction(meeting: meeting.id, caseNumber: number, owner: owner, due: CalendarDate(due)!, risk: .victim, text: text),
                                    by: principal)
    }

    func sit() throws {
        _ = try fixture.marac.meetings.advance(meeting.id, to: .agendaIssued, by: chair)
        _ = try fixture.marac.meetings.advance(meeting.id, to: .inSession, by: chair)
    }

    func testActionsAreRecordedInSessionByTheChairOrADeclaredRepresentativeForTheirOwnAgency() throws {
        XCTAssertThrowsError(try action("police", by: chair)) {
            XCTAssertEqual($0 as? ExchangeError, .notPermitted("only the chair, the coordinator, or a declared representative for their own agency "
                                                               + "records an action; meeting \(self.meeting.id) is not in session with the case on its agenda"))
        }
        try sit()
        let before = try fixture.vault.treeHead().size
        let first = try action("housing", by: chair)
        XCTAssertEqual(first.id, "\(number!)-A1")
        XCTAssertEqual(first.status, .open)
        XCTAssertEqual(first.owner, "housing")
        XCTAssertEqual(try fixture.vault.treeHead().size, before + 1, "one entry")
        let entry = try fixture.logEntry(before)
        XCTAssertEqual(entry.operation, .collection)
        XCTAssertEqual(entry.records, [first.document])
        XCTAssertEqual(entry.details, ["what": "action", "id": first.id, "due": "2026-12-24", "owner": "housing"])
        XCTAssertFalse(String(decoding: entry.encoded(), as: UTF8.self).contains("panic alarm"), "the text is never in the log")

        // A representative: their own agency only, and only once declared.
        XCTAssertThrowsError(try action("police", by: police)) { XCTAssertEqual(($0 as? ExchangeError).map { "\($0)" }?.hasPrefix("not permitted"), true) }
        _ = try fixture.marac.meetings.declare(meeting.id, person: police.name, agency: "police", statement: [1], by: police)
        XCTAssertEqual(try action("police", by: police).id, "\(number!)-A2")
        XCTAssertThrowsError(try action("housing", by: police)) { XCTAssertEqual(($0 as? ExchangeError).map { "\($0)" }?.hasPrefix("not permitted"), true) }

        // SMART: a real owner, a due date on or after the meeting; nothing written otherwise.
        let size = try fixture.vault.treeHead().size
        XCTAssertThrowsError(try action("nobody", by: chair)) { XCTAssertEqual($0 as? ExchangeError, .unknownAgency("nobody")) }
        XCTAssertThrowsError(try action("police", due: "2026-12-09", by: chair)) {
            XCTAssertEqual($0 as? ExchangeError, .invalidRequest("the due date must be a real date on or after the meeting (2026-12-10)"))
        }
        XCTAssertThrowsError(try action("police", text: "  \n", by: chair)) { XCTAssertEqual($0 as? ExchangeError, .invalidRequest("the action is empty")) }
        XCTAssertThrowsError(try action("police", text: String(repeating: "a", count: 4_001), by: chair)) {
            XCTAssertEqual($0 as? ExchangeError, .invalidRequest("the action is longer than 4000 characters"))
        }
        XCTAssertEqual(try fixture.vault.treeHead().size, size, "no refused action logged anything")
        XCTAssertEqual(try fixture.marac.actions(for: coordinator).map(\.id), ["\(number!)-A1", "\(number!)-A2"])

        // The text: read by the owner, by a declared attendee in session, never after.
        let read = try fixture.marac.read(first.document, by: police, bases: [], reason: "the meeting")
        XCTAssertEqual(read.entry.details["rule"], "in-session")
        XCTAssertTrue(String(decoding: read.content.withUnsafeBytes { Array($0) }, as: UTF8.self).contains("panic alarm"))
        _ = try fixture.marac.meetings.advance(meeting.id, to: .closed, by: chair)
        XCTAssertThrowsError(try fixture.marac.read(first.document, by: police, bases: [], reason: "the meeting")) {
            XCTAssertEqual($0 as? VaultError, .accessDenied(document: first.document, reason: "meeting-not-in-session"))
        }
        XCTAssertEqual(try fixture.marac.read(first.document, by: housing, bases: ["dpa-s1-p18"], reason: "our action").entry.details["rule"], "own-agency")
    }

    func testThePlansPartsAreTheChairsAndTheIdvasConfirmationIsTheIdvas() throws {
        try sit()
        try fixture.marac.recordPlan(meeting.id, case: number, .risks([.victim: "Stalking at work", .children: "Contact handovers"]), by: chair)
        try fixture.marac.recordPlan(meeting.id, case: number, .links([.mappa, .childProtection, .mappa]), by: coordinator)
        XCTAssertThrowsError(try fixture.marac.recordPlan(meeting.id, case: number, .links([]), by: police)) {
            XCTAssertEqual($0 as? ExchangeError, .notPermitted("only the chair or the coordinator records the links to other processes"))
        }
        XCTAssertThrowsError(try fixture.marac.recordPlan(meeting.id, case: number, .idva(safeAsPossible: true, why: nil), by: idva)) {
            XCTAssertEqual($0 as? ExchangeError, .notPermitted("only the Idva, declared, confirms the plan"))
        }
        _ = try fixture.marac.meetings.declare(meeting.id, person: idva.name, agency: "idva", statement: [1], by: idva)
        _ = try fixture.marac.meetings.declare(meeting.id, person: police.name, agency: "police", statement: [1], by: police)
        XCTAssertThrowsError(try fixture.marac.recordPlan(meeting.id, case: number, .idva(safeAsPossible: true, why: nil), by: police)) {
            XCTAssertEqual($0 as? ExchangeError, .notPermitted("only the Idva, declared, confirms the plan"))
        }
        XCTAssertThrowsError(try fixture.marac.recordPlan(meeting.id, case: number, .idva(safeAsPossible: false, why: nil), by: idva)) {
            XCTAssertEqual($0 as? ExchangeError, .invalidRequest("why the plan is not as safe as possible is empty"))
        }
        let confirmation = try fixture.marac.recordPlan(meeting.id, case: number, .idva(safeAsPossible: true, why: nil), by: idva)
        XCTAssertEqual(try fixture.vault.record(confirmation).agency, "idva")
        let parts = try fixture.vault.reading { tx in
            try tx.rows("SELECT part, kind, agency FROM x_minute WHERE meeting = ? ORDER BY recorded_at, part", [.text(self.meeting.id)])
                .map { "\($0[0].text!) \($0[1].text!) \($0[2].text!)" }
        }
        XCTAssertEqual(Set(parts), ["risks plan police", "links plan idva", "idva plan idva"])
        let links = try fixture.marac.read(try fixture.vault.reading { tx in
            try tx.rows("SELECT document FROM x_minute WHERE part = 'links'")[0][0].text!
        }, by: police, bases: [], reason: "the meeting")
        XCTAssertTrue(String(decoding: links.content.withUnsafeBytes { Array($0) }, as: UTF8.self).contains(#""links":["child-protection","mappa"]"#))
    }

    func testOnlyTheOwnerUpdatesAnActionAndTheListsShowWhatIsOpenAndOverdue() throws {
        try sit()
        let housingAction = try action("housing", due: "2026-12-17", by: chair)
        let policeAction = try action("police", due: "2027-01-10", by: chair)

        // Housing cannot update police's action: refused, and the refusal logged.
        let before = try fixture.vault.treeHead().size
        XCTAssertThrowsError(try fixture.marac.updateAction(policeAction.id, to: .done, on: CalendarDate("2026-12-10")!, note: "", by: housing)) {
            XCTAssertEqual($0 as? ExchangeError, .notPermitted("only agency police may update action \(policeAction.id)"))
        }
        XCTAssertEqual(try fixture.vault.treeHead().size, before + 1)
        let refusal = try fixture.logEntry(before)
        XCTAssertEqual(refusal.operation, .refusal)
        XCTAssertEqual(refusal.details, ["what": "action-update", "id": policeAction.id, "rule": "owning-agency-updates"])

        fixture.clock.set("2026-12-12")
        let done = try fixture.marac.updateAction(policeAction.id, to: .done, on: CalendarDate("2026-12-11")!, note: "Alarm fitted", by: police)
        XCTAssertEqual(done.status, .done)
        XCTAssertEqual(done.statusOn, CalendarDate("2026-12-11"))
        XCTAssertThrowsError(try fixture.marac.updateAction(policeAction.id, to: .inProgress, on: CalendarDate("2026-12-12")!, note: "", by: police)) {
            XCTAssertEqual($0 as? ExchangeError, .conflict("action \(policeAction.id) is done; it is not updated again"))
        }
        XCTAssertThrowsError(try fixture.marac.updateAction(housingAction.id, to: .inProgress, on: CalendarDate("2026-12-13")!, note: "", by: housing)) {
            XCTAssertEqual($0 as? ExchangeError, .invalidRequest("the update's date must be a real date, not in the future"))
        }
        XCTAssertThrowsError(try fixture.marac.updateAction("M-2026-0001-A9", to: .done, on: CalendarDate("2026-12-12")!, note: "", by: housing)) {
            XCTAssertEqual($0 as? ExchangeError, .unknownAction("M-2026-0001-A9"))
        }
        // A name typed where the id goes is neither logged nor echoed.
        let size = try fixture.vault.treeHead().size
        XCTAssertThrowsError(try fixture.marac.updateAction("TamsinQuinn", to: .done, on: CalendarDate("2026-12-12")!, note: "", by: housing)) {
            XCTAssertEqual($0 as? ExchangeError, .invalidRequest("the action must be an action id such as M-2026-0001-A1"))
        }
        XCTAssertEqual(try fixture.vault.treeHead().size, size, "no refusal entry naming it")
        let note = try fixture.vault.reading { tx in
            try tx.rows("SELECT document, agency FROM x_minute WHERE kind = 'action-update'").map { "\($0[1].text!)" }
        }
        XCTAssertEqual(note, ["police"], "the note is a document of the owner")

        // Overdue once past its due date and still open.
        XCTAssertEqual(try fixture.marac.actions(ActionFilter(overdueOnly: true), for: coordinator), [])
        fixture.clock.set("2026-12-18")
        XCTAssertEqual(try fixture.marac.actions(ActionFilter(overdueOnly: true), for: coordinator).map(\.id), [housingAction.id])
        XCTAssertEqual(try fixture.marac.actions(ActionFilter(openOnly: true), for: coordinator).map(\.id), [housingAction.id])
        XCTAssertEqual(try fixture.marac.actions(ActionFilter(agency: "police"), for: coordinator).map(\.id), [policeAction.id])
        XCTAssertEqual(try fixture.marac.actions(ActionFilter(meeting: "MTG-2030-01-01"), for: coordinator), [])
        // A representative sees their own agency's only.
        XCTAssertEqual(try fixture.marac.actions(for: housing).map(\.id), [housingAction.id])
        XCTAssertEqual(try fixture.marac.actions(ActionFilter(agency: "police"), for: housing), [])
    }

    func testObserversAndApologiesAreRecordedOnceUntilTheMeetingCloses() throws {
        let observer = try fixture.marac.recordAttendance(meeting.id, agency: "housing", person: "Student social worker", role: .observer,
                                                          declared: false, by: chair)
        XCTAssertEqual(observer.id, meeting.id)
        _ = try fixture.marac.recordAttendance(meeting.id, agency: "health", role: .apology, researchSent: true, by: coordinator)
        XCTAssertThrowsError(try fixture.marac.recordAttendance(meeting.id, agency: "health", role: .apology, by: coordinator)) {
            XCTAssertEqual($0 as? ExchangeError, .conflict("this apology is already recorded for \(self.meeting.id)"))
        }
        XCTAssertThrowsError(try fixture.marac.recordAttendance(meeting.id, agency: "health", person: "Someone", role: .apology, by: coordinator)) {
            XCTAssertEqual($0 as? ExchangeError, .invalidRequest("apologies are an agency's, not a person's"))
        }
        XCTAssertThrowsError(try fixture.marac.recordAttendance(meeting.id, agency: "health", role: .apology, by: police)) {
            XCTAssertEqual($0 as? ExchangeError, .notPermitted("only the coordinator or the chair may record observers and apologies"))
        }
        XCTAssertEqual(try fixture.marac.attendance(meeting.id), [
            AttendanceRecord(agency: "housing", person: "Student social worker", role: .observer, declared: false, researchSent: false),
            AttendanceRecord(agency: "health", person: "", role: .apology, declared: false, researchSent: true),
        ])
        try sit()
        _ = try fixture.marac.meetings.advance(meeting.id, to: .closed, by: chair)
        XCTAssertThrowsError(try fixture.marac.recordAttendance(meeting.id, agency: "probation", role: .apology, by: coordinator)) {
            XCTAssertEqual($0 as? ExchangeError, .conflict("meeting \(self.meeting.id) is closed"))
        }
    }

    /// The meeting's record goes with its case: into the case's view and exports, subject
    /// access, and retention (kept for the referral's period, erased with the case).
    func testTheRecordGoesWithTheCaseIntoExportsSubjectAccessAndRetention() throws {
        try sit()
        let action = try action("housing", by: chair)
        let risks = try fixture.marac.recordPlan(meeting.id, case: number, .risks([.victim: "Stalking"]), by: chair)
        _ = try fixture.marac.meetings.advance(meeting.id, to: .closed, by: chair)

        // Housing's view and export of the case: its own action, nothing it may not read.
        XCTAssertEqual(try fixture.marac.caseView(number, to: housing).documents.map(\.id), [action.document])
        guard case let .ready(content, documents) = try fixture.marac.exportCase(number, by: housing, bases: ["dpa-s1-p18"], reason: "our records") else {
            return XCTFail("housing's own action needs no one's approval")
        }
        XCTAssertEqual(documents, 1)
        let files = try XCTUnwrap(try JSONParser().parse(content).value["files"]?.object)
        let action64 = try XCTUnwrap(files["documents/\(action.document).json"]?.string)
        XCTAssertTrue(String(decoding: try XCTUnwrap(Data(base64Encoded: action64)), as: UTF8.self).contains("Install a panic alarm"),
                      "the action's text is in the export")
        XCTAssertEqual(Set(try fixture.marac.caseView(number, to: coordinator).documents.map(\.kind)), ["referral", "action", "plan"])

        // Subject access: the victim's search finds the case's record with the referral.
        let officer = Principal(uid: 1009, name: "IG", agency: "idva", roles: [.igOfficer], scope: .marac)
        let hits = try fixture.marac.subjectSearch(names: ["Tamsin Quinn"], dob: CalendarDate("1993-11-13")!, by: officer, bases: ["audit"], reason: "SAR 12")
        XCTAssertEqual(Set(hits.map(\.kind)), ["referral", "action", "plan"])
        XCTAssertTrue(hits.contains { $0.document == risks })

        // Retention: six years after the meeting, the record goes with the referral.
        fixture.clock.set("2032-12-11")
        let due = try fixture.marac.retentionDue(RetentionSchedule())
        XCTAssertEqual(Set(due.map(\.documentKind)), ["referral", "action", "plan"])
        XCTAssertTrue(due.allSatisfy { $0.kind == .referral && $0.due == CalendarDate("2032-12-10") })
        try fixture.marac.applyRetention(RetentionSchedule())
        XCTAssertEqual(try fixture.vault.record(action.document).erasedAt != nil, true)
        XCTAssertEqual(try fixture.vault.reading { tx in try tx.rows("SELECT length(facts) FROM x_case")[0][0].integer }, 0,
                       "the case's sealed facts went with its last document")
        XCTAssertEqual(try fixture.marac.actions(for: coordinator).map(\.id), [action.id], "the action's row (ids, owner, dates) stays")
    }
}
