import Foundation
import TestSupport
import XCTest

/// Issue 11's scenario on the real binaries, each principal its own uid through setpriv:
/// referrals from police and health; the coordinator schedules them; agencies send
/// research; before the meeting the health representative cannot read police research
/// (refused, logged); declared and in session they can (a disclosure with its basis and
/// recipient); after the close they cannot; an unknown uid is refused and logged.
final class MeetingScenarioTests: PrincipalsTestCase {
    static let chair: UInt32 = 4_711, health: UInt32 = 4_712, police: UInt32 = 4_713, stranger: UInt32 = 4_799

    override func setUpWithError() throws {
        try setUpDaemon(group: 4_710, principals: """
            {"uid": 0, "name": "Coordinator", "agency": "idva", "roles": ["coordinator"]},
            {"uid": \(Self.chair), "name": "Chair", "agency": "police", "roles": ["chair"]},
            {"uid": \(Self.health), "name": "Health representative", "agency": "health", "roles": ["representative"]},
            {"uid": \(Self.police), "name": "Police representative", "agency": "police", "roles": ["representative"]}
            """)
    }

    /// The audit log's last entry, as text.
    func lastLogEntry() throws -> String {
        let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [daemon.state.appendingPathComponent("vault.db").path,
                                        "SELECT CAST(entry AS TEXT) FROM log_entry ORDER BY seq DESC LIMIT 1"])
        return result.output
    }

    func research(from agency: String, for number: String) throws -> [UInt8] {
        let text = String(decoding: try RepositoryFixtures.bytes("valid/research-health-for-first-case.json"), as: UTF8.self)
            .replacingOccurrences(of: "M-2026-0001", with: number)
            .replacingOccurrences(of: "\"agency\": \"health\"", with: "\"agency\": \"\(agency)\"")
        return Array(text.utf8)
    }

    func testHealthReadsPoliceResearchOnlyDeclaredAndInSession() throws {
        try daemon.registerRecipients(["police", "health"])
        try daemon.start()
        try dropTheTwoReferrals()
        let cases = try JSONSerialization.jsonObject(with: try ok(["case", "list", "--json"]).stdout) as? [[String: Any]] ?? []
        let numbers = cases.compactMap { $0["case"] as? String }
        XCTAssertEqual(numbers.count, 2)
        let policeCase = try XCTUnwrap(cases.first { $0["referringAgency"] as? String == "police" }?["case"] as? String)

        // Dates: a day that does not exist, and one in the past, are refused; a year ahead warns.
        let noSuchDay = try ctl(["meeting", "create", "--date", "2027-02-30"])
        XCTAssertEqual(noSuchDay.status, 64)
        XCTAssertEqual(noSuchDay.stderr, "maracctl: date is no such date (2027-02-30)\n")
        let past = try ctl(["meeting", "create", "--date", Self.day(in: -1)])
        XCTAssertEqual(past.status, 64)
        XCTAssertEqual(past.stderr, "maracctl: meeting date \(Self.day(in: -1)) is in the past\n")
        let far = try ok(["meeting", "create", "--date", Self.day(in: 400)])
        XCTAssertEqual(far.stderr, "maracctl: warning: meeting \(Self.day(in: 400)) is more than a year ahead: check the date\n")

        // The coordinator schedules both cases and invites both agencies.
        let meeting = String(try ok(["meeting", "create", "--date", Self.day(in: 20)]).output.split(separator: " ")[0])
        for number in numbers { _ = try ok(["meeting", "add-case", meeting, number]) }
        _ = try ok(["meeting", "invite", meeting, "police,health,housing"])
        // Housing has no certificate: the agenda cannot go out until the invitation is
        // withdrawn, which is possible only before it does (issue 24).
        let blocked = try ctl(["meeting", "send-agenda", meeting])
        XCTAssertEqual(blocked.status, 65)
        XCTAssertTrue(blocked.stderr.hasPrefix("maracctl: agency housing has no certificate"), blocked.stderr)
        XCTAssertEqual(try ctl(["meeting", "uninvite", meeting, "housing"], as: Self.health).status, 77)
        let withdrawn = try ok(["meeting", "uninvite", meeting, "housing"]).output
        XCTAssertTrue(withdrawn.contains("  invited: health,police  "), withdrawn)
        XCTAssertEqual(try ctl(["meeting", "open", meeting], as: Self.health).status, 77, "only the coordinator or chair moves a meeting")

        // Research from both agencies on the police case.
        let policeResearch = try research(from: "police", for: policeCase)
        try daemon.drop(policeResearch, as: "r1.json", agency: "police")
        try daemon.drop(try research(from: "health", for: policeCase), as: "r2.json", agency: "health")
        try daemon.waitFor("the research receipts") { FileManager.default.fileExists(atPath: daemon.receipt(for: policeResearch).path) }
        let shown = try JSONSerialization.jsonObject(with: try ok(["case", "show", policeCase, "--json"], as: Self.police).stdout) as? [String: Any]
        let documents = shown?["documents"] as? [[String: String]] ?? []
        let researchID = try XCTUnwrap(documents.first { $0["kind"] == "research" && $0["agency"] == "police" }?["document"])
        let healthView = try JSONSerialization.jsonObject(with: try ok(["case", "show", policeCase, "--json"], as: Self.health).stdout) as? [String: Any]
        XCTAssertFalse((healthView?["documents"] as? [[String: String]] ?? []).contains { $0["document"] == researchID },
                       "health is not shown police research before the meeting sits")

        // Before the meeting: refused, and the refusal logged.
        let early = try ctl(["doc", "read", researchID, "--basis", "dpa-s1-p18", "--reason", "preparing"], as: Self.health)
        XCTAssertEqual(early.status, 77)
        XCTAssertEqual(early.stderr, "maracctl: reading \(researchID) refused (declaration-not-made); the refusal is logged\n")
        XCTAssertEqual(early.output, "", "not a byte of the form")
        var entry = try lastLogEntry()
        XCTAssertTrue(entry.contains(#""operation":"refusal""#) && entry.contains(researchID) && entry.contains(#""rule":"declaration-not-made""#), entry)

        // In session, declared: a disclosure to health under marac-isp.
        _ = try ok(["meeting", "send-agenda", meeting])
        let opened = try ok(["meeting", "open", meeting], as: Self.chair).output
        XCTAssertTrue(opened.hasSuffix("\nno meeting pack went out: no invited agency has made the declaration yet; "
                                       + "each gets its pack when its representative declares (maracctl meeting declare)\n"), opened)
        // Any principal can read the signing certificate's fingerprint to a recipient: the
        // one stock openssl prints for the published certificate.
        let published = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/openssl"), ["x509", "-noout", "-fingerprint", "-sha256", "-in",
                                                 daemon.state.appendingPathComponent("outbox/health/signing-certificates.pem").path]).output
        let fingerprint = try XCTUnwrap(published.split(separator: "=").last).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(try ok(["status"], as: Self.health).output.contains("\nsigning certificate: SHA-256 \(fingerprint), valid until "), fingerprint)
        let unconfirmed = try ctl(["meeting", "declare", meeting], as: Self.health)
        XCTAssertEqual(unconfirmed.status, 64, "confirmation needs a terminal or --yes")
        XCTAssertEqual(unconfirmed.stderr, "maracctl: no terminal to confirm on: pass --yes to make the declaration\n", "one line, no more")
        _ = try ok(["meeting", "declare", meeting, "--yes"], as: Self.health)
        let read = try ctl(["doc", "read", researchID, "--reason", "safety planning at the meeting"], as: Self.health)
        XCTAssertEqual(read.status, 0, read.stderr)
        XCTAssertEqual(read.stdout, Data(policeResearch), "the form exactly as police sent it, on standard output")
        XCTAssertEqual(read.stderr, "maracctl: logged as disclosure under marac-isp\n")
        entry = try lastLogEntry()
        for field in [#""operation":"disclosure""#, #""recipients":["health"]"#, #""bases":["marac-isp"]"#, #""meeting":"\#(meeting)""#,
                      #""actor":{"agency":"health","person":"Health representative"}"#, #""rule":"in-session""#] {
            XCTAssertTrue(entry.contains(field), "\(field) in \(entry)")
        }

        // Closed: refused again.
        _ = try ok(["meeting", "close", meeting], as: Self.chair)
        let late = try ctl(["doc", "read", researchID, "--reason", "safety planning at the meeting"], as: Self.health)
        XCTAssertEqual(late.status, 77)
        XCTAssertTrue(late.stderr.contains("(meeting-not-in-session)"), late.stderr)
        XCTAssertEqual(late.output, "")

        // A uid the principals file does not know.
        let stranger = try ctl(["case", "list"], as: Self.stranger)
        XCTAssertEqual(stranger.status, 77)
        XCTAssertEqual(stranger.stderr, "maracctl: uid \(Self.stranger) is not a principal of this Marac\n")
        XCTAssertTrue(try lastLogEntry().contains(#""person":"uid \#(Self.stranger)""#))
        XCTAssertEqual(daemon.stop(), 0)

        // The whole history verifies, and no form content is in the daemon's output.
        XCTAssertEqual(try Subprocess.run(CLITests.products.appendingPathComponent("maracctl"), ["audit", "verify", "--state", daemon.state.path]).status, 0)
        for marker in DaemonTests.plaintextMarkers { XCTAssertFalse(daemon.log.contains(marker), marker) }
    }
}
