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

    /// A meeting created by mistake is cancelled, and one on the wrong day moved, before the
    /// agenda goes out (issue 24): each logged, its id never reused, its case free again;
    /// refused once the agenda has gone out.
    func testAMeetingIsCancelledOrRescheduledOnlyBeforeTheAgendaGoesOut() throws {
        let number = try XCTUnwrap(try fixture.accept(fixture.fixture("valid/referral-police.json")).caseNumber)
        let meeting = try fixture.schedule(number, inviting: ["police", "health"], on: "2026-12-10")
        _ = try fixture.marac.meetings.declare(meeting.id, person: "A. Attendee", agency: "health", statement: [1], by: chair)
        XCTAssertThrowsError(try fixture.marac.meetings.cancel(meeting.id, reason: "a mistake", by: chair)) {
            XCTAssertEqual($0 as? ExchangeError, .notPermitted("only the coordinator may cancel a meeting before its agenda goes out"))
        }
        XCTAssertThrowsError(try fixture.marac.meetings.cancel(meeting.id, reason: "  ", by: coordinator)) {
            XCTAssertEqual($0 as? ExchangeError,
                           .invalidRequest("a cancellation needs a reason of 1 to 500 bytes (it stays in the log: a purpose, never a name)"))
        }
        XCTAssertEqual(try fixture.marac.meetings.get(meeting.id).invited, ["health", "police"], "a refusal changes nothing")

        // Rescheduled: a new meeting takes the invitations and the agenda, not the declaration.
        let before = try fixture.vault.treeHead().size
        let moved = try fixture.marac.meetings.reschedule(meeting.id, to: CalendarDate("2026-12-17")!, by: coordinator)
        XCTAssertEqual(moved.id, "MTG-2026-12-17")
        XCTAssertEqual(moved.invited, ["health", "police"])
        XCTAssertEqual(moved.agenda, [number])
        XCTAssertEqual(moved.declarations, [])
        XCTAssertThrowsError(try fixture.marac.meetings.get(meeting.id)) {
            XCTAssertEqual($0 as? ExchangeError, .conflict("meeting \(meeting.id) was cancelled: it was rescheduled as MTG-2026-12-17"))
        }
        let entries = try (before..<fixture.vault.treeHead().size).map { try fixture.logEntry($0) }
        XCTAssertEqual(entries.map { "\($0.meeting ?? "-") \($0.details["action"] ?? "-")" },
                       ["MTG-2026-12-17 create", "\(meeting.id) cancel", "MTG-2026-12-17 invite", "MTG-2026-12-17 invite", "MTG-2026-12-17 add-case"])
        XCTAssertEqual(entries[1].justification, "rescheduled to 2026-12-17")
        XCTAssertEqual(entries[1].details["replacedBy"], "MTG-2026-12-17")
        XCTAssertEqual(entries[1].details["declarations"], "1")
        XCTAssertEqual(entries[1].recipients, ["health", "police"])

        // Cancelled: the case may go on another meeting, and the id is not given again.
        let cancelled = try fixture.marac.meetings.cancel(moved.id, reason: "created by mistake", by: coordinator)
        XCTAssertEqual(cancelled.reason, "created by mistake")
        XCTAssertEqual(try fixture.logEntry(fixture.vault.treeHead().size - 1).justification, "created by mistake")
        XCTAssertEqual(try fixture.marac.meetings.list().map(\.id), [], "neither is listed")
        let again = try fixture.marac.meetings.create(date: CalendarDate("2026-12-17")!, by: coordinator)
        XCTAssertEqual(again.id, "MTG-2026-12-17-2", "a cancelled meeting's id is never reused")
        XCTAssertEqual(try fixture.marac.meetings.addCase(again.id, number, by: coordinator).agenda, [number])
        XCTAssertThrowsError(try fixture.marac.meetings.invite(moved.id, agencies: ["police"], by: coordinator)) {
            XCTAssertEqual($0 as? ExchangeError, .conflict("meeting MTG-2026-12-17 was cancelled"))
        }
        XCTAssertNoThrow(try fixture.marac.verifyFacts(), "every withdrawn row is bound to its entry")

        // Once the agenda is out, the meeting stands.
        _ = try fixture.marac.meetings.advance(again.id, to: .agendaIssued, by: coordinator)
        XCTAssertThrowsError(try fixture.marac.meetings.cancel(again.id, reason: "not needed", by: coordinator)) {
            XCTAssertEqual($0 as? ExchangeError, .conflict("meeting \(again.id) is agenda-issued: its agenda has gone out, so it stands: "
                                                            + "the chair closes it, and each agency gets its revocation notice"))
        }
        XCTAssertThrowsError(try fixture.marac.meetings.reschedule(again.id, to: CalendarDate("2026-12-24")!, by: coordinator)) {
            XCTAssertEqual($0 as? ExchangeError, .conflict("meeting \(again.id) is agenda-issued: its agenda has gone out, so its date stands"))
        }
    }
}
