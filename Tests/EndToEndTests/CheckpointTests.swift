import Foundation
import TestSupport
import Vault
import XCTest

/// The real daemon issues signed checkpoints as the log grows and publishes them outside
/// the database: the witness directory and the IG officer's agency outbox. Stock openssl
/// verifies them; `maracctl audit verify` proves the log consistent with them, and fails
/// once the database's copy of history is changed.
final class CheckpointTests: XCTestCase {
    var daemon: DaemonHarness!
    override func setUpWithError() throws {
        daemon = try DaemonHarness()
        let principals = daemon.state.deletingLastPathComponent().appendingPathComponent("principals.json")
        try Data(#"{"version": 1, "principals": [{"uid": 1004, "name": "IG officer", "agency": "idva", "roles": ["ig-officer"]}]}"#.utf8)
            .write(to: principals)
        try daemon.writeConfig(#""principalsFile": "\#(principals.path)", "audit": {"checkpointIntervalSeconds": 1, "checkpointOrigin": "e2e.example/maracd"}"#)
    }
    override func tearDown() { daemon.cleanUp() }

    private var witness: URL { daemon.state.appendingPathComponent("witness") }
    private var igCheckpoints: URL { daemon.state.appendingPathComponent("outbox/idva/checkpoints") }

    func testCheckpointsArePublishedVerifiedWithOpenSSLAndDetectDeletedHistory() throws {
        try daemon.start()
        try daemon.drop(try RepositoryFixtures.bytes("valid/referral-police.json"), as: "a.json", agency: "police")
        try daemon.waitFor("a published checkpoint") { !daemon.names(witness).isEmpty }
        try daemon.drop(try RepositoryFixtures.bytes("invalid/referral-future-dob.json"), as: "b.json", agency: "police")
        try daemon.waitFor("the report") { daemon.names(daemon.rejected("police")).count == 1 }
        XCTAssertEqual(daemon.stop(), 0)  // shutdown publishes whatever the interval held back

        let published = daemon.names(witness)
        XCTAssertGreaterThanOrEqual(published.count, 2, daemon.log)
        XCTAssertEqual(daemon.names(igCheckpoints), published, "the IG officer's outbox holds every checkpoint")
        XCTAssertEqual(daemon.names(daemon.state.appendingPathComponent("outbox/police/checkpoints")), [],
                       "an agency without an IG officer gets none")
        let newest = witness.appendingPathComponent(published.last!)
        let text = try String(contentsOf: newest, encoding: .utf8)
        XCTAssertEqual(try String(contentsOf: igCheckpoints.appendingPathComponent(published.last!), encoding: .utf8), text)
        let checkpoint = try Checkpoint.parse(text)
        XCTAssertEqual(published.last!, "checkpoint-" + String(format: "%012d", checkpoint.head.size) + ".txt")
        XCTAssertEqual(checkpoint.origin, "e2e.example/maracd")
        XCTAssertTrue(daemon.log.contains("log.checkpoint"), daemon.log)

        // Stock openssl checks the signature with the certificate the outbox publishes.
        let scratch = daemon.state.deletingLastPathComponent()
        let body = scratch.appendingPathComponent("body.txt"), signature = scratch.appendingPathComponent("sig.der")
        let key = scratch.appendingPathComponent("pub.pem")
        try Data(checkpoint.body.utf8).write(to: body)
        try Data(checkpoint.signature).write(to: signature)
        let openssl = URL(fileURLWithPath: "/usr/bin/openssl")
        let pub = try Subprocess.run(openssl, ["x509", "-pubkey", "-noout", "-in",
                                               daemon.state.appendingPathComponent("outbox/idva/signing-certificates.pem").path])
        XCTAssertEqual(pub.status, 0, pub.stderr)
        try pub.stdout.write(to: key)
        let verified = try Subprocess.run(openssl, ["dgst", "-sha256", "-verify", key.path, "-signature", signature.path, body.path])
        XCTAssertEqual(verified.output, "Verified OK\n", verified.stderr)

        let good = try DaemonHarness.ctl(["audit", "verify", "--state", daemon.state.path])
        XCTAssertTrue(good.output.contains("consistent with \(published.count) published checkpoint(s)"), good.output)

        // Whoever can write the database deletes the checkpoints (dropping the triggers
        // first): the published copies still convict it.
        let sqlite = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [daemon.state.appendingPathComponent("vault.db").path,
            "DROP TRIGGER log_checkpoint_no_delete; DELETE FROM log_checkpoint;"])
        XCTAssertEqual(sqlite.status, 0, sqlite.stderr)
        let bad = try Subprocess.run(CLITests.products.appendingPathComponent("maracctl"), ["audit", "verify", "--state", daemon.state.path])
        XCTAssertEqual(bad.status, 65)
        let first = try Checkpoint.parse(String(contentsOf: witness.appendingPathComponent(published[0]), encoding: .utf8))
        XCTAssertEqual(bad.stderr, "maracctl: integrity check failed for published checkpoint at size \(first.head.size) "
                       + "(missing from the database): log\n")
    }
}
