import Foundation
import XCTest
import TestSupport
@testable import Vault

/// The log against someone who can write the database but does not hold the root key:
/// they use the stock `sqlite3` tool to drop the triggers, rewrite entries, recompute
/// every node, delete checkpoints and plant their own signing certificate. Each attack
/// must fail verification against a checkpoint published outside the database, and the
/// failure must name what failed.
final class LogIntegrityTests: XCTestCase {
    var fixture: VaultFixture!
    let origin = "maracd.test/log"

    override func setUpWithError() throws { fixture = try VaultFixture() }
    override func tearDown() { fixture.cleanUp() }

    private func entry(_ n: Int) -> Data { Data(#"{"op":"collection","n":\#(n)}"#.utf8) }

    /// Appends `count` entries and publishes a checkpoint over them (as the daemon does:
    /// the text leaves the database, and the verifier parses it back).
    private func logAndPublish(_ count: Int) throws -> Checkpoint {
        try fixture.vault.appendLog((0..<count).map(entry))
        return try Checkpoint.parse(fixture.vault.checkpoint(origin: origin).text)
    }

    /// Runs `sql` with the stock sqlite3 CLI against the closed vault.
    private func attacker(_ sql: String) throws {
        fixture.vault = nil
        let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [fixture.dbPath, sql])
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    /// SQL that replaces every stored node with hashes recomputed from `entries`, as an
    /// attacker who edited entries would, so the stored-node check passes.
    private func recomputedNodes(_ entries: [Data]) -> String {
        var sql = "DELETE FROM log_node;"
        var level = entries.map { MerkleTree.leafHash($0) }
        var depth = 0
        while !level.isEmpty {
            for (index, hash) in level.enumerated() {
                sql += "INSERT INTO log_node VALUES (\(depth), \(index), X'\(Hex.encode(hash))');"
            }
            level = stride(from: 0, to: level.count - 1, by: 2).map { MerkleTree.nodeHash(level[$0], level[$0 + 1]) }
            depth += 1
        }
        return sql
    }

    private let dropTriggers = """
        DROP TRIGGER IF EXISTS log_entry_no_update; DROP TRIGGER IF EXISTS log_entry_no_delete;
        DROP TRIGGER IF EXISTS log_checkpoint_no_update; DROP TRIGGER IF EXISTS log_checkpoint_no_delete;
        """

    private func assertTampered(_ published: [Checkpoint], _ subject: String, part: TamperedPart = .log,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        try fixture.reopen()
        XCTAssertThrowsError(try fixture.vault.verifyLog(published: published), file: file, line: line) {
            XCTAssertEqual($0 as? VaultError, .tampered(subject: subject, part: part), file: file, line: line)
        }
    }

    // MARK: - The attacks of issue 10

    func testAnEditedEntryWithEveryNodeRecomputedFailsAgainstThePublishedCheckpoint() throws {
        let published = try logAndPublish(12)
        var forged = (0..<12).map(entry)
        forged[5] = Data(#"{"op":"collection","n":555}"#.utf8)
        try attacker(dropTriggers + "UPDATE log_entry SET entry = X'\(Hex.encode(Array(forged[5])))' WHERE seq = 5;"
                     + recomputedNodes(forged) + "DELETE FROM log_checkpoint;")
        // Without the published copy the rewritten history is self-consistent: that is
        // exactly why checkpoints must leave the host.
        try fixture.reopen()
        XCTAssertEqual(try fixture.vault.verifyLog().head.size, 12)
        try assertTampered([published], "published checkpoint at size 12 (the log is not consistent with it: "
                           + "an entry below 12 was altered, removed or reordered)")
    }

    func testAnEditedEntryWithoutRecomputingIsNamedByItsIndex() throws {
        _ = try logAndPublish(9)
        try attacker(dropTriggers + "UPDATE log_entry SET entry = X'7b7d' WHERE seq = 3;")
        try assertTampered([], "log entry 3 (its stored leaf hash differs)")
    }

    func testDeletingEveryCheckpointFailsAgainstThePublishedOne() throws {
        let published = try logAndPublish(6)
        try fixture.vault.appendLog([entry(6)])
        try attacker(dropTriggers + "DELETE FROM log_checkpoint;")
        try assertTampered([published], "published checkpoint at size 6 (missing from the database)")
    }

    func testRemovingTheTailFailsAgainstThePublishedCheckpoint() throws {
        let published = try logAndPublish(8)
        let kept = (0..<5).map(entry)
        try attacker(dropTriggers + "DELETE FROM log_entry WHERE seq >= 5;" + recomputedNodes(kept) + "DELETE FROM log_checkpoint;")
        try assertTampered([published], "published checkpoint at size 8 (the log has only 5 entries: its tail was removed)")
    }

    func testReorderingTwoEntriesFailsAgainstThePublishedCheckpoint() throws {
        let published = try logAndPublish(4)
        var forged = (0..<4).map(entry)
        forged.swapAt(1, 2)
        try attacker(dropTriggers + "UPDATE log_entry SET entry = X'\(Hex.encode(Array(forged[1])))' WHERE seq = 1;"
                     + "UPDATE log_entry SET entry = X'\(Hex.encode(Array(forged[2])))' WHERE seq = 2;"
                     + recomputedNodes(forged) + "DELETE FROM log_checkpoint;")
        try assertTampered([published], "published checkpoint at size 4 (the log is not consistent with it: "
                           + "an entry below 4 was altered, removed or reordered)")
    }

    func testAForgedRetiredCertificateAndReSignedCheckpointsAreRefused() throws {
        let published = try logAndPublish(5)
        // The attacker's own key and certificate, planted as a retired signing key (with
        // the genuine row's MAC copied, and again with none), then a re-signed checkpoint
        // over a rewritten history.
        let key = try PrivateKey.generateP256()
        let certificate = try Certificate.selfSigned(commonName: "maracd test", key: key)
        var forged = (0..<5).map(entry)
        forged[0] = Data(#"{"op":"collection","n":-1}"#.utf8)
        let head = TreeHead(size: 5, root: MerkleTree.root(ofLeafHashes: forged.map { MerkleTree.leafHash($0) }))
        let resigned = try Checkpoint.sign(origin: origin, head: head, key: key, certificate: certificate)
        let genuineMAC = try fixture.blob("SELECT certificate_mac FROM signing_key WHERE version = 1", [])
        for mac in ["X'\(Hex.encode(genuineMAC))'", "NULL"] {
            try attacker(dropTriggers + """
                DELETE FROM signing_key WHERE version = 2;
                INSERT INTO signing_key (version, state, certificate, wrapped_key, created_at, certificate_mac)
                VALUES (2, 'retired', X'\(Hex.encode(certificate.derRepresentation))', NULL, 0, \(mac));
                UPDATE log_entry SET entry = X'\(Hex.encode(Array(forged[0])))' WHERE seq = 0;
                """ + recomputedNodes(forged) + """
                DELETE FROM log_checkpoint;
                INSERT INTO log_checkpoint (size, note, created_at) VALUES (5, '\(resigned.text)', 0);
                """)
            try assertTampered([], "signing certificate 2", part: .vaultKey)
            try assertTampered([published], "signing certificate 2", part: .vaultKey)
        }
        // And a published checkpoint the attacker signed themselves is not trusted either.
        try attacker("DELETE FROM signing_key WHERE version = 2; DELETE FROM log_checkpoint;")
        try assertTampered([resigned], "published checkpoint at size 5 (signed by no certificate the root key authenticates)")
    }

    // MARK: - What must keep working

    func testCheckpointsAreAppendOnlyAndIssuingTwiceAtOneSizeReturnsTheStoredOne() throws {
        let first = try logAndPublish(3)
        XCTAssertEqual(try fixture.vault.checkpoint(origin: origin), first)
        XCTAssertThrowsError(try fixture.sql("UPDATE log_checkpoint SET note = 'x'"))
        XCTAssertThrowsError(try fixture.sql("DELETE FROM log_checkpoint"))
        XCTAssertThrowsError(try fixture.sql("UPDATE signing_key SET certificate = X'00'"))
        XCTAssertEqual(try fixture.vault.checkpoints(), [first])
    }

    func testAnHonestLogVerifiesAgainstEveryPublishedCheckpointAcrossKeyRotations() throws {
        var published = [try logAndPublish(3)]
        try fixture.vault.rotateSigningKey(name: "maracd test 2", recording: keyEvents)
        try fixture.vault.appendLog([entry(3), entry(4)])
        published.append(try fixture.vault.checkpoint(origin: origin))
        try fixture.vault.rotateRootKey(recording: keyEvents)
        try fixture.vault.appendLog([entry(5)])
        published.append(try fixture.vault.checkpoint(origin: origin))
        try fixture.reopen()
        let result = try fixture.vault.verifyLog(published: published)
        XCTAssertEqual(result.publishedChecked, 3)
        XCTAssertEqual(result.checkpointsChecked, 3)
        XCTAssertEqual(result.head.size, 8)  // six entries and the two key events
        XCTAssertEqual(try fixture.vault.signingCertificates().count, 2)
    }
}
