import Exchange
import Foundation
import Vault
import XCTest

/// Meeting rules: who may change a meeting, a case on one open meeting at a time,
/// declarations by invited principals once each or recorded by the chair, and every
/// change in the log.
final class MeetingTests: XCTestCase {
    var fixture: MaracFixture!
    let coordinator = MaracFixture.coordinator
    let chair = Principal(uid: 1005, name: "Chair", agency: "police", roles: [.chair, .representative])
    let housing = Principal(uid: 1008, name: "Housing rep", agency: "housing", roles: [.representative])

    override func setUpWithError() throws { fixture = try MaracFixture() }
    override func tearDown() { fixture.cleanUp() }

    func testACaseSitsOnOneOpenMeetingAtATimeAndOnlyTheCoordinatorSchedules() throws {
        let number = try XCTUnwrap(try fixture.accept(fixture.fixture("valid/referral-police.json")).caseNumber)
        XCTAssertThrowsError(try fixture.marac.meetings.create(date: CalendarDate("2026-12-10")!, by: chair)) {
            XCTAssertEqual($0 as? ExchangeError, .notPermitted("only the coordinator may schedule a meeting"))
        }
        XCTAssertThrowsError(try fixture.marac.meetings.create(date: CalendarDate("2026-11-19")!, by: coordinator)) {
            XCTAssertEqual($0 as? ExchangeError, .invalidRequest("meeting date 2026-11-19 is in the past"))
        }
        XCTAssertNoThrow(try fixture.marac.meetings.create(date: CalendarDate("2026-11-20")!, by: coordinator), "today is not the past")
        let first = try fixture.schedule(number, on: "2026-12-10")
        let second = try fixture.marac.meetings.create(date: CalendarDate("2026-12-10")!, by: coordinator)
        XCTAssertEqual(second.id, first.id + "-2", "a second meeting that day")
        XCTAssertThrowsError(try fixture.marac.meetings.addCase(second.id, number, by: coordinator)) {
            XCTAssertEqual($0 as? ExchangeError, .conflict("case \(number) is already on meeting \(first.id)"))
        }
        for state in [MeetingState.agendaIssued, .inSession, .closed] { _ = try fixture.marac.meetings.advance(first.id, to: state, by: coordinator) }
        XCTAssertEqual(try fixture.marac.meetings.addCase(second.id, number, by: coordinator).agenda, [number], "once the first has closed")
        XCTAssertThrowsError(try fixture.marac.meetings.addCase(first.id, number, by: coordinator)) {
            XCTAssertEqual($0 as? ExchangeError, .conflict("meeting \(first.id) is closed"))
        }
    }

    func testDeclarationsAreForInvitedAgenciesOnceEachOrRecordedByTheChair() throws {
        let number = try XCTUnwrap(try fixture.accept(fixture.fixture("valid/referral-police.json")).caseNumber)
        let meeting = try fixture.schedule(number, inviting: ["police", "health"])
        let statement = Array("statement".utf8)
        XCTAssertThrowsError(try fixture.marac.meetings.declare(meeting.id, person: housing.name, agency: "housing", statement: statement, by: housing)) {
            XCTAssertEqual($0 as? ExchangeError, .notPermitted("agency housing is not invited to \(meeting.id)"))
        }
        XCTAssertThrowsError(try fixture.marac.meetings.declare(meeting.id, person: "A. Attendee", agency: "health", statement: statement, by: housing)) {
            XCTAssertEqual($0 as? ExchangeError, .notPermitted("only the chair records a declaration for someone else"))
        }
        let before = try fixture.vault.treeHead().size
        let recorded = try fixture.marac.meetings.declare(meeting.id, person: "A. Attendee", agency: "health", statement: statement, by: chair)
        XCTAssertEqual(recorded.declarations.map { "\($0.person)/\($0.agency)/\($0.recordedBy)" }, ["A. Attendee/health/Chair"])
        XCTAssertEqual(recorded.declarations.first?.statementSHA256, Hex.encode(SHA256.hash(statement)))
        let entry = try fixture.logEntry(before)
        XCTAssertEqual(entry.operation, .declaration)
        XCTAssertEqual(entry.meeting, meeting.id)
        XCTAssertEqual(entry.details["person"], "A. Attendee")
        XCTAssertEqual(entry.justification, "confidentiality declaration recorded by the chair")
    }

    /// Corrections before the agenda goes out (issue 24): an invitation withdrawn, a case
    /// taken off, each logged; refused once the agenda has disclosed anything.
    func testInvitationsAndCasesAreCorrectedOnlyBeforeTheAgendaGoesOut() throws {
        let number = try XCTUnwrap(try fixture.accept(fixture.fixture("valid/referral-police.json")).caseNumber)
        let meeting = try fixture.schedule(number, inviting: ["police", "health", "housing"], on: "2026-12-10")
        XCTAssertThrowsError(try fixture.marac.meetings.uninvite(meeting.id, agency: "housing", by: chair)) {
            XCTAssertEqual($0 as? ExchangeError, .notPermitted("only the coordinator may withdraw invitations"))
        }
        let before = try fixture.vault.treeHead().size
        XCTAssertEqual(try fixture.marac.meetings.uninvite(meeting.id, agency: "housing", by: coordinator).invited, ["health", "police"])
        let entry = try fixture.logEntry(before)
        XCTAssertEqual(entry.details["action"], "uninvite")
        XCTAssertEqual(entry.recipients, ["housing"])
        XCTAssertThrowsError(try fixture.marac.meetings.uninvite(meeting.id, agency: "housing", by: coordinator)) {
            XCTAssertEqual($0 as? ExchangeError, .conflict("agency housing is not invited to \(meeting.id)"))
        }
        XCTAssertEqual(try fixture.marac.meetings.removeCase(meeting.id, number, by: coordinator).agenda, [])
        XCTAssertEqual(try fixture.logEntry(before + 1).details["action"], "remove-case")
        // Back on, the agenda goes out: nothing more is corrected.
        _ = try fixture.marac.meetings.addCase(meeting.id, number, by: coordinator)
        _ = try fixture.marac.meetings.advance(meeting.id, to: .agendaIssued, by: coordinator)
        XCTAssertThrowsError(try fixture.marac.meetings.uninvite(meeting.id, agency: "health", by: coordinator)) {
            XCTAssertEqual($0 as? ExchangeError, .conflict("meeting \(meeting.id) is agenda-issued: its agenda has gone out, so its invitations stand"))
        }
        XCTAssertThrowsError(try fixture.marac.meetings.removeCase(meeting.id, number, by: coordinator)) {
            XCTAssertEqual($0 as? ExchangeError, .conflict("meeting \(meeting.id) is agenda-issued: its agenda has gone out, so its cases stand"))
        }
    }
}
