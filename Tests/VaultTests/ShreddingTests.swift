import Foundation
import XCTest
@testable import Vault

/// Key material and ciphertext a shredding operation destroys leave no copy in any file
/// of the state directory, including the earlier page images SQLite keeps in `-wal`.
final class ShreddingTests: XCTestCase {
    var fixture: VaultFixture!

    override func setUpWithError() throws { fixture = try VaultFixture() }
    override func tearDown() { fixture.cleanUp() }

    /// A batch erasure is all or nothing, one log entry per document.
    func testBatchErasureIsAllOrNothing() throws {
        let a = try fixture.put("first document")
        let b = try fixture.put("second document")
        XCTAssertThrowsError(try fixture.vault.erase([(a, Data("erase a".utf8)), ("doc_missing", Data("erase x".utf8))])) {
            XCTAssertEqual($0 as? VaultError, .notFound("doc_missing"))
        }
        XCTAssertEqual(try fixture.read(a), "first document", "nothing erased when one fails")
        let size = try fixture.vault.treeHead().size
        try fixture.vault.erase([(a, Data("erase a".utf8)), (b, Data("erase b".utf8))])
        XCTAssertEqual(try fixture.vault.treeHead().size, size + 2)
        for id in [a, b] {
            XCTAssertThrowsError(try fixture.read(id)) { XCTAssertEqual($0 as? VaultError, .erased(id)) }
        }
        for (name, bytes) in try fixture.filesOnDisk() {
            XCTAssertFalse(bytes.contains(bytes: Array("second document".utf8)), name)
        }
    }

    func testDestroyedAgencyKeyLeavesNoCopy() throws {
        try fixture.put("x")
        let v1 = try fixture.blob("SELECT wrapped FROM agency_key WHERE agency = 'police' AND version = 1", [])
        try fixture.vault.rotateAgencyKey("police", recording: keyEvents)
        try fixture.vault.rewrap(agency: "police", recording: keyEvents)
        try assertNowhereOnDisk(v1, "wrapped KEK v1")
    }

    func testRootRotationLeavesNoKeySealedUnderTheOldRoot() throws {
        try fixture.put("x")
        let kek = try fixture.blob("SELECT wrapped FROM agency_key WHERE agency = 'police'", [])
        let secret = try fixture.blob("SELECT wrapped FROM vault_secret", [])
        let signing = try fixture.blob("SELECT wrapped_key FROM signing_key", [])
        try fixture.vault.rotateRootKey(recording: keyEvents)
        try assertNowhereOnDisk(kek, "KEK under the old root")
        try assertNowhereOnDisk(secret, "vault secret under the old root")
        try assertNowhereOnDisk(signing, "signing key under the old root")
    }

    func testRetiredSigningKeyLeavesNoCopy() throws {
        let signing = try fixture.blob("SELECT wrapped_key FROM signing_key WHERE version = 1", [])
        try fixture.vault.rotateSigningKey(name: "next", recording: keyEvents)
        try assertNowhereOnDisk(signing, "retired signing key")
    }

    func testTruncationBlockedByAReaderIsRetriedAfterTheNextCommit() throws {
        let id = try fixture.put(String(repeating: "payload ", count: 50))
        let sealed = try fixture.blob("SELECT sealed FROM payload WHERE document = (SELECT seq FROM document WHERE id = ?)", [.text(id)])
        // Another process holds a read snapshot, so the truncation cannot happen at once.
        let reader = try Vault.open(stateDirectory: fixture.directory)
        try reader.locked { try reader.db.run("BEGIN"); _ = try reader.db.scalarInt("SELECT COUNT(*) FROM payload") }
        try fixture.sql("PRAGMA busy_timeout = 50")
        try fixture.vault.erase(id, logEntry: Data(#"{"op":"erase"}"#.utf8))
        XCTAssertThrowsError(try fixture.read(id)) { XCTAssertEqual($0 as? VaultError, .erased(id)) }
        XCTAssertTrue(fixture.vault.shredCheckpointPending)
        try reader.locked { try reader.db.run("COMMIT") }
        try fixture.vault.appendLog([Data("next write".utf8)])
        XCTAssertFalse(fixture.vault.shredCheckpointPending)
        try assertNowhereOnDisk(sealed, "erased ciphertext")
    }

    func testAnotherProcessRotatingIsSeenBeforeTheNextWrite() throws {
        let before = try fixture.put("before")
        let other = try Vault.open(stateDirectory: fixture.directory, policy: AllowAllPolicy())
        try other.rotateAgencyKey("police", recording: keyEvents)
        try other.rewrap(agency: "police", recording: keyEvents)  // destroys v1, which this vault has cached as active
        let after = try fixture.put("after")
        try fixture.vault.appendLog([Data("after the other's log entries".utf8)])
        XCTAssertEqual(try fixture.vault.keyStatus().first?.dataKeysByVersion, [2: 2])
        try fixture.reopen()
        XCTAssertEqual(try fixture.read(before), "before")
        XCTAssertEqual(try fixture.read(after), "after")
        XCTAssertEqual(try fixture.vault.verifyLog().head, try other.treeHead())
    }

    /// No 12-byte window of `secret` past its nonce occurs in any file under the state directory.
    private func assertNowhereOnDisk(_ sealed: [UInt8], _ what: String, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertGreaterThan(sealed.count, 24)
        for (name, bytes) in try fixture.filesOnDisk() {
            for start in stride(from: AESGCM.nonceByteCount, to: sealed.count - 12, by: 12) {
                XCTAssertFalse(bytes.contains(bytes: Array(sealed[start..<start + 12])), "\(what) left in \(name)", file: file, line: line)
            }
        }
    }
}
