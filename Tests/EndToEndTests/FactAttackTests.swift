import Foundation
import TestSupport
import Vault
import XCTest

/// The database writer's attacks of issue 21, on the real binaries: someone who can write
/// `vault.db` with the `sqlite3` CLI (but holds no root key) redirects a pack to their own
/// certificate, invites and declares an agency into a sitting meeting, or deletes a
/// supersession. Each time the daemon refuses to act (nothing decrypted, nothing in an
/// outbox, no disclosure logged) and `maracctl audit verify` names the row
/// (`docs/vault-format.md`, "Authenticated facts"; `docs/threat-model.md`, actor 3).
final class FactAttackTests: PrincipalsTestCase {
    static let chair: UInt32 = 4_731, health: UInt32 = 4_732, housing: UInt32 = 4_733, idva: UInt32 = 4_734

    override func setUpWithError() throws {
        try setUpDaemon(group: 4_730, principals: """
            {"uid": 0, "name": "Coordinator", "agency": "idva", "roles": ["coordinator", "key-custodian"]},
            {"uid": \(Self.chair), "name": "Chair", "agency": "police", "roles": ["chair"]},
            {"uid": \(Self.health), "name": "Health representative", "agency": "health", "roles": ["representative"]},
            {"uid": \(Self.housing), "name": "Housing representative", "agency": "housing", "roles": ["representative"]},
            {"uid": \(Self.idva), "name": "Idva", "agency": "idva", "roles": ["representative"]}
            """)
        try daemon.registerRecipients(["police", "health", "housing"])
    }

    var database: String { daemon.state.appendingPathComponent("vault.db").path }

    /// The attacker's statement, run with the `sqlite3` CLI on the daemon's database.
    @discardableResult
    func attack(_ statement: String) throws -> String {
        let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [database, statement])
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func disclosures() throws -> Int {
        Int(try attack("SELECT count(*) FROM log_entry WHERE CAST(entry AS TEXT) LIKE '%\"operation\":\"disclosure\"%'")) ?? -1
    }

    /// `maracctl audit verify --state` after the daemon stopped: exit 65, naming `what`.
    func assertAuditVerifyNames(_ what: String, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(daemon.stop(), 0, file: file, line: line)
        let verify = try Subprocess.run(CLITests.products.appendingPathComponent("maracctl"), ["audit", "verify", "--state", daemon.state.path])
        XCTAssertEqual(verify.status, 65, verify.output + verify.stderr, file: file, line: line)
        XCTAssertTrue(verify.stderr.contains("integrity check failed for \(what)"), verify.stderr, file: file, line: line)
    }

    func testAPackIsNotEncryptedToACertificateWrittenIntoTheDatabase() throws {
        try daemon.start()
        let number = try policeCase()
        let meeting = try meeting(in: 10, inviting: "police,health", cases: [number])
        // The attacker's own key and certificate, written over police's.
        let keys = daemon.state.deletingLastPathComponent().appendingPathComponent("attacker")
        try DaemonHarness.ctl(["agency", "keygen", "--out", keys.path, "--name", "attacker", "--kind", "ec"])
        let certificate = try Certificate(pemRepresentation: Data(contentsOf: keys.appendingPathComponent("recipient.pem")))
        let before = try disclosures()
        try attack("UPDATE x_agency SET certificate = x'\(Hex.encode(certificate.derRepresentation))' WHERE id = 'police'")

        let refused = try ctl(["meeting", "send-agenda", meeting])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("integrity check failed for x_agency/police"), refused.stderr)
        XCTAssertEqual(daemon.names(daemon.state.appendingPathComponent("outbox/police/agenda")), [], "no pack for the attacker to open")
        XCTAssertEqual(try disclosures(), before, "nothing disclosed")
        try assertAuditVerifyNames("x_agency/police")
    }

    func testAnInvitationAndDeclarationWrittenIntoTheDatabaseDiscloseNothing() throws {
        try daemon.start()
        let number = try policeCase()
        let meeting = try meeting(in: 10, inviting: "police,health", cases: [number])
        try ok(["meeting", "send-agenda", meeting])
        try ok(["meeting", "open", meeting], as: Self.chair)
        let research = Array(String(decoding: try RepositoryFixtures.bytes("valid/research-health-for-first-case.json"), as: UTF8.self)
            .replacingOccurrences(of: "M-2026-0001", with: number).utf8)
        try daemon.drop(research, as: "research.json", agency: "health")
        try daemon.waitFor("the research's receipt") { FileManager.default.fileExists(atPath: daemon.receipt(for: research, agency: "health").path) }
        let document = try attack("SELECT document FROM x_attachment WHERE kind = 'research'")
        let first = try ctl(["doc", "read", document, "--reason", "the meeting"], as: Self.housing)
        XCTAssertEqual(first.status, 77)
        XCTAssertTrue(first.stderr.contains("(agency-not-invited)"), first.stderr)

        let before = try disclosures()
        try attack("""
            INSERT INTO x_invitation (meeting, agency, invited_at) VALUES ('\(meeting)', 'housing', strftime('%s'));
            INSERT INTO x_declaration (meeting, agency, person, recorded_by, statement_sha256, declared_at)
                VALUES ('\(meeting)', 'housing', 'Housing representative', 'Housing representative', zeroblob(32), strftime('%s'));
            """)
        let read = try ctl(["doc", "read", document, "--reason", "the meeting"], as: Self.housing)
        XCTAssertNotEqual(read.status, 0)
        XCTAssertEqual(read.stdout, Data(), "not a byte of the form")
        XCTAssertTrue(read.stderr.contains("integrity check failed for x_invitation/\(meeting)/housing"), read.stderr)
        XCTAssertEqual(try disclosures(), before, "nothing disclosed")
        try assertAuditVerifyNames("x_invitation/\(meeting)/housing: inserted")
        // The invitation put right (removed), the declaration is named as well.
        try attack("DELETE FROM x_invitation WHERE agency = 'housing'")
        let verify = try Subprocess.run(CLITests.products.appendingPathComponent("maracctl"), ["audit", "verify", "--state", daemon.state.path])
        XCTAssertNotNil(verify.stderr.range(of: #"integrity check failed for x_declaration/\#(meeting)/housing/~[0-9a-f]{16}: inserted"#,
                                            options: .regularExpression), verify.stderr)
        XCTAssertFalse(verify.stderr.contains("Housing representative"), "a person is named by a keyed pseudonym, never by name")
    }

    func testADeletedSupersessionDoesNotMakeTheCorrectedFormReadableAgain() throws {
        try daemon.start()
        _ = try policeCase()
        let old = try attack("SELECT id FROM document WHERE kind = 'referral'")
        var text = String(decoding: try RepositoryFixtures.bytes("valid/referral-police.json"), as: UTF8.self)
        text.insert(contentsOf: "\"supersedes\": \"\(old)\", ", at: text.index(after: text.firstIndex(of: "{")!))
        let correction = Array(text.utf8)
        try daemon.drop(correction, as: "correction.json", agency: "police")
        try daemon.waitFor("the correction's receipt") { FileManager.default.fileExists(atPath: daemon.receipt(for: correction).path) }
        let hidden = try ctl(["doc", "read", old, "--reason", "first contact"], as: Self.idva)
        XCTAssertEqual(hidden.status, 77, hidden.stderr)
        XCTAssertTrue(hidden.stderr.contains("(superseded)"), hidden.stderr)

        let before = try disclosures()
        try attack("DELETE FROM x_supersession WHERE old = '\(old)'")
        let read = try ctl(["doc", "read", old, "--reason", "first contact"], as: Self.idva)
        XCTAssertNotEqual(read.status, 0)
        XCTAssertEqual(read.stdout, Data(), "not a byte of the corrected form")
        XCTAssertTrue(read.stderr.contains("integrity check failed for facts"), read.stderr)
        XCTAssertEqual(try disclosures(), before)
        // A form arriving meanwhile waits, said once (not once per rescan), and is not lost.
        let form = Array(String(decoding: try RepositoryFixtures.bytes("valid/referral-police.json"), as: UTF8.self)
            .replacingOccurrences(of: "Tamsin Quinn", with: "Waiting Meanwhile").utf8)
        try daemon.drop(form, as: "meanwhile.json", agency: "police")
        try daemon.waitFor("the daemon to hold it") { daemon.log.contains("ingest.store_failed") }
        try daemon.waitForRescans(3)
        XCTAssertEqual(daemon.log.components(separatedBy: "ingest.store_failed").count - 1, 1, "said once")
        XCTAssertFalse(FileManager.default.fileExists(atPath: daemon.receipt(for: form).path))
        XCTAssertEqual(daemon.names(daemon.inbox("police")).count + daemon.names(daemon.state.appendingPathComponent("processing/police")).count,
                       1, "the form is held, not lost")
        try assertAuditVerifyNames("x_supersession/\(old): deleted")
    }
}
