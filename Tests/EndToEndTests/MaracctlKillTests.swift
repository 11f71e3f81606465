import Foundation
import Glibc
import TestSupport
import XCTest

/// SIGKILL during each `maracctl` verb that writes the vault (issue 13, point 6), at a
/// spread of moments: afterwards the vault opens, its log and links verify, and the verb
/// either took effect whole or not at all (the next run completes it or starts afresh).
final class MaracctlKillTests: XCTestCase {
    var daemon: DaemonHarness!
    override func setUpWithError() throws { daemon = try DaemonHarness() }
    override func tearDown() { daemon?.cleanUp() }

    /// Starts `maracctl arguments` and kills it after `delay` seconds (if it is still running).
    func kill(_ arguments: [String], after delay: TimeInterval) throws {
        let process = Process()
        process.executableURL = CLITests.products.appendingPathComponent("maracctl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: delay)
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    func maracctl(_ arguments: [String]) throws -> Subprocess {
        try Subprocess.run(CLITests.products.appendingPathComponent("maracctl"), arguments)
    }

    func testEveryWritingVerbKilledAtAnyMomentLeavesAVaultThatVerifies() throws {
        let state = daemon.state.path
        // Documents for the rotations to rewrap: forms stored with the daemon, then stopped.
        try daemon.start()
        let template = String(decoding: try RepositoryFixtures.bytes("valid/referral-police.json"), as: UTF8.self)
        for i in 0..<200 {
            try daemon.drop(Array(template.replacingOccurrences(of: "Tamsin Quinn", with: "Kill Test \(i)").utf8), as: "k\(i).json", agency: "police")
        }
        try daemon.waitFor("200 receipts", timeout: 120) { daemon.names(daemon.receipts("police")).count == 200 }
        XCTAssertEqual(daemon.stop(), 0)
        try daemon.registerRecipients(["health"], register: false)
        let certificate = daemon.recipientKeys.appendingPathComponent("health/recipient.pem").path

        let verbs: [[String]] = [
            ["agency", "add", "mental-health", "--kind", "mental-health", "--name", "Mental health trust"],
            ["agency", "set-cert", "health", "--cert", certificate],
            ["key", "rotate", "--agency", "police", "--batch", "20"],
            ["key", "rotate", "--signing"],
            ["key", "rotate", "--root"],
        ]
        for verb in verbs {
            for delay in [0.0, 0.01, 0.03, 0.06, 0.1, 0.2] {
                try kill(verb + ["--state", state], after: delay)
                let verified = try maracctl(["audit", "verify", "--state", state])
                XCTAssertEqual(verified.status, 0, "\(verb.prefix(3)) killed after \(delay) s: \(verified.stderr)")
            }
        }
        // Whatever was cut short is finished (a rewrap) or done again, whole.
        XCTAssertEqual(try maracctl(["key", "resume", "--state", state]).status, 0)
        let status = try maracctl(["key", "status", "--json", "--state", state])
        let rows = (try JSONSerialization.jsonObject(with: status.stdout) as? [String: Any])?["agencies"] as? [[String: Any]]
        let police = try XCTUnwrap(rows?.first { $0["agency"] as? String == "police" })
        XCTAssertEqual(police["rewrapPending"] as? Bool, false)
        XCTAssertEqual((police["dataKeysByVersion"] as? [String: Int])?.count, 1, "every data key under one version")
        XCTAssertEqual(try maracctl(["agency", "list", "--json", "--all", "--state", state]).status, 0)
        XCTAssertEqual(try maracctl(["audit", "verify", "--state", state]).status, 0)

        // And the daemon starts on it and reads every document back through a rotation.
        try daemon.start()
        let more = Array(template.replacingOccurrences(of: "Tamsin Quinn", with: "After Kills").utf8)
        try daemon.drop(more, as: "after.json", agency: "police")
        try daemon.waitFor("a receipt after the kills") { FileManager.default.fileExists(atPath: daemon.receipt(for: more).path) }
        XCTAssertEqual(daemon.stop(), 0)
        let count = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [daemon.state.appendingPathComponent("vault.db").path,
                                       "SELECT count(*) FROM document WHERE kind = 'referral' AND erased_at IS NULL"])
        XCTAssertEqual(count.output, "201\n", "every form accounted for: the 200 before the kills and the one after")
    }

    /// `init` killed part-way leaves no half-made `vault.db` to refuse the next attempt: run
    /// again, it makes the vault (or says one exists, when the first finished), and the
    /// vault verifies.
    func testInitKilledAtAnyMomentCanSimplyBeRunAgain() throws {
        let root = daemon.state.deletingLastPathComponent()
        for (i, delay) in [0.0, 0.005, 0.01, 0.02, 0.04, 0.08, 0.15].enumerated() {
            let state = root.appendingPathComponent("init-\(i)").path
            try kill(["init", "--state", state, "--name", "kill test"], after: delay)
            let again = try maracctl(["init", "--state", state, "--name", "kill test"])
            XCTAssertTrue(again.status == 0 || again.stderr == "maracctl: a vault already exists at \(state)/vault.db\n",
                          "killed after \(delay) s, then: \(again.stderr)")
            let verified = try maracctl(["audit", "verify", "--state", state])
            XCTAssertEqual(verified.status, 0, "killed after \(delay) s: \(verified.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: state + "/vault.db.creating"), "no temporary left")
        }
    }
}
