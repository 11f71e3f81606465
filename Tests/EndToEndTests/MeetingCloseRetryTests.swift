import Foundation
import TestSupport
import XCTest

/// Closing a meeting whose outbox work fails (an agency's `meeting/` directory made
/// immutable): the close is recorded whole, the log says only what happened, and what is
/// left is finished by a repeated `meeting close`, by the daemon's timer and at its start
/// (issue 22; `docs/packs.md`, "Revocation").
final class MeetingCloseRetryTests: PrincipalsTestCase {
    static let chair: UInt32 = 4_731, health: UInt32 = 4_732, ig: UInt32 = 4_734

    override func setUpWithError() throws {
        try setUpDaemon(group: 4_730, principals: """
            {"uid": 0, "name": "Coordinator", "agency": "idva", "roles": ["coordinator", "key-custodian"]},
            {"uid": \(Self.chair), "name": "Chair", "agency": "police", "roles": ["chair"]},
            {"uid": \(Self.health), "name": "Health representative", "agency": "health", "roles": ["representative"]},
            {"uid": \(Self.ig), "name": "Governance IG officer", "agency": "housing", "roles": ["ig-officer"], "scope": "marac"}
            """)
        try daemon.registerRecipients(["police", "health"])
    }

    override func tearDown() {
        _ = try? chattr("-i")
        super.tearDown()
    }

    var healthMeeting: URL { daemon.state.appendingPathComponent("outbox/health/meeting") }

    @discardableResult
    func chattr(_ flag: String) throws -> Int32 {
        try Subprocess.run(URL(fileURLWithPath: "/usr/bin/chattr"), [flag, healthMeeting.path]).status
    }

    /// A meeting `days` ahead, its agenda sent, health declared and the meeting open: health
    /// holds its meeting pack.
    func openMeeting(in days: Int, case number: String) throws -> String {
        let meeting = try meeting(in: days, inviting: "police,health", cases: [number])
        try ok(["meeting", "send-agenda", meeting])
        try ok(["meeting", "declare", meeting, "--yes"], as: Self.health)
        try ok(["meeting", "open", meeting], as: Self.chair)
        XCTAssertTrue(daemon.names(healthMeeting).contains("\(meeting).p7m"))
        return meeting
    }

    /// The `meeting` log entries of `meeting` with `action`.
    func actions(_ action: String, _ meeting: String) throws -> [String] {
        let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [daemon.state.appendingPathComponent("vault.db").path,
                                        "SELECT CAST(entry AS TEXT) FROM log_entry ORDER BY seq"])
        return result.output.split(separator: "\n").map(String.init)
            .filter { $0.contains(#""action":"\#(action)""#) && $0.contains(#""meeting":"\#(meeting)""#) }
    }

    func closeFails(_ meeting: String) throws {
        XCTAssertEqual(try chattr("+i"), 0)
        let closed = try ctl(["meeting", "close", meeting], as: Self.chair)
        XCTAssertEqual(closed.status, 75, closed.stderr)
        XCTAssertTrue(closed.stderr.contains("meeting \(meeting) is closed, but its outbox work is not finished for health"), closed.stderr)
        XCTAssertTrue(try ok(["meeting", "show", meeting]).output.contains("closed"))
        XCTAssertEqual(try actions("revoke-pack", meeting).count, 1, "the decision is logged")
        XCTAssertEqual(try actions("notice-written", meeting), [], "no notice reached anyone: none is logged")
        XCTAssertEqual(try actions("packs-removed", meeting).count, 1, "police's packs went; health's did not")
        XCTAssertTrue(daemon.names(healthMeeting).contains("\(meeting).p7m"), "health's pack is still there")
    }

    func assertFinished(_ meeting: String, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(daemon.names(healthMeeting).filter { $0.hasPrefix(meeting) }, ["\(meeting).revoked.p7m"], file: file, line: line)
        XCTAssertEqual(daemon.names(daemon.state.appendingPathComponent("outbox/health/agenda")).filter { $0.hasPrefix(meeting) }, [],
                       file: file, line: line)
        let verified = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/openssl"), [
            "cms", "-verify", "-binary", "-inform", "DER", "-in", healthMeeting.appendingPathComponent("\(meeting).revoked.p7m").path,
            "-CAfile", daemon.state.appendingPathComponent("outbox/health/signing-certificates.pem").path])
        XCTAssertEqual(verified.status, 0, verified.stderr, file: file, line: line)
        XCTAssertEqual(try actions("notice-written", meeting).count, 1, file: file, line: line)
        XCTAssertEqual(try actions("packs-removed", meeting).count, 2, "police, then health", file: file, line: line)
    }

    /// The daemon's configuration with rescans (and so the close timer's first retry)
    /// `rescan` seconds apart.
    func configure(rescan: Double) throws {
        try daemon.writeConfig(#""principalsFile": "\#(daemon.principalsPath.path)", "control": {"socketPath": "\#(socket)", "socketGroup": 4730}, "#
                               + #""inbox": {"rescanIntervalSeconds": \#(rescan), "settleSeconds": 1}"#)
    }

    func testAFailedCloseIsFinishedByARepeatedCloseAndAtStart() throws {
        try configure(rescan: 600)  // the timer waits 10 minutes: what finishes it here is the close, then the start
        try daemon.start()
        let number = try policeCase()

        // A repeated close finishes it, and succeeds.
        let first = try openMeeting(in: 30, case: number)
        try closeFails(first)
        XCTAssertEqual(try chattr("-i"), 0)
        XCTAssertEqual(try ctl(["meeting", "close", first], as: Self.health).status, 77, "a repeated close is still the chair's")
        let again = try ok(["meeting", "close", first], as: Self.chair)
        XCTAssertTrue(again.output.contains("revocation notice health: outbox/health/meeting/\(first).revoked.p7m"), again.output)
        try assertFinished(first)
        XCTAssertEqual(try ok(["meeting", "close", first], as: Self.chair).output.contains("revocation notice"), false, "nothing left: done once")

        // The next start finishes it.
        let second = try openMeeting(in: 31, case: number)
        try closeFails(second)
        XCTAssertEqual(daemon.stop(), 0)
        XCTAssertEqual(try chattr("-i"), 0)
        try daemon.start()
        try daemon.waitFor("the start to finish it") { (try? actions("notice-written", second).count) == 1 }
        try assertFinished(second)
        XCTAssertEqual(try ok(["audit", "verify"], as: Self.ig).status, 0)
        XCTAssertEqual(daemon.stop(), 0)
    }

    func testAFailedCloseIsFinishedByTheDaemonsTimer() throws {
        try configure(rescan: 0.5)
        try daemon.start()
        let meeting = try openMeeting(in: 30, case: try policeCase())
        try closeFails(meeting)
        try daemon.waitFor("the timer's try, which fails too") {
            daemon.log.components(separatedBy: "meeting.close_pending meeting=\(meeting)").count - 1 >= 2
        }
        XCTAssertEqual(try chattr("-i"), 0)
        try daemon.waitFor("the timer to finish it, with nobody asking", timeout: 30) { (try? actions("notice-written", meeting).count) == 1 }
        try assertFinished(meeting)
        XCTAssertEqual(try ok(["audit", "verify"], as: Self.ig).status, 0)
        XCTAssertEqual(daemon.stop(), 0)
    }
}
