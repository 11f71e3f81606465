import Foundation
import TestSupport
import Vault
import XCTest

/// An agency replacing a file while the daemon takes it: thousands of forms renamed over
/// one inbox name as fast as the writer can go. The writer swaps each new form in with
/// `renameat2(RENAME_EXCHANGE)`, so whatever was still under the name comes back to it:
/// that form was withdrawn by the agency, never taken. Every other form must end with
/// exactly one receipt or report, and no withdrawn form with any: the daemon never
/// deletes a file it has not read, and never reads one it then leaves to the agency.
final class ClaimRaceTests: XCTestCase {
    var daemon: DaemonHarness!
    override func setUpWithError() throws { daemon = try DaemonHarness(extraConfig: #""ingest": {"maxBatchFiles": 8}"#) }
    override func tearDown() { daemon.cleanUp() }

    static var forms: Int { ProcessInfo.processInfo.environment["MARACD_RACE_FORMS"].flatMap(Int.init) ?? 2_000 }

    private typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
    private static let renameat2: RenameAt2 = unsafeBitCast(dlsym(nil, "renameat2"), to: RenameAt2.self)
    private static let exchange: UInt32 = 2, noReplace: UInt32 = 1

    /// What the writer saw, handed back to the test when it finishes.
    private final class Tally: @unchecked Sendable {
        var withdrawn: [[UInt8]] = []
        var exchanges = 0
    }

    func testFormsRenamedOverAFileBeingTakenEachEndWithOneReceiptOrReportOrAreWithdrawn() throws {
        let police = String(decoding: try RepositoryFixtures.bytes("valid/referral-police.json"), as: UTF8.self)
        let forms = (0..<Self.forms).map { IngestCrashTests.form($0, police: police) }
        try daemon.start()
        let inbox = daemon.inbox("police")
        let target = inbox.appendingPathComponent("referral.json").path
        let tally = Tally()
        let finished = DispatchSemaphore(value: 0)  // the writer's end, seen by this thread (ThreadSanitizer)
        let writer = Thread {
            defer { finished.signal() }
            for (i, form) in forms.enumerated() {
                let temporary = inbox.appendingPathComponent(".w-\(i)").path
                _ = FileManager.default.createFile(atPath: temporary, contents: Data(form.bytes))
                while true {
                    if Self.renameat2(AT_FDCWD, temporary, AT_FDCWD, target, Self.exchange) == 0 {
                        // The form that was still there comes back: the agency withdrew it.
                        tally.exchanges += 1
                        tally.withdrawn.append([UInt8](FileManager.default.contents(atPath: temporary) ?? Data()))
                        unlink(temporary)
                        break
                    }
                    precondition(errno == ENOENT, "renameat2(EXCHANGE): \(errno)")
                    if Self.renameat2(AT_FDCWD, temporary, AT_FDCWD, target, Self.noReplace) == 0 { break }
                    precondition(errno == EEXIST, "renameat2(NOREPLACE): \(errno)")
                }
            }
        }
        writer.start()
        XCTAssertEqual(finished.wait(timeout: .now() + 120), .success, "the writer finishes")
        let processing = daemon.state.appendingPathComponent("processing/police")
        try daemon.waitFor("the inbox and processing directory to empty", timeout: 60) {
            daemon.names(inbox).isEmpty && daemon.names(processing).isEmpty
        }
        XCTAssertEqual(daemon.stop(), 0)

        let withdrawn = Set(tally.withdrawn.map { DaemonHarness.outboxID($0) })
        XCTAssertEqual(withdrawn.count, tally.exchanges, "each withdrawn form is one of ours, once")
        let receipts = Set(daemon.names(daemon.receipts("police")))
        let reports = Set(daemon.names(daemon.rejected("police")))
        var wrong: [String] = []
        for form in forms {
            let id = DaemonHarness.outboxID(form.bytes)
            let receipt = receipts.contains(id + ".receipt"), report = reports.contains(id + ".rejected.json")
            if withdrawn.contains(id) {
                if receipt || report { wrong.append("\(form.name): withdrawn by the agency, yet taken") }
            } else if receipt == report || receipt != form.valid {
                wrong.append("\(form.name): receipt \(receipt), report \(report), valid \(form.valid)")
            }
        }
        XCTAssertEqual(wrong, [])
        XCTAssertEqual(receipts.count + reports.count, forms.count - withdrawn.count, "no stray outputs")
        print("claim race: \(forms.count) forms, \(tally.exchanges) withdrawn by a rename over them, "
              + "\(receipts.count) receipts, \(reports.count) reports")
    }
}
