import Foundation
import TestSupport
import XCTest

/// A root rotation beside a running daemon would leave the daemon's derived keys stale
/// (every later write failing). With the daemon running, rotation goes through it
/// (`KeyRotationUnderLoadTests`); with the daemon stopped the offline verb works,
/// and the restarted daemon takes forms under the new key. A second daemon on the same
/// state directory refuses to start.
final class RootRotationTests: XCTestCase {
    var daemon: DaemonHarness!
    override func setUpWithError() throws { daemon = try DaemonHarness() }
    override func tearDown() { daemon.cleanUp() }

    func testTheOfflineRootRotationRefusesWhileTheDaemonRunsAndWorksOnceItStops() throws {
        let maracctl = CLITests.products.appendingPathComponent("maracctl")
        let keyPath = daemon.state.appendingPathComponent("master.key").path
        let key = try Data(contentsOf: URL(fileURLWithPath: keyPath))
        try daemon.start()

        // With the daemon running the verb goes through it, and needs the file to write
        // the new key to; the vault's own refusal stands behind that (RotationTests).
        let refused = try Subprocess.run(maracctl, ["key", "rotate", "--root", "--state", daemon.state.path])
        XCTAssertEqual(refused.status, 64)
        XCTAssertTrue(refused.stderr.hasPrefix("maracctl: with the daemon running, --root takes the file to write the new root key to (NEWKEYFILE)\n"),
                      refused.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: keyPath)), key, "the key file is untouched")
        XCTAssertFalse(FileManager.default.fileExists(atPath: keyPath + ".next"))

        // A second daemon on the same state directory does not start.
        let second = try Subprocess.run(CLITests.products.appendingPathComponent("maracd"),
                                        ["--config", daemon.configPath.path, "--allow-root"])
        XCTAssertEqual(second.status, 69)
        XCTAssertTrue(second.stderr.contains("another maracd, or a root-key rotation, holds"), second.stderr)

        // The running daemon is unharmed.
        let first = try RepositoryFixtures.bytes("valid/referral-police.json")
        try daemon.drop(first, as: "a.json", agency: "police")
        try daemon.waitFor("a receipt") { FileManager.default.fileExists(atPath: daemon.receipt(for: first).path) }
        XCTAssertEqual(daemon.stop(), 0)

        let rotated = try Subprocess.run(maracctl, ["key", "rotate", "--root", "--state", daemon.state.path])
        XCTAssertEqual(rotated.status, 0, rotated.stderr)
        XCTAssertNotEqual(try Data(contentsOf: URL(fileURLWithPath: keyPath)), key)

        try daemon.start()
        let secondForm = Array(String(decoding: first, as: UTF8.self).replacingOccurrences(of: "Tamsin Quinn", with: "Another Person").utf8)
        try daemon.drop(secondForm, as: "b.json", agency: "police")
        try daemon.waitFor("a receipt under the new key") { FileManager.default.fileExists(atPath: daemon.receipt(for: secondForm).path) }
        XCTAssertEqual(daemon.stop(), 0)
        XCTAssertFalse(daemon.log.contains("tampered"), daemon.log)
        let verify = try Subprocess.run(maracctl, ["audit", "verify", "--state", daemon.state.path])
        XCTAssertEqual(verify.status, 0, verify.stderr)
    }
}
