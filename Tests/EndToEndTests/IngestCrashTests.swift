import Foundation
import TestSupport
import XCTest

/// `kill -9` at random moments while forms arrive: after a final restart every form is
/// stored exactly once with its receipt, or rejected exactly once with its report.
///
/// CI runs 200 forms and 20 kills. The long run (documented in `docs/operations.md`):
/// `MARACD_CRASH_FORMS=2000 MARACD_CRASH_KILLS=200 swift test --filter IngestCrashTests`.
final class IngestCrashTests: XCTestCase {
    var daemon: DaemonHarness!
    override func setUpWithError() throws { daemon = try DaemonHarness(extraConfig: #""ingest": {"maxBatchFiles": 16}"#) }
    override func tearDown() { daemon.cleanUp() }

    static var forms: Int { ProcessInfo.processInfo.environment["MARACD_CRASH_FORMS"].flatMap(Int.init) ?? 200 }
    static var kills: Int { ProcessInfo.processInfo.environment["MARACD_CRASH_KILLS"].flatMap(Int.init) ?? 20 }

    /// Form `i`: a police referral for its own victim, or every seventh an invalid one.
    static func form(_ i: Int, police: String) -> (name: String, bytes: [UInt8], valid: Bool) {
        let valid = i % 7 != 3
        var text = police.replacingOccurrences(of: "Tamsin Quinn", with: "Victim Number \(i)")
        if !valid { text = text.replacingOccurrences(of: "\"dob\": \"1993-11-13\"", with: "\"dob\": \"2099-01-01\"") }
        return ("form-\(i).json", Array(text.utf8), valid)
    }

    func testEveryFormIsAccountedForExactlyOnceAcrossKills() throws {
        let police = String(decoding: try RepositoryFixtures.bytes("valid/referral-police.json"), as: UTF8.self)
        let forms = (0..<Self.forms).map { Self.form($0, police: police) }
        try daemon.start()

        // Drop the forms in the background while the daemon is killed and restarted.
        let inbox = daemon.inbox("police")
        let dropper = Thread {
            for form in forms {
                let temporary = inbox.appendingPathComponent(".incoming-" + form.name)
                try? Data(form.bytes).write(to: temporary)
                rename(temporary.path, inbox.appendingPathComponent(form.name).path)
                Thread.sleep(forTimeInterval: Double.random(in: 0...0.004))
            }
        }
        dropper.start()
        var kills = 0
        while kills < Self.kills {
            Thread.sleep(forTimeInterval: Double.random(in: 0.02...0.12))
            XCTAssertEqual(daemon.stop(SIGKILL), SIGKILL)
            kills += 1
            try daemon.start()
        }
        try daemon.waitFor("every form dropped", timeout: 60) { dropper.isFinished }
        try daemon.waitFor("the inbox to empty", timeout: 60) { daemon.names(daemon.inbox("police")).isEmpty }
        XCTAssertEqual(daemon.stop(), 0)

        let receipts = Set(daemon.names(daemon.receipts("police")))
        let reports = Set(daemon.names(daemon.rejected("police")))
        for form in forms {
            let receipt = receipts.contains(daemon.receipt(for: form.bytes).lastPathComponent)
            let report = reports.contains(daemon.report(for: form.bytes).lastPathComponent)
            XCTAssertTrue(receipt != report, "\(form.name): receipt \(receipt), report \(report)")
            XCTAssertEqual(receipt, form.valid, form.name)
        }
        XCTAssertEqual(receipts.count + reports.count, forms.count, "no stray outputs")
        for name in receipts {
            XCTAssertFalse(try Data(contentsOf: daemon.receipts("police").appendingPathComponent(name)).isEmpty, name)
        }
        let valid = forms.filter(\.valid).count
        let db = daemon.state.appendingPathComponent("vault.db").path
        let counts = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [db,
            "SELECT (SELECT count(*) FROM document WHERE kind = 'referral'), (SELECT count(*) FROM x_case),"
            + " (SELECT count(*) FROM document WHERE kind = 'quarantine'), (SELECT count(DISTINCT digest) FROM x_submission)"])
        XCTAssertEqual(counts.output.trimmingCharacters(in: .whitespacesAndNewlines),
                       "\(valid)|\(valid)|\(forms.count - valid)|\(valid)", "each form stored once")
        for (name, bytes) in try daemon.filesOutsideInboxes() {
            XCTAssertNil(Data(bytes).range(of: Data("Victim Number".utf8)), "plaintext in \(name)")
        }
        XCTAssertEqual(daemon.starts, Self.kills + 1, "one start, then one restart per kill")
    }
}
