import Exchange
import Foundation
import TestSupport
import Vault
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
        // A table: a header row, every column aligned, the justification shown.
        let table = human.split(separator: "\n").dropFirst().map(String.init)
        XCTAssertTrue(table.first?.hasPrefix("SEQ ") == true, human)
        let header = try XCTUnwrap(table.first)
        for column in ["OPERATION", "MEETING", "RULE/ACTION", "JUSTIFICATION"] {
            let offset = header.distance(from: header.startIndex, to: try XCTUnwrap(header.range(of: column)).lowerBound)
            for row in table.dropFirst() {
                let characters = Array(row)
                XCTAssertTrue(characters.count > offset && characters[offset - 1] == " " && characters[offset] != " ", "\(column) aligned: \(row)")
            }
        }
        XCTAssertTrue(table.contains { $0.hasSuffix("  referral form received through the police inbox") }, human)
        let today = LogEntry.timestamp(Date()).prefix(10)
        XCTAssertEqual(try daemon.ask(["audit", "log", "--operation", "collection", "--since", String(today)]).output
            .split(separator: "\n").filter { $0.contains("  collection  ") }.count, 2)
        // Filters the daemon would have compared as strings are refused, saying what is accepted.
        for bad in [["--since", "01/12/2026"], ["--since", "yesterday"], ["--operation", "refused"],
                    ["--since", "2026-12-02", "--until", "2026-12-01"]] {
            let refused = try Subprocess.run(CLITests.products.appendingPathComponent("maracctl"), ["audit", "log"] + bad + ["--state", daemon.state.path])
            XCTAssertEqual(refused.status, 64, "\(bad): \(refused.stderr)")
            XCTAssertEqual(refused.output, "", "\(bad)")
            XCTAssertTrue(refused.stderr.contains(bad[0] == "--operation" ? "collection, alteration" : "must be"), refused.stderr)
        }
        let certs = daemon.state.appendingPathComponent("outbox/police/signing-certificates.pem").path
        let proof = try daemon.ask(["audit", "prove", "1", "--checkpoint", checkpoint, "--certs", certs])
        XCTAssertTrue(proof.output.contains("the inclusion proof verifies") && proof.output.contains("consistency proof verifies"), proof.output)
        let proofFile = scratch.appendingPathComponent("proof.json")
        try daemon.ask(["audit", "prove", "1", "--checkpoint", checkpoint, "--certs", certs, "--json"]).stdout.write(to: proofFile)
        // A checkpoint whose signature does not verify is refused, and so is one with no
        // certificates to check it against.
        var lines = try String(contentsOfFile: checkpoint, encoding: .utf8).components(separatedBy: "\n")
        lines[2] = Data(count: 32).base64EncodedString()  // another root under the same signature
        let forgedPath = scratch.appendingPathComponent("forged-cp.txt").path
        try lines.joined(separator: "\n").write(toFile: forgedPath, atomically: true, encoding: .utf8)
        let maracctl = CLITests.products.appendingPathComponent("maracctl")
        let refused = try Subprocess.run(maracctl, ["audit", "prove", "1", "--checkpoint", forgedPath, "--certs", certs, "--state", daemon.state.path])
        XCTAssertEqual(refused.status, 65, refused.stderr)
        XCTAssertEqual(refused.stderr, "maracctl: the checkpoint's signature does not verify with any certificate in \(certs)\n")
        XCTAssertEqual(try Subprocess.run(maracctl, ["audit", "prove", "1", "--checkpoint", checkpoint, "--state", daemon.state.path]).status, 64,
                       "a checkpoint needs the certificates to check it")
        let good = try export("good.json")
        let byDaemon = try DaemonHarness.ctl(["audit", "verify", "--socket", daemon.state.appendingPathComponent("run/maracd.sock").path])
        XCTAssertTrue(byDaemon.output.contains("log verified by the daemon") && byDaemon.output.contains("published checkpoint(s) in the witness"),
                      byDaemon.output)
        XCTAssertEqual(daemon.stop(), 0)

        let ok = try python([good, "--checkpoint", checkpoint, "--certs", certs, "--proof", proofFile.path])
        XCTAssertEqual(ok.status, 0, ok.output + ok.stderr)
        XCTAssertTrue(ok.output.contains("signature verified by openssl"), ok.output)
        XCTAssertTrue(ok.output.contains("OK: entry 1 is included"), ok.output)
        XCTAssertTrue(ok.output.contains("anchored in the signed checkpoint"), ok.output)

        // Forged proofs: each hashes to its own root, which is all the script used to check.
        let real = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: proofFile)) as? [String: Any])
        let realRaw = try XCTUnwrap(Data(base64Encoded: real["raw"] as? String ?? ""))
        let forgedRaw = Data(#"{"forged":true}"#.utf8)
        let sibling = [UInt8](repeating: 0x42, count: 32)
        let forgeries: [(String, [String: Any], String)] = [
            ("another entry's bytes", ["entry": 0, "raw": forgedRaw.base64EncodedString(), "size": 1, "inclusion": [String](),
                                       "root": Data(MerkleTree.leafHash(forgedRaw)).base64EncodedString()],
             "FAIL: the proof's entry 0 is not the log's leaf at that index"),
            ("a tree of its own", ["entry": 1, "raw": realRaw.base64EncodedString(), "size": 2, "inclusion": [Hex.encode(sibling)],
                                   "root": Data(MerkleTree.nodeHash(sibling, MerkleTree.leafHash(realRaw))).base64EncodedString()],
             "FAIL: the proof for entry 1 is not anchored in a signed checkpoint given"),
        ]
        for (what, forged, failure) in forgeries {
            let path = scratch.appendingPathComponent("forged-proof.json")
            try JSONSerialization.data(withJSONObject: forged).write(to: path)
            let refused = try python([good, "--checkpoint", checkpoint, "--certs", certs, "--proof", path.path])
            XCTAssertEqual(refused.status, 1, "\(what): \(refused.output)")
            XCTAssertTrue(refused.output.contains(failure), "\(what): \(refused.output)")
        }
        let unanchored = try python([good, "--proof", proofFile.path])
        XCTAssertEqual(unanchored.status, 2, "a proof needs a signed checkpoint")
        XCTAssertTrue(unanchored.stderr.contains("--proof needs a signed checkpoint"), unanchored.stderr)
        XCTAssertNotEqual(try python([good, "--checkpoint", checkpoint, "--certs", certs, "--origin", "elsewhere.example/maracd"]).status, 0)

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
