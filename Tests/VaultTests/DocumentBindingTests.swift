import Foundation
import XCTest
import TestSupport
@testable import Vault

/// A document's links outside its AAD (the case it belongs to, the people it is about,
/// its time, whether it was erased) are bound under a MAC. Someone who can write the
/// database re-points them with the stock `sqlite3` tool; the vault then refuses the
/// record before any policy sees it, so no policy is steered and nothing is logged as
/// disclosed.
final class DocumentBindingTests: XCTestCase {
    var fixture: VaultFixture!
    var first = "", second = ""
    let quinn = "Tamsin Quinn", carter = "Kyle Carter"

    override func setUpWithError() throws {
        fixture = try VaultFixture()
        first = try fixture.vault.put(NewDocument(content: SecretBytes(copying: Array("police research".utf8)), agency: "police",
                                                  kind: "research", metadata: ["case": "M-2026-0001"],
                                                  subjects: [try fixture.vault.blindToken(name: quinn, dateOfBirth: "1993-11-13")]))
        second = try fixture.vault.put(NewDocument(content: SecretBytes(copying: Array("health research".utf8)), agency: "health",
                                                   kind: "research", metadata: ["case": "M-2026-0002"],
                                                   subjects: [try fixture.vault.blindToken(name: carter, dateOfBirth: "1990-01-01")]))
    }
    override func tearDown() { fixture.cleanUp() }

    private func attacker(_ sql: String) throws {
        fixture.vault = nil
        let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [fixture.dbPath, sql])
        XCTAssertEqual(result.status, 0, result.stderr)
        try fixture.reopen()
    }

    private func assertRelinked(_ id: String, file: StaticString = #filePath, line: UInt = #line) {
        let before = try? fixture.vault.treeHead().size
        for attempt in [{ _ = try self.fixture.vault.record(id) }, { _ = try self.fixture.read(id) }] {
            XCTAssertThrowsError(try attempt(), file: file, line: line) {
                XCTAssertEqual($0 as? VaultError, .tampered(subject: id, part: .links), file: file, line: line)
            }
        }
        XCTAssertEqual(try? fixture.vault.treeHead().size, before, "no policy was asked, nothing was logged", file: file, line: line)
    }

    func testAnHonestDocumentReadsAndListsByItsBoundCase() throws {
        XCTAssertEqual(try fixture.vault.list(metadata: ["case": "M-2026-0001"]).map(\.id), [first])
        XCTAssertEqual(try fixture.read(first), "police research")
        try fixture.reopen()
        XCTAssertEqual(try fixture.vault.documents(about: fixture.vault.blindToken(name: carter, dateOfBirth: "1990-01-01")).map(\.id), [second])
    }

    func testACaseLinkRePointedAtAnotherCaseIsDetected() throws {
        try attacker("UPDATE document_meta SET value = 'M-2026-0002' WHERE key = 'case' AND value = 'M-2026-0001';")
        assertRelinked(first)
        XCTAssertThrowsError(try fixture.vault.list(metadata: ["case": "M-2026-0002"])) {
            XCTAssertEqual($0 as? VaultError, .tampered(subject: first, part: .links))
        }
    }

    func testACaseLinkAddedOrRemovedIsDetected() throws {
        try attacker("DELETE FROM document_meta WHERE value = 'M-2026-0002';")
        assertRelinked(second)
        try attacker("INSERT INTO document_meta VALUES ((SELECT seq FROM document WHERE id = '\(first)'), 'meeting', 'MTG-1');")
        assertRelinked(first)
    }

    func testASubjectTokenMovedToAnotherDocumentIsDetected() throws {
        try attacker("UPDATE subject_index SET document = (SELECT seq FROM document WHERE id = '\(second)') "
                     + "WHERE document = (SELECT seq FROM document WHERE id = '\(first)');")
        assertRelinked(first)
        assertRelinked(second)
        XCTAssertThrowsError(try fixture.vault.documents(about: fixture.vault.blindToken(name: quinn, dateOfBirth: "1993-11-13")))
    }

    func testAMovedTimeOrAnUnErasedDocumentIsDetected() throws {
        try attacker("UPDATE document SET created_at = created_at - 86400 * 400 WHERE id = '\(first)';")
        assertRelinked(first)
        try fixture.vault.erase(second, logEntry: Data(#"{"op":"erasure"}"#.utf8))
        XCTAssertEqual(try fixture.vault.record(second).erasedAt != nil, true)
        try attacker("UPDATE document SET erased_at = NULL WHERE id = '\(second)';")
        XCTAssertThrowsError(try fixture.vault.record(second)) {
            XCTAssertEqual($0 as? VaultError, .tampered(subject: second, part: .links))
        }
    }

    func testABindingCopiedFromAnotherDocumentIsDetected() throws {
        try attacker("UPDATE document SET binding = (SELECT binding FROM document WHERE id = '\(second)') WHERE id = '\(first)';")
        assertRelinked(first)
    }
}
