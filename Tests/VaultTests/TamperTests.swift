import Foundation
import XCTest
@testable import Vault

/// Every stored byte that protects a document is checked on read: a change anywhere ends
/// in a typed `tampered` error, never in wrong plaintext.
final class TamperTests: XCTestCase {
    var fixture: VaultFixture!
    var first = "", second = ""

    override func setUpWithError() throws {
        fixture = try VaultFixture()
        first = try fixture.put("first document body", kind: "referral")
        second = try fixture.put("second document body", kind: "research")
        try fixture.put("another agency", agency: "health")
    }

    override func tearDown() { fixture.cleanUp() }

    func testEveryPayloadByteIsProtected() throws {
        let sealed = try fixture.blob("SELECT sealed FROM payload WHERE document = (SELECT seq FROM document WHERE id = ?)", [.text(first)])
        XCTAssertEqual(sealed.count, AESGCM.overhead + "first document body".utf8.count)
        for offset in sealed.indices {
            try withFlipped(table: "payload", column: "sealed", id: first, original: sealed, offset: offset) {
                assertTampered(first, .payload)
            }
        }
        XCTAssertEqual(try fixture.read(first), "first document body")
    }

    func testEveryWrappedDataKeyByteIsProtected() throws {
        let wrapped = try fixture.blob("SELECT wrapped FROM data_key WHERE document = (SELECT seq FROM document WHERE id = ?)", [.text(first)])
        XCTAssertEqual(wrapped.count, 60)
        for offset in wrapped.indices {
            try withFlipped(table: "data_key", column: "wrapped", id: first, original: wrapped, offset: offset) {
                assertTampered(first, .dataKey)
            }
        }
        XCTAssertEqual(try fixture.read(first), "first document body")
    }

    func testEveryWrappedAgencyKeyByteIsProtected() throws {
        let wrapped = try fixture.blob("SELECT wrapped FROM agency_key WHERE agency = ?", [.text("police")])
        XCTAssertEqual(wrapped.count, 60)
        for offset in wrapped.indices {
            var changed = wrapped
            changed[offset] ^= 0x01
            try fixture.sql("UPDATE agency_key SET wrapped = ? WHERE agency = 'police'", [.blob(changed)])
            fixture.vault.agencyKeys = KeyRing()  // as a fresh process would: no cached KEK
            assertTampered("police", .agencyKey)
        }
        try fixture.sql("UPDATE agency_key SET wrapped = ? WHERE agency = 'police'", [.blob(wrapped)])
        XCTAssertEqual(try fixture.read(first), "first document body")
    }

    func testTruncatedOrExtendedBlobsAreRejected() throws {
        let sealed = try fixture.blob("SELECT sealed FROM payload WHERE document = (SELECT seq FROM document WHERE id = ?)", [.text(first)])
        for bad in [Array(sealed.prefix(27)), Array(sealed.dropLast()), sealed + [0], []] {
            try fixture.sql("UPDATE payload SET sealed = ? WHERE document = (SELECT seq FROM document WHERE id = ?)", [.blob(bad), .text(first)])
            assertTampered(first, .payload)
        }
        try fixture.sql("UPDATE payload SET sealed = ? WHERE document = (SELECT seq FROM document WHERE id = ?)", [.blob(sealed), .text(first)])
        let wrapped = try fixture.blob("SELECT wrapped FROM data_key WHERE document = (SELECT seq FROM document WHERE id = ?)", [.text(first)])
        for bad in [Array(wrapped.dropLast()), wrapped + [0]] {
            try fixture.sql("UPDATE data_key SET wrapped = ? WHERE document = (SELECT seq FROM document WHERE id = ?)", [.blob(bad), .text(first)])
            assertTampered(first, .dataKey)
        }
    }

    func testSwappingPayloadsBetweenRowsIsDetected() throws {
        try swap(table: "payload", column: "sealed")
        assertTampered(first, .payload)
        assertTampered(second, .payload)
    }

    func testSwappingWrappedKeysBetweenRowsIsDetected() throws {
        try swap(table: "data_key", column: "wrapped")
        assertTampered(first, .dataKey)
        assertTampered(second, .dataKey)
    }

    func testRelabellingKindIsDetected() throws {
        // The binding MAC catches it before any policy sees the record; the DEK's AAD
        // would too (`testRelabellingIsStillCaughtByTheAADWithTheBindingRecomputed`).
        try fixture.sql("UPDATE document SET kind = 'research' WHERE id = ?", [.text(first)])
        assertTampered(first, .links)
    }

    func testRelabellingAgencyIsDetected() throws {
        // The document row alone: the data key's agency no longer matches.
        try fixture.sql("UPDATE document SET agency = 'health' WHERE id = ?", [.text(first)])
        assertTampered(first, .links)
        try fixture.sql("UPDATE data_key SET agency = 'health' WHERE document = (SELECT seq FROM document WHERE id = ?)", [.text(first)])
        assertTampered(first, .links)
    }

    /// Defence in depth: even with a binding recomputed (as only the root key's holder
    /// could), a relabelled kind or agency fails the DEK's AAD.
    func testRelabellingIsStillCaughtByTheAADWithTheBindingRecomputed() throws {
        try fixture.sql("UPDATE document SET kind = 'research' WHERE id = ?", [.text(first)])
        try fixture.vault.locked { try fixture.vault.write { try fixture.vault.bind(seq: Int64(try fixture.vault.db.scalarInt(
            "SELECT seq FROM document WHERE id = ?", [.text(first)]))) } }
        assertTampered(first, .dataKey)
        try fixture.sql("UPDATE document SET agency = 'health', kind = 'referral' WHERE id = ?", [.text(second)])
        try fixture.sql("UPDATE data_key SET agency = 'health' WHERE document = (SELECT seq FROM document WHERE id = ?)", [.text(second)])
        try fixture.vault.locked { try fixture.vault.write { try fixture.vault.bind(seq: Int64(try fixture.vault.db.scalarInt(
            "SELECT seq FROM document WHERE id = ?", [.text(second)]))) } }
        assertTampered(second, .dataKey)
    }

    func testMissingRowsAreDetected() throws {
        try fixture.sql("DELETE FROM payload WHERE document = (SELECT seq FROM document WHERE id = ?)", [.text(first)])
        assertTampered(first, .missingRow)
    }

    func testUnknownDocumentAndTamperedSigningKey() throws {
        XCTAssertThrowsError(try fixture.read("doc_00")) { XCTAssertEqual($0 as? VaultError, .notFound("doc_00")) }
        let wrapped = try fixture.blob("SELECT wrapped_key FROM signing_key WHERE version = 1", [])
        var changed = wrapped
        changed[20] ^= 0x80
        try fixture.sql("UPDATE signing_key SET wrapped_key = ? WHERE version = 1", [.blob(changed)])
        XCTAssertThrowsError(try fixture.reopen()) {
            XCTAssertEqual($0 as? VaultError, .tampered(subject: "signing key 1", part: .vaultKey))
        }
    }

    // MARK: - Helpers

    private func assertTampered(_ subject: String, _ part: TamperedPart, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try fixture.vault.read(first == subject || second == subject ? subject : first, as: VaultFixture.reader),
                             file: file, line: line) {
            XCTAssertEqual($0 as? VaultError, .tampered(subject: subject, part: part), file: file, line: line)
        }
    }

    private func withFlipped(table: String, column: String, id: String, original: [UInt8], offset: Int,
                             _ body: () throws -> Void) throws {
        for mask: UInt8 in [0x01, 0x80] {
            var changed = original
            changed[offset] ^= mask
            try fixture.sql("UPDATE \(table) SET \(column) = ? WHERE document = (SELECT seq FROM document WHERE id = ?)", [.blob(changed), .text(id)])
            try body()
        }
        try fixture.sql("UPDATE \(table) SET \(column) = ? WHERE document = (SELECT seq FROM document WHERE id = ?)", [.blob(original), .text(id)])
    }

    private func swap(table: String, column: String) throws {
        let a = try fixture.blob("SELECT \(column) FROM \(table) WHERE document = (SELECT seq FROM document WHERE id = ?)", [.text(first)])
        let b = try fixture.blob("SELECT \(column) FROM \(table) WHERE document = (SELECT seq FROM document WHERE id = ?)", [.text(second)])
        try fixture.sql("UPDATE \(table) SET \(column) = ? WHERE document = (SELECT seq FROM document WHERE id = ?)", [.blob(b), .text(first)])
        try fixture.sql("UPDATE \(table) SET \(column) = ? WHERE document = (SELECT seq FROM document WHERE id = ?)", [.blob(a), .text(second)])
    }
}
