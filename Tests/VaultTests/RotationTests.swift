import Foundation
import XCTest
@testable import Vault

/// Agency KEK rotation with rewrap, root-key rotation and signing-key rotation.
final class RotationTests: XCTestCase {
    var fixture: VaultFixture!

    override func setUpWithError() throws { fixture = try VaultFixture() }
    override func tearDown() { fixture.cleanUp() }

    func testAgencyRotationRewrapsWithoutTouchingPayloadsThenDestroysTheOldVersion() throws {
        let ids = try (0..<25).map { try fixture.put("document \($0)") }
        let other = try fixture.put("health doc", agency: "health")
        let payloadsBefore = try ids.map { try fixture.blob("SELECT sealed FROM payload WHERE document = (SELECT seq FROM document WHERE id = ?)", [.text($0)]) }
        XCTAssertEqual(try fixture.vault.rotateAgencyKey("police", recording: keyEvents), 2)
        let fresh = try fixture.put("written after rotation")
        XCTAssertEqual(try status("police"), AgencyKeyStatus(agency: "police", activeVersion: 2, minimumDecryptionVersion: 1,
                                                             dataKeysByVersion: [1: 25, 2: 1], rewrapPending: true))
        XCTAssertEqual(try fixture.vault.rewrap(agency: "police", batchSize: 10, recording: keyEvents), RewrapProgress(rewrapped: 25, completed: true))
        XCTAssertEqual(try status("police"), AgencyKeyStatus(agency: "police", activeVersion: 2, minimumDecryptionVersion: 2,
                                                             dataKeysByVersion: [2: 26], rewrapPending: false))
        XCTAssertEqual(try ids.map { try fixture.blob("SELECT sealed FROM payload WHERE document = (SELECT seq FROM document WHERE id = ?)", [.text($0)]) }, payloadsBefore)
        XCTAssertNil(try fixture.vault.locked { try fixture.vault.db.statement("SELECT wrapped FROM agency_key WHERE agency = 'police' AND version = 1").first([]) { $0.optionalBlob(0) } } ?? nil)
        try fixture.reopen()
        for (n, id) in ids.enumerated() { XCTAssertEqual(try fixture.read(id), "document \(n)") }
        XCTAssertEqual(try fixture.read(fresh), "written after rotation")
        XCTAssertEqual(try fixture.read(other), "health doc")
        XCTAssertEqual(try status("health").activeVersion, 1)
        let ops = try fixture.vault.logEntries(0..<100).map { String(decoding: $0.entry, as: UTF8.self) }
        XCTAssertEqual(ops.filter { $0.contains(#""action":"key-rotate""#) }.count, 1)
        XCTAssertEqual(ops.filter { $0.contains(#""action":"key-destroy""#) && $0.contains(#""version":"1""#) }.count, 1)
    }

    func testADataKeyLeftUnderADestroyedVersionIsReportedAsSuch() throws {
        let id = try fixture.put("x")
        try fixture.vault.rotateAgencyKey("police", recording: keyEvents)
        try fixture.vault.rewrap(agency: "police", recording: keyEvents)
        try fixture.sql("UPDATE data_key SET kek_version = 1 WHERE document = (SELECT seq FROM document WHERE id = ?)", [.text(id)])
        XCTAssertThrowsError(try fixture.read(id)) { XCTAssertEqual($0 as? VaultError, .keyDestroyed(agency: "police", version: 1)) }
    }

    func testRotatingAnUnknownAgencyIsRefused() throws {
        XCTAssertThrowsError(try fixture.vault.rotateAgencyKey("nobody", recording: keyEvents)) {
            XCTAssertEqual($0 as? VaultError, .rotationRefused("agency nobody has no key yet"))
        }
    }

    func testRootRotationRewrapsEverythingAndRetiresTheOldKey() throws {
        let id = try fixture.put("under the old root")
        let token = try fixture.vault.blindToken(name: "Ann Example", dateOfBirth: "1990-01-02")
        let oldKey = try Data(contentsOf: URL(fileURLWithPath: fixture.keyPath))
        try fixture.vault.rotateRootKey(recording: keyEvents)
        XCTAssertNotEqual(try Data(contentsOf: URL(fileURLWithPath: fixture.keyPath)), oldKey)
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.keyPath + ".next"))
        try fixture.reopen()
        XCTAssertEqual(try fixture.read(id), "under the old root")
        XCTAssertEqual(try fixture.vault.blindToken(name: "Ann Example", dateOfBirth: "1990-01-02"), token)
        XCTAssertEqual(try fixture.vault.verifyLog().head.size, try fixture.vault.treeHead().size)
        let old = fixture.directory + "/old.key"
        try oldKey.write(to: URL(fileURLWithPath: old))
        chmod(old, 0o600)
        fixture.vault = nil
        XCTAssertThrowsError(try fixture.reopen(keyPath: old)) { XCTAssertEqual($0 as? VaultError, .wrongRootKey) }
    }

    func testRootRotationInterruptedBeforeTheRenameIsCompletedOnOpen() throws {
        let id = try fixture.put("survives")
        let oldKey = try Data(contentsOf: URL(fileURLWithPath: fixture.keyPath))
        try fixture.vault.rotateRootKey(recording: keyEvents)
        fixture.vault = nil
        // Undo only step 3: the database is committed to the new key, the file is the old one.
        XCTAssertEqual(rename(fixture.keyPath, fixture.keyPath + ".next"), 0)
        _ = FileManager.default.createFile(atPath: fixture.keyPath, contents: oldKey, attributes: [.posixPermissions: 0o600])
        try fixture.reopen()
        XCTAssertEqual(try fixture.read(id), "survives")
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.keyPath + ".next"))
        XCTAssertNotEqual(try Data(contentsOf: URL(fileURLWithPath: fixture.keyPath)), oldKey)
    }

    func testRootRotationInterruptedBeforeTheCommitKeepsTheOldKey() throws {
        let id = try fixture.put("survives")
        fixture.vault = nil
        try RootKey.generate().write(to: fixture.keyPath + ".next")  // step 1 done, crash before step 2
        try fixture.reopen()
        XCTAssertEqual(try fixture.read(id), "survives")
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.keyPath + ".next"))
    }

    func testSigningRotationKeepsOldCertificatesForVerification() throws {
        try fixture.vault.appendLog([Data("a".utf8)])
        let first = try fixture.vault.checkpoint(origin: "o")
        let oldCertificate = try fixture.vault.signingCertificate
        let newCertificate = try fixture.vault.rotateSigningKey(name: "maracd test 2", recording: keyEvents)
        XCTAssertNotEqual(oldCertificate, newCertificate)
        XCTAssertEqual(try fixture.vault.signingCertificates(), [oldCertificate, newCertificate])
        let second = try fixture.vault.checkpoint(origin: "o")
        try first.verify(with: oldCertificate)
        try second.verify(with: newCertificate)
        XCTAssertThrowsError(try second.verify(with: oldCertificate))
        try fixture.reopen()
        XCTAssertEqual(try fixture.vault.signingCertificate, newCertificate)
        XCTAssertEqual(try fixture.vault.verifyLog().checkpointsChecked, 2)
        XCTAssertEqual(try fixture.vault.locked { try fixture.vault.db.scalarInt("SELECT COUNT(*) FROM signing_key WHERE wrapped_key IS NOT NULL") }, 1)
    }

    private func status(_ agency: String) throws -> AgencyKeyStatus {
        try XCTUnwrap(fixture.vault.keyStatus().first { $0.agency == agency })
    }
}
