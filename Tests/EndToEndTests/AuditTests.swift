import Foundation
import TestSupport
import XCTest

/// The IG officer's audit through the daemon, checked offline by `scripts/verify-log.py`
/// (Python's standard library and the openssl CLI) and by `maracctl audit verify`. Then
/// the log is tampered with the sqlite3 CLI four ways (a basis changed, a row deleted, two
/// rows swapped, the tail cut) and both must fail, naming the first bad entry.
final class AuditTests: XCTestCase {
    var daemon: DaemonHarness!
    var scratch: URL { daemon.state.deletingLastPathComponent() }

    override func setUpWithError() throws {
        daemon = try DaemonHarness()
        try daemon.useMaracWideIGOfficer()
    }
    override func tearDown() { daemon.cleanUp() }

    func python(_ arguments: [String]) throws -> Subprocess {
        let script = DaemonHarness.repository.appendingPathComponent("scripts/verify-log.py").path
        return try Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script] + arguments)
    }

    func export(_ name: String) throws -> String {
        let path = scratch.appendingPathComponent(name).path
        try daemon.ask(["audit", "log", "--json"]).stdout.write(to: URL(fileURLWithPath: path))
        return path
    }

    func sqlite(_ sql: String) throws {
        let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [daemon.state.appendingPathComponent("vault.db").path, sql])
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    func testTheIGOfficersAuditVerifiesOfflineAndEveryTamperIsNamed() throws {
        try daemon.start()
        for (i, name) in ["valid/referral-police.json", "valid/referral-health-professional-judgement-no-consent.json"].enumerated() {
            try daemon.drop(try RepositoryFixtures.bytes(name), as: "\(i).json", agency: i == 0 ? "police" : "health")
        }
        try daemon.waitFor("two receipts") { daemon.names(daemon.receipts("police")).count + daemon.names(daemon.receipts("health")).count == 2 }
        let checkpoint = scratch.appendingPathComponent("cp.txt").path
        XCTAssertTrue(try daemon.ask(["audit", "checkpoint", "--out", checkpoint]).output.contains("written to"))
        let human = try daemon.ask(["audit", "log", "--operation", "collection"]).output
        XCTAssertEqual(human.split(separator: "\n").filter { $0.contains("  collection  ") }.count, 2, human)
        let proof = try daemon.ask(["audit", "prove", "1", "--checkpoint", checkpoint])
        XCTAssertTrue(proof.output.contains("the inclusion proof verifies") && proof.output.contains("consistency proof verifies"), proof.output)
        let proofFile = scratch.appendingPathComponent("proof.json")
        try daemon.ask(["audit", "prove", "1", "--json"]).stdout.write(to: proofFile)
        let good = try export("good.json")
        let byDaemon = try DaemonHarness.ctl(["audit", "verify", "--socket", daemon.state.appendingPathComponent("run/maracd.sock").path])
        XCTAssertTrue(byDaemon.output.contains("log verified by the daemon") && byDaemon.output.contains("published checkpoint(s) in the witness"),
                      byDaemon.output)
        XCTAssertEqual(daemon.stop(), 0)

        let certs = daemon.state.appendingPathComponent("outbox/police/signing-certificates.pem").path
        let ok = try python([good, "--checkpoint", checkpoint, "--certs", certs, "--proof", proofFile.path])
        XCTAssertEqual(ok.status, 0, ok.output + ok.stderr)
        XCTAssertTrue(ok.output.contains("signature verified by openssl"), ok.output)
        XCTAssertTrue(ok.output.contains("OK: entry 1 is included"), ok.output)

        // Four tampers, each on a fresh copy of the untouched database.
        let db = daemon.state.appendingPathComponent("vault.db").path
        _ = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [db, "PRAGMA wal_checkpoint(TRUNCATE)"])
        let pristine = try Data(contentsOf: URL(fileURLWithPath: db))
        let drop = "DROP TRIGGER log_entry_no_update; DROP TRIGGER log_entry_no_delete;"
        // The first entry with a basis (the agencies' registrations come before it).
        let withBasis = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"),
                                           [db, "SELECT MIN(seq) FROM log_entry WHERE CAST(entry AS TEXT) LIKE '%consent%'"])
        let basisSeq = try XCTUnwrap(Int(withBasis.output.trimmingCharacters(in: .whitespacesAndNewlines)))
        let tampers: [(String, String, String)] = [
            ("a basis changed", drop + "UPDATE log_entry SET entry = CAST(REPLACE(CAST(entry AS TEXT), 'consent', 'audit') AS BLOB) WHERE seq = \(basisSeq);",
             "log entry \(basisSeq)"),
            ("a row deleted", drop + "DELETE FROM log_entry WHERE seq = 1;", "log entry 1"),
            ("two rows swapped", drop + "UPDATE log_entry SET seq = -1 WHERE seq = 0; UPDATE log_entry SET seq = 0 WHERE seq = 1; UPDATE log_entry SET seq = 1 WHERE seq = -1;", "log entry 0"),
            ("the tail cut", drop + "DELETE FROM log_entry WHERE seq >= 1; DELETE FROM log_node WHERE idx >= 1 OR level > 0;", "log entry 1"),
        ]
        for (what, sql, first) in tampers {
            // (The daemon's own audit verify would refuse too; the offline tools are checked here.)
            try pristine.write(to: URL(fileURLWithPath: db))
            for suffix in ["-wal", "-shm"] { unlink(db + suffix) }
            try sqlite(sql)
            let offline = try Subprocess.run(CLITests.products.appendingPathComponent("maracctl"), ["audit", "verify", "--state", daemon.state.path])
            XCTAssertEqual(offline.status, 65, "\(what): \(offline.output)")
            XCTAssertTrue(offline.stderr.contains("integrity check failed for \(first)"), "\(what): \(offline.stderr)")
            if what == "the tail cut" {
                // The fact digest is bound to the log's size (docs/vault-format.md, "Authenticated
                // facts"): the daemon itself refuses a log shorter than the one it last wrote.
                let maracd = try Subprocess.run(CLITests.products.appendingPathComponent("maracd"), ["--config", daemon.configPath.path, "--allow-root"])
                XCTAssertNotEqual(maracd.status, 0, what)
                XCTAssertTrue(maracd.stderr.contains("integrity check failed for vault_fact_state"), "\(what): \(maracd.stderr)")
                continue
            }
            try daemon.start()
            let tampered = try export("tampered.json")
            XCTAssertEqual(daemon.stop(), 0)
            let against = try python([tampered, "--checkpoint", checkpoint, "--previous", good])
            XCTAssertEqual(against.status, 1, "\(what): \(against.output)")
            XCTAssertTrue(against.output.contains("FAIL: \(first) ") || against.output.contains("FAIL: \(first) and after"), "\(what): \(against.output)")
        }
    }
}
