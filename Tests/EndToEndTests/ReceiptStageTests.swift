import Foundation
import TestSupport
import XCTest

/// The receipt stage writes a stored batch's receipts, syncs and removes its claimed
/// files on its own thread while the next batch is stored (`ReceiptStage`). Its files are
/// stored already: a rescan meanwhile must not take them again, and SIGTERM must finish
/// them before the daemon exits. Either mistake shows as a second `ingest.duplicate`
/// receipt for a form taken twice.
final class ReceiptStageTests: XCTestCase {
    var daemon: DaemonHarness!
    override func tearDown() { daemon?.cleanUp() }

    static func forms(_ count: Int, tag: String) throws -> [(name: String, bytes: [UInt8])] {
        let police = String(decoding: try RepositoryFixtures.bytes("valid/referral-police.json"), as: UTF8.self)
        return (0..<count).map { ("\(tag)-\($0).json", Array(police.replacingOccurrences(of: "Tamsin Quinn", with: "\(tag) Victim \($0)").utf8)) }
    }

    /// Drops every form at once: staged in a sibling directory, then renamed in.
    func dropAll(_ forms: [(name: String, bytes: [UInt8])]) throws {
        let staging = daemon.state.deletingLastPathComponent().appendingPathComponent("staging")
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        for form in forms { try Data(form.bytes).write(to: staging.appendingPathComponent(form.name)) }
        for form in forms {
            XCTAssertEqual(rename(staging.appendingPathComponent(form.name).path, daemon.inbox("police").appendingPathComponent(form.name).path), 0)
        }
    }

    func assertEachReceiptedOnce(_ forms: [(name: String, bytes: [UInt8])], file: StaticString = #filePath, line: UInt = #line) throws {
        let receipts = Set(daemon.names(daemon.receipts("police")))
        for form in forms {
            XCTAssertTrue(receipts.contains(daemon.receipt(for: form.bytes).lastPathComponent), form.name, file: file, line: line)
        }
        XCTAssertEqual(daemon.log.components(separatedBy: "ingest.accepted").count - 1, forms.count, "each taken once", file: file, line: line)
        XCTAssertFalse(daemon.log.contains("ingest.duplicate"), "a form taken twice", file: file, line: line)
        XCTAssertEqual(daemon.names(daemon.state.appendingPathComponent("processing/police")), [], "claimed files left", file: file, line: line)
        let db = daemon.state.appendingPathComponent("vault.db").path
        let count = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [db, "SELECT count(*) FROM document WHERE kind = 'referral'"])
        XCTAssertEqual(count.output.trimmingCharacters(in: .whitespacesAndNewlines), "\(forms.count)", file: file, line: line)
    }

    /// Rescans every 0.1 s, with nothing left to settle, while forms go through in
    /// batches of 100: many rescans list the processing directory while a batch's claimed
    /// files wait there for their receipts. (A rescan first stores the batch being
    /// validated, so those files are in the receipt stage too.) Dropped 150 at a time, so
    /// a name a rescan finds comes round again in the next batch or the one after.
    func testARescanDoesNotTakeFilesWhoseReceiptsAreBeingWritten() throws {
        daemon = try DaemonHarness(extraConfig: #""ingest": {"maxBatchFiles": 100}, "inbox": {"rescanIntervalSeconds": 0.1, "settleSeconds": 0}"#)
        let forms = try Self.forms(600, tag: "Rescan")
        try daemon.start()
        for round in 0..<4 {
            try dropAll(Array(forms[(round * 150)..<((round + 1) * 150)]))
            try daemon.waitFor("round \(round)'s receipts", timeout: 120) { daemon.names(daemon.receipts("police")).count == (round + 1) * 150 }
        }
        try daemon.waitForRescans(3)  // rescans after the last batch: none may take a file again
        XCTAssertEqual(daemon.stop(), 0)
        try assertEachReceiptedOnce(forms)
    }

    /// A batch the Marac refuses as a whole (a referral while there is no Idva) is stored
    /// one form at a time from the verdicts already reached: the invalid form gets its
    /// report, the referral waits claimed, and is taken once an Idva is registered.
    func testARefusedBatchIsStoredOneAtATimeAndTheWaitingFormIsTakenLater() throws {
        daemon = try DaemonHarness(extraConfig: #""inbox": {"rescanIntervalSeconds": 0.2}"#,
                                   agencies: DaemonHarness.agencies.filter { $0.1 != "idva" })
        let referral = try RepositoryFixtures.bytes("valid/referral-police.json")
        let invalid = Array(String(decoding: referral, as: UTF8.self).replacingOccurrences(of: "\"dob\": \"1993-11-13\"", with: "\"dob\": \"2099-01-01\"").utf8)
        try daemon.useKeyCustodian()  // the Idva is registered through the running daemon
        try daemon.start()
        try dropAll([("referral.json", referral), ("invalid.json", invalid)])
        try daemon.waitFor("the invalid form's report") { FileManager.default.fileExists(atPath: daemon.report(for: invalid).path) }
        try daemon.waitFor("the referral to wait") { daemon.log.contains("ingest.waiting") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: daemon.receipt(for: referral).path))
        try daemon.waitFor("the invalid form's claimed file to go; the referral waits claimed") {
            daemon.names(daemon.state.appendingPathComponent("processing/police")).count == 1
        }

        try DaemonHarness.ctl(["agency", "add", "idva", "--kind", "idva", "--name", "Test idva", "--state", daemon.state.path])
        try daemon.waitFor("the referral's receipt") { FileManager.default.fileExists(atPath: daemon.receipt(for: referral).path) }
        XCTAssertEqual(daemon.stop(), 0)
        XCTAssertEqual(daemon.names(daemon.state.appendingPathComponent("processing/police")), [])
        XCTAssertEqual(daemon.log.components(separatedBy: "ingest.accepted").count - 1, 1)
        XCTAssertEqual(daemon.log.components(separatedBy: "ingest.rejected").count - 1, 1)
    }

    /// SIGTERM as the first receipts appear, with batches still to come: the daemon exits
    /// 0 after the stage has finished the batches it stored, and a restart takes the rest
    /// without taking any form twice.
    func testTermFinishesTheStoredBatchesReceiptsBeforeExit() throws {
        daemon = try DaemonHarness(extraConfig: #""ingest": {"maxBatchFiles": 100}"#)
        let forms = try Self.forms(600, tag: "Term")
        try daemon.start()
        try dropAll(forms)
        try daemon.waitFor("a first receipt", timeout: 60) { !daemon.names(daemon.receipts("police")).isEmpty }
        XCTAssertEqual(daemon.stop(), 0)
        let stored = daemon.log.components(separatedBy: "ingest.accepted").count - 1
        XCTAssertLessThan(stored, forms.count, "stopped part way, as the test intends")
        XCTAssertEqual(daemon.names(daemon.receipts("police")).count, stored, "every form stored before the stop has its receipt")
        XCTAssertEqual(daemon.names(daemon.state.appendingPathComponent("processing/police")), [], "and its claimed file is gone")
        try daemon.start()
        try daemon.waitFor("every receipt", timeout: 120) { daemon.names(daemon.receipts("police")).count == forms.count }
        XCTAssertEqual(daemon.stop(), 0)
        try assertEachReceiptedOnce(forms)
    }
}
