import Foundation
import XCTest
@testable import Vault

/// The extension point Exchange builds on: its own tables in the vault's transactions,
/// and small sealed values.
final class ApplicationStoreTests: XCTestCase {
    var fixture: VaultFixture!
    override func setUpWithError() throws { fixture = try VaultFixture() }
    override func tearDown() { fixture.cleanUp() }

    let migrations = [ApplicationMigration(name: "initial", sql: "CREATE TABLE x_note (id TEXT PRIMARY KEY, doc TEXT, sealed BLOB)")]

    /// A document, an application row and a log entry commit together, or none does.
    func testApplicationRowsDocumentsAndLogEntriesCommitOrRollBackTogether() throws {
        try fixture.vault.migrate(namespace: "exchange", migrations)
        struct Boom: Error {}
        XCTAssertThrowsError(try fixture.vault.transaction { tx in
            let id = try tx.put(NewDocument(content: SecretBytes(copying: Array("x".utf8)), agency: "police", kind: "referral"))
            try tx.execute("INSERT INTO x_note (id, doc) VALUES (?, ?)", [.text("n1"), .text(id)])
            try tx.appendLog(Data("collected".utf8))
            throw Boom()
        })
        XCTAssertEqual(try fixture.vault.list().count, 0)
        XCTAssertEqual(try fixture.vault.reading { try $0.rows("SELECT count(*) FROM x_note") }, [[.integer(0)]])
        XCTAssertEqual(try fixture.vault.treeHead().size, 0)

        let index = try fixture.vault.transaction { tx -> Int in
            let id = try tx.put(NewDocument(content: SecretBytes(copying: Array("x".utf8)), agency: "police", kind: "referral"))
            try tx.execute("INSERT INTO x_note (id, doc) VALUES (?, ?)", [.text("n1"), .text(id)])
            return try tx.appendLog(Data("collected".utf8))
        }
        XCTAssertEqual(index, 0)
        XCTAssertEqual(try fixture.vault.list().count, 1)
        XCTAssertEqual(try fixture.vault.treeHead().size, 1)
    }

    /// Migrations are recorded per namespace and re-running them is a no-op; a database
    /// with a migration this build does not know is refused.
    func testApplicationMigrationsAreAppendOnly() throws {
        try fixture.vault.migrate(namespace: "exchange", migrations)
        try fixture.reopen()
        try fixture.vault.migrate(namespace: "exchange", migrations)
        XCTAssertThrowsError(try fixture.vault.migrate(namespace: "exchange", [ApplicationMigration(name: "renamed", sql: "SELECT 1")])) {
            XCTAssertEqual($0 as? DatabaseError, .unknownSchema("exchange migration 1 is \"initial\", expected \"renamed\""))
        }
        XCTAssertThrowsError(try fixture.vault.migrate(namespace: "exchange", [])) {
            XCTAssertEqual($0 as? DatabaseError, .unknownSchema("database has 1 exchange migrations, this build knows 0"))
        }
    }

    /// A sealed value opens only for its own context, survives a root-key rotation, and
    /// is not stored in clear.
    func testSealedValuesAreBoundToTheirContextAndSurviveRootRotation() throws {
        try fixture.vault.migrate(namespace: "exchange", migrations)
        let marker = "SEALED-MARKER-4471"
        try fixture.vault.transaction { tx in
            let sealed = try tx.seal(SecretBytes(copying: Array(marker.utf8)), context: "x_note.sealed/n1")
            try tx.execute("INSERT INTO x_note (id, sealed) VALUES (?, ?)", [.text("n1"), .blob(sealed)])
        }
        try fixture.vault.rotateRootKey(recording: keyEvents)
        try fixture.reopen()
        let sealed = try XCTUnwrap(fixture.vault.reading { try $0.rows("SELECT sealed FROM x_note")[0][0].blob })
        let opened = try fixture.vault.reading { try $0.open(sealed, context: "x_note.sealed/n1") }
        XCTAssertEqual(String(decoding: opened.withUnsafeBytes { Array($0) }, as: UTF8.self), marker)
        XCTAssertThrowsError(try fixture.vault.reading { try $0.open(sealed, context: "x_note.sealed/n2") }) {
            XCTAssertEqual($0 as? VaultError, .tampered(subject: "x_note.sealed/n2", part: .payload))
        }
        for (name, bytes) in try fixture.filesOnDisk() {
            XCTAssertFalse(bytes.contains(bytes: Array(marker.utf8)), name)
        }
    }
}
