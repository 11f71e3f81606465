import Foundation
import TestSupport
import XCTest

/// The restore drill of `deploy/README.md` on the real binaries (issue 22): a backup taken
/// while forms arrive, more forms, the vault restored from the backup; the daemon holds
/// (no form taken, nothing disclosed) until a key custodian acknowledges the restore,
/// which logs the lost range; the inbox's forms are then taken, and `audit verify` passes,
/// reporting the restore. A second rollback nobody acknowledged still fails it.
final class RestoreDrillTests: XCTestCase {
    var daemon: DaemonHarness!
    override func setUpWithError() throws { daemon = try DaemonHarness() }
    override func tearDown() { daemon.cleanUp() }

    /// A distinct police referral (victim "Tamsin Quinn-xy" for the `i`th two letters).
    func form(_ i: Int) throws -> [UInt8] {
        let suffix = String([Character(UnicodeScalar(97 + i / 26)!), Character(UnicodeScalar(97 + i % 26)!)])
        return Array(String(decoding: try RepositoryFixtures.bytes("valid/referral-police.json"), as: UTF8.self)
            .replacingOccurrences(of: "Tamsin Quinn", with: "Tamsin Quinn-\(suffix)").utf8)
    }

    func send(_ range: Range<Int>) throws {
        for i in range { try daemon.drop(try form(i), as: "form-\(i).json", agency: "police") }
    }

    func receipted(_ range: Range<Int>) -> Bool {
        range.allSatisfy { i in (try? form(i)).map { FileManager.default.fileExists(atPath: daemon.receipt(for: $0).path) } ?? false }
    }

    func sqlite(_ database: URL, _ command: String) throws -> String {
        let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [database.path, command])
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `maracctl ARGS --state STATE`, whatever its exit status.
    func maracctl(_ arguments: [String]) throws -> Subprocess {
        try Subprocess.run(CLITests.products.appendingPathComponent("maracctl"), arguments + ["--state", daemon.state.path])
    }

    var witness: URL { daemon.state.appendingPathComponent("witness") }
    var vaultFile: URL { daemon.state.appendingPathComponent("vault.db") }

    /// The sizes of the checkpoints in the witness directory.
    var witnessSizes: [Int] {
        daemon.names(witness).compactMap { Int($0.dropFirst("checkpoint-".count).prefix(12)) }
    }

    /// Copies `backup` over the vault, as `deploy/README.md` says (the daemon stopped).
    func restore(_ backup: URL) throws {
        try? FileManager.default.removeItem(at: vaultFile)
        try FileManager.default.copyItem(at: backup, to: vaultFile)
        XCTAssertEqual(chmod(vaultFile.path, 0o600), 0)  // install -m 0600, as deploy/README.md does
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: vaultFile.path + suffix) }
    }

    func testABackupRestoredIsHeldUntilAcknowledgedThenVerifiesWithTheLostRangeNamed() throws {
        try Data(#"{"version": 1, "principals": [{"uid": 0, "name": "Custodian", "agency": "idva", "roles": ["coordinator", "key-custodian", "ig-officer"], "scope": "marac"}]}"#.utf8)
            .write(to: daemon.principalsPath)
        try daemon.writeConfig(#""principalsFile": "\#(daemon.principalsPath.path)", "audit": {"checkpointIntervalSeconds": 1}"#)
        try daemon.start()

        // The backup, taken with SQLite's backup API while forms arrive.
        let backup = daemon.state.deletingLastPathComponent().appendingPathComponent("vault-backup.db")
        let forms = try (0..<12).map(form), inbox = daemon.inbox("police")
        let sender = Thread {
            for (i, bytes) in forms.enumerated() {  // as an SFTP client does: a dotfile, then a rename
                let hidden = inbox.appendingPathComponent(".incoming-\(i)")
                try? Data(bytes).write(to: hidden)
                rename(hidden.path, inbox.appendingPathComponent("form-\(i).json").path)
            }
        }
        sender.start()
        try daemon.waitFor("some forms in") { receipted(0..<3) }
        _ = try sqlite(vaultFile, ".backup '\(backup.path)'")
        try daemon.waitFor("the first forms' receipts") { receipted(0..<12) }
        let backedUp = Int(try sqlite(backup, "SELECT count(*) FROM log_entry")) ?? -1
        XCTAssertGreaterThan(backedUp, 0)

        // More forms after it; a checkpoint is published beyond the backup.
        try send(12..<16)
        try daemon.waitFor("the later forms' receipts") { receipted(12..<16) }
        try daemon.waitFor("a checkpoint published beyond the backup") { (witnessSizes.max() ?? 0) > backedUp }
        XCTAssertEqual(daemon.stop(), 0)
        let lostUpTo = witnessSizes.max()!

        // Restored; two forms wait in the inbox.
        try restore(backup)
        try send(16..<18)
        try daemon.start()
        try daemon.waitFor("the hold") { daemon.log.contains("log.restore_needed") }
        try daemon.waitFor("the daemon holding a while") { daemon.log.components(separatedBy: "log.restore_held").count > 3 }
        XCTAssertEqual(daemon.names(daemon.inbox("police")).sorted(), ["form-16.json", "form-17.json"], "no form taken while held")
        let status = try daemon.ask(["status"])
        XCTAssertTrue(status.output.contains("HELD: restore: the log is behind the published checkpoint at size \(lostUpTo)"), status.output)
        let refused = try maracctl(["case", "list"])
        XCTAssertEqual(refused.status, 69, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("the daemon is held: its log is behind a checkpoint it published"), refused.stderr)
        XCTAssertEqual(try maracctl(["key", "acknowledge-restore"]).status, 64, "a reason is needed")
        // An IG officer may read the log while it holds (that read is logged, after the restored size).
        XCTAssertEqual(try maracctl(["audit", "log"]).status, 0)

        // Acknowledged: the lost range is logged, and the daemon takes forms again.
        let acknowledged = try daemon.ask(["key", "acknowledge-restore", "--reason", "drill: restored from vault-backup.db"])
        XCTAssertTrue(acknowledged.output.contains("restore acknowledged in log entry \(backedUp + 1): the log was rolled back to \(backedUp) entries"),
                      acknowledged.output)
        XCTAssertTrue(acknowledged.output.contains("the lost history reached \(lostUpTo)"), acknowledged.output)
        try daemon.waitFor("the inbox's forms taken") { receipted(16..<18) }
        XCTAssertEqual(try maracctl(["key", "acknowledge-restore", "--reason", "again"]).status, 65,
                       "nothing left to acknowledge")
        let verified = try Subprocess.run(CLITests.products.appendingPathComponent("maracctl"),
                                          ["audit", "verify", "--socket", daemon.state.appendingPathComponent("run/maracd.sock").path])
        XCTAssertEqual(verified.status, 0, verified.stderr)
        XCTAssertTrue(verified.output.contains("restore acknowledged at entry \(backedUp + 1): the log was rolled back to \(backedUp) entries; "
                                               + "entries \(backedUp) to \(lostUpTo - 1) of the earlier history were lost"), verified.output)
        try daemon.waitFor("a checkpoint over the acknowledgement published") { witnessSizes.contains { $0 > backedUp && $0 != lostUpTo } }
        XCTAssertEqual(daemon.stop(), 0)
        let offline = try maracctl(["audit", "verify"])
        XCTAssertEqual(offline.status, 0, offline.stderr)
        XCTAssertTrue(offline.output.contains("restore acknowledged at entry \(backedUp + 1): the log was rolled back to \(backedUp) entries"),
                      offline.output)

        // A rollback nobody acknowledged: verification fails, and the daemon holds again.
        try restore(backup)
        let rewritten = try maracctl(["audit", "verify"])
        XCTAssertEqual(rewritten.status, 65, rewritten.output)
        XCTAssertTrue(rewritten.stderr.contains("its tail was removed"), rewritten.stderr)
        try daemon.start()
        try daemon.waitFor("the second hold") { daemon.log.components(separatedBy: "log.restore_needed").count == 3 }
        XCTAssertEqual(daemon.stop(), 0)
    }
}
