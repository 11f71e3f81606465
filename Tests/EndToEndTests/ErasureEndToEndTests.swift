import Foundation
import TestSupport
import XCTest

/// Erasure on the real daemon (issue 22, "Erasure erases"): the daemon run days ahead
/// (its wall clock moved by `DaemonHarness.faultLibrary`) applies retention at start; what outlived the documents before (the
/// receipt of their bytes, the case's equality facts and Dash count) goes with them, and a
/// form sent again is a new submission. A form's member named after a person is never
/// stored, reported or logged by its text.
final class ErasureEndToEndTests: XCTestCase {
    var daemon: DaemonHarness!
    override func setUpWithError() throws {
        daemon = try DaemonHarness(extraConfig: #""retention": {"caseDocumentDays": {"referral": 1}}"#)
    }
    override func tearDown() { daemon.cleanUp() }

    func sqlite(_ query: String) throws -> String {
        let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [daemon.state.appendingPathComponent("vault.db").path, query])
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The `doc=` of each `ingest.accepted` line.
    var acceptedDocuments: [String] {
        daemon.log.split(separator: "\n").filter { $0.contains(" ingest.accepted ") }.compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("doc=") }.map { String($0.dropFirst(4)) }
        }
    }

    func testRetentionOnTheDaemonErasesTheSubmissionReceiptAndTheCasesFactsAndAResendIsNew() throws {
        let root = daemon.state.deletingLastPathComponent()
        let offset = root.appendingPathComponent("clock-offset"), never = root.appendingPathComponent("no-fault")
        try Data(String(3 * 86_400).utf8).write(to: offset)
        let clock = try daemon.faultLibrary("EIO", trigger: never, clockOffset: offset)  // no fault: `never` never exists
        let referral = try RepositoryFixtures.bytes("valid/referral-police.json")
        try daemon.start()
        try daemon.drop(referral, as: "referral.json", agency: "police")
        try daemon.waitFor("the receipt") { acceptedDocuments.count == 1 }
        XCTAssertEqual(try sqlite("SELECT count(*) FROM x_submission"), "1")
        XCTAssertEqual(try sqlite("SELECT length(facts) > 0, dash_yes IS NOT NULL FROM x_case"), "1|1", "before: the case's facts are there")
        XCTAssertEqual(daemon.stop(), 0)

        // Three days on, the one-day retention has ended: erased at start.
        daemon.environment = ["LD_PRELOAD": clock.path]
        try daemon.start()
        try daemon.waitFor("retention at start") { daemon.log.contains("retention.erased documents=1") }
        XCTAssertEqual(try sqlite("SELECT count(*) FROM x_submission"), "0", "no receipt of erased bytes is kept")
        XCTAssertEqual(try sqlite("SELECT length(facts), dash_yes IS NULL FROM x_case"), "0|1", "the equality facts and Dash count are gone")

        // The same bytes again: a new submission, a new document; not a receipt for the erased one.
        try daemon.drop(referral, as: "again.json", agency: "police")
        try daemon.waitFor("the resend taken") { acceptedDocuments.count == 2 }
        XCTAssertNotEqual(acceptedDocuments[0], acceptedDocuments[1])
        XCTAssertFalse(daemon.log.contains("ingest.duplicate"), daemon.log)
        XCTAssertEqual(try sqlite("SELECT count(*) FROM x_submission"), "1")
        XCTAssertEqual(daemon.stop(), 0)
    }

    func testAMemberNamedAfterAPersonIsNeverStoredReportedOrLogged() throws {
        var form = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(RepositoryFixtures.bytes("valid/referral-police.json"))) as? [String: Any])
        var victim = try XCTUnwrap(form["victim"] as? [String: Any])
        victim["Quinn_Tamsin_1993-11-13"] = "see notes"
        form["victim"] = victim
        let bytes = [UInt8](try JSONSerialization.data(withJSONObject: form))
        try daemon.start()
        try daemon.drop(bytes, as: "unknown-member.json", agency: "police")
        try daemon.waitFor("the report") { FileManager.default.fileExists(atPath: daemon.report(for: bytes).path) }
        XCTAssertEqual(daemon.stop(), 0)

        let report = try String(contentsOf: daemon.report(for: bytes), encoding: .utf8)
        XCTAssertTrue(report.contains("unknown field: member"), report)
        var everything = [("report", report), ("daemon log", daemon.log)]
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let path = daemon.state.appendingPathComponent("vault.db" + suffix).path
            if let data = FileManager.default.contents(atPath: path) { everything.append((path, String(decoding: data, as: UTF8.self))) }
        }
        for (what, text) in everything {
            XCTAssertFalse(text.contains("Quinn_Tamsin"), "the member's text is in \(what)")
        }
    }
}
