import Foundation
import TestSupport
import XCTest

/// A coordinator's corrections on the real binaries (docs/access.md, "Corrections"): a
/// meeting moved to another day and one created by mistake cancelled, each logged and
/// refused to anyone else, and refused once the agenda has gone out.
final class MeetingCorrectionsEndToEndTests: PrincipalsTestCase {
    static let chair: UInt32 = 4_751

    override func setUpWithError() throws {
        try setUpDaemon(group: 4_750, principals: """
            {"uid": 0, "name": "Coordinator", "agency": "idva", "roles": ["coordinator"]},
            {"uid": \(Self.chair), "name": "Chair", "agency": "police", "roles": ["chair"]}
            """)
    }

    func testAMeetingIsRescheduledAndCancelledBeforeItsAgendaButNotAfter() throws {
        try daemon.registerRecipients(["police", "health"])
        try daemon.start()
        let number = try policeCase()
        let first = try meeting(in: 7, inviting: "police,health", cases: [number])

        let moved = try ok(["meeting", "reschedule", first, "--date", Self.day(in: 14)])
        let second = "MTG-\(Self.day(in: 14))"
        XCTAssertEqual(moved.output, """
            meeting \(first) rescheduled as \(second), with its invitations and agenda; \(first) is cancelled, and its declarations are made again for the new meeting
            \(second)  \(Self.day(in: 14))  scheduled  invited: health,police  cases: \(number)  declarations: 0

            """)
        let gone = try ctl(["meeting", "show", first])
        XCTAssertEqual(gone.status, 65)
        XCTAssertEqual(gone.stderr, "maracctl: meeting \(first) was cancelled: it was rescheduled as \(second)\n")

        let refused = try ctl(["meeting", "cancel", second, "--reason", "not needed"], as: Self.chair)
        XCTAssertEqual(refused.status, 77)
        XCTAssertEqual(refused.stderr, "maracctl: not permitted: only the coordinator may cancel a meeting before its agenda goes out\n")
        XCTAssertEqual(try ctl(["meeting", "cancel", second]).status, 64, "a reason is required")
        // A reason is kept in the log and shown to others: no terminal escape gets in.
        let escape = try ctl(["meeting", "cancel", second, "--reason", "not needed\u{1B}[2J"])
        XCTAssertEqual(escape.status, 64)
        XCTAssertEqual(escape.stderr, "maracctl: reason must be text without control characters\n")
        XCTAssertTrue(try ok(["meeting", "list"]).output.contains(second), "nothing cancelled")

        // A meeting created twice by mistake: the extra one is cancelled, its case stays on the other.
        let twice = String(try ok(["meeting", "create", "--date", Self.day(in: 14)]).output.prefix { $0 != " " })
        XCTAssertEqual(twice, second + "-2")
        XCTAssertEqual(try ok(["meeting", "cancel", twice, "--reason", "created twice by mistake"]).output,
                       "meeting \(twice) cancelled: its invitations, agenda and declarations are withdrawn (logged with the reason)\n")
        XCTAssertEqual(try ok(["meeting", "list"]).output.split(separator: "\n").map { String($0.prefix { $0 != " " }) }, [second])
        let cancellations = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [daemon.state.appendingPathComponent("vault.db").path,
            "SELECT CAST(entry AS TEXT) FROM log_entry WHERE CAST(entry AS TEXT) LIKE '%\"action\":\"cancel\"%' ORDER BY seq"]).output
            .split(separator: "\n")
        XCTAssertEqual(cancellations.count, 2, "the rescheduled meeting and the mistaken one")
        XCTAssertTrue(cancellations[0].contains(#""justification":"rescheduled to \#(Self.day(in: 14))""#), String(cancellations[0]))
        XCTAssertTrue(cancellations[1].contains(#""justification":"created twice by mistake""#), String(cancellations[1]))

        // The agenda goes out: the date and the meeting stand.
        try ok(["meeting", "send-agenda", second])
        let late = try ctl(["meeting", "reschedule", second, "--date", Self.day(in: 21)])
        XCTAssertEqual(late.status, 65)
        XCTAssertEqual(late.stderr, "maracctl: meeting \(second) is agenda-issued: its agenda has gone out, so its date stands\n")
        let stands = try ctl(["meeting", "cancel", second, "--reason", "not needed"])
        XCTAssertEqual(stands.status, 65)
        XCTAssertTrue(stands.stderr.hasSuffix("so it stands: the chair closes it, and each agency gets its revocation notice\n"), stands.stderr)
        XCTAssertEqual(daemon.stop(), 0)
    }
}
