@testable import Exchange
import Foundation
import Vault
import XCTest

/// The fourth form kind, `action-update` (`docs/forms.md`, `docs/actions.md`), taken
/// through intake like any form: stored as the owner's update, the action's status set, a
/// receipt's worth of facts; refused with one report whether the action is unknown or
/// another agency's (the refusal logged), and refused once the action is closed.
final class ActionUpdateIntakeTests: XCTestCase {
    var fixture: MaracFixture!
    let chair = Principal(uid: 1005, name: "Chair", agency: "police", roles: [.chair])
    var police: ActionRecord!

    override func setUpWithError() throws {
        fixture = try MaracFixture(today: "2026-11-01")
        let number = try XCTUnwrap(try fixture.accept(fixture.referral()).caseNumber)
        XCTAssertEqual(number.description, "M-2026-0001")
        let meeting = try fixture.schedule(number, inviting: ["police", "housing"], on: "2026-11-12")
        fixture.clock.set("2026-11-12")
        _ = try fixture.marac.meetings.advance(meeting.id, to: .agendaIssued, by: chair)
        _ = try fixture.marac.meetings.advance(meeting.id, to: .inSession, by: chair)
        _ = try fixture.marac.addAction(NewAction(meeting: meeting.id, caseNumber: number, owner: "housing", due: CalendarDate("2026-11-30")!,
                                                  risk: .victim, text: "Housing's"), by: chair)
        police = try fixture.marac.addAction(NewAction(meeting: meeting.id, caseNumber: number, owner: "police", due: CalendarDate("2026-11-30")!,
                                                       risk: .perpetrator, text: "Police's"), by: chair)
        XCTAssertEqual(police.id, "M-2026-0001-A2", "the fixture names this action")
        fixture.clock.set("2026-11-20")
    }
    override func tearDown() { fixture.cleanUp() }

    func update(from agency: String, _ edits: [(String, Any?)] = []) throws -> Submission {
        var form = try FormEdit("valid/action-update-police.json")
        for (path, value) in edits { form.set(path, value) }
        return Submission(bytes: form.bytes, agency: agency)
    }

    func testTheOwnersUpdateIsStoredAndSetsTheStatus() throws {
        let before = try fixture.vault.treeHead().size
        let accepted = try fixture.accept(try update(from: "police"))
        XCTAssertEqual(accepted.kind, .actionUpdate)
        XCTAssertEqual(accepted.caseNumber?.description, "M-2026-0001")
        let action = try XCTUnwrap(try fixture.marac.actions(for: MaracFixture.coordinator).first { $0.id == police.id })
        XCTAssertEqual(action.status, .done)
        XCTAssertEqual(action.statusOn, CalendarDate("2026-11-19"))
        let record = try fixture.vault.record(accepted.document)
        XCTAssertEqual(record.kind, "action-update")
        XCTAssertEqual(record.agency, "police")
        XCTAssertEqual(record.metadata["case"], "M-2026-0001")
        XCTAssertEqual(try fixture.vault.treeHead().size, before + 1)
        let entry = try fixture.logEntry(before)
        XCTAssertEqual(entry.operation, .collection)
        XCTAssertEqual(entry.details["kind"], "action-update")
        XCTAssertEqual(Set((entry.facts ?? []).map(\.table)), ["x_minute", "x_action"], "the entry records both facts it changed")
        // The same bytes again: the same receipt, nothing new.
        XCTAssertTrue(try fixture.accept(try update(from: "police")).duplicate)
        // Closed now: a different update is refused, naming the status.
        guard case let .rejected(rejection, _) = try fixture.marac.submit(try update(from: "police", [("status", "in-progress")])) else {
            return XCTFail("a closed action was updated")
        }
        XCTAssertEqual(rejection.problems.map(\.description), ["$.status: action \(police.id) is done; it is not updated again"])
    }

    func testAnotherAgencysActionOrAnUnknownOneGetsOneReportAndTheRefusalIsLogged() throws {
        for (agency, edits) in [("housing", [("agency", "housing")]), ("police", [("action", "M-2026-0001-A9")])] as [(String, [(String, Any?)])] {
            let before = try fixture.vault.treeHead().size
            guard case let .rejected(rejection, _) = try fixture.marac.submit(try update(from: agency, edits)) else {
                return XCTFail("\(agency): accepted")
            }
            XCTAssertEqual(rejection.problems.map(\.description), ["$.action: no action of this agency has this id"])
            XCTAssertEqual(try fixture.vault.treeHead().size, before + 1)
            let entry = try fixture.logEntry(before)
            XCTAssertEqual(entry.operation, .refusal)
            XCTAssertEqual(entry.details["rule"], "owning-agency-updates")
        }
        XCTAssertEqual(try fixture.marac.actions(for: MaracFixture.coordinator).map(\.status), [.open, .open], "nothing changed")
    }
}
