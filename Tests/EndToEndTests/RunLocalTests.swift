import Foundation
import TestSupport
import XCTest

/// The README's run command: `make run` is `scripts/run-local.sh`, which sets up a state
/// directory on first run and runs the daemon in the foreground until Ctrl-C.
final class RunLocalTests: XCTestCase {
    func testFirstRunSetsUpAndTakesAFormAndCtrlCStopsCleanly() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("maracd-run-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let state = root.appendingPathComponent("var")
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = repository.appendingPathComponent("scripts/run-local.sh")
        process.arguments = [state.path]
        var environment = ProcessInfo.processInfo.environment
        environment["MARACD_BIN"] = CLITests.products.path
        process.environment = environment
        process.currentDirectoryURL = repository
        let log = root.appendingPathExtension("log")
        defer { try? FileManager.default.removeItem(at: log) }  // beside the root, so not removed with it
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        let harness = try waiter(log)
        try harness { (try? String(contentsOf: log, encoding: .utf8))?.contains("daemon.started") ?? false }
        let text = try String(contentsOf: log, encoding: .utf8)
        XCTAssertTrue(text.contains("agencies=6"), text)
        XCTAssertTrue(text.contains("principals=1"), text)
        let key = try FileManager.default.attributesOfItem(atPath: state.appendingPathComponent("master.key").path)
        XCTAssertEqual((key[.posixPermissions] as? Int).map { $0 & 0o777 }, 0o600)

        let inbox = state.appendingPathComponent("inbox/police")
        try Data(try RepositoryFixtures.bytes("valid/referral-police.json")).write(to: inbox.appendingPathComponent(".incoming"))
        XCTAssertEqual(rename(inbox.appendingPathComponent(".incoming").path, inbox.appendingPathComponent("referral.json").path), 0)
        let receipt = state.appendingPathComponent("outbox/police/receipts/"
            + DaemonHarness.outboxID(try RepositoryFixtures.bytes("valid/referral-police.json")) + ".receipt")
        try harness { FileManager.default.fileExists(atPath: receipt.path) }

        // The demo agencies have recipient keys beside the state directory: an agenda goes
        // out and opens with police's.
        func ctl(_ arguments: [String]) throws -> Subprocess {
            let result = try Subprocess.run(CLITests.products.appendingPathComponent("maracctl"), arguments + ["--state", state.path])
            XCTAssertEqual(result.status, 0, "\(arguments.prefix(2)): \(result.stderr)")
            return result
        }
        let cases = try JSONSerialization.jsonObject(with: try ctl(["case", "list", "--json"]).stdout) as? [[String: Any]]
        let meeting = String(try ctl(["meeting", "create", "--date", PrincipalsTestCase.day(in: 29)]).output.prefix { $0 != " " })
        _ = try ctl(["meeting", "invite", meeting, "police,health"])
        _ = try ctl(["meeting", "add-case", meeting, try XCTUnwrap(cases?.first?["case"] as? String)])
        _ = try ctl(["meeting", "send-agenda", meeting])
        let keys = root.appendingPathComponent("var-recipient-keys/police")
        let opened = try Subprocess.run(CLITests.products.appendingPathComponent("maracctl"), [
            "open", state.appendingPathComponent("outbox/police/agenda/\(meeting)-v1.p7m").path,
            "--key", keys.appendingPathComponent("recipient.key").path, "--cert", keys.appendingPathComponent("recipient.pem").path])
        XCTAssertEqual(opened.status, 0, opened.stderr)
        XCTAssertTrue(opened.output.hasPrefix("agenda \(meeting) for police"), opened.output)
        // The demo's user is the Marac-wide IG officer too: docs/audit.md works as written.
        XCTAssertTrue(try ctl(["audit", "log"]).output.contains("  disclosure  "), "the agenda's disclosures in the demo's audit log")

        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertTrue(try String(contentsOf: log, encoding: .utf8).contains("daemon.stopped"))
    }

    /// Polls a condition for up to 30 s, failing with the log's tail.
    func waiter(_ log: URL) throws -> (() -> Bool) throws -> Void {
        { condition in
            let deadline = Date().addingTimeInterval(30)
            while !condition() {
                if Date() > deadline {
                    XCTFail("timed out: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
                    throw CocoaError(.userCancelled)
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
    }
}
