import Foundation
import Glibc
import TestSupport
import XCTest

/// Faults the host can throw at the daemon (issue 13, point 6), on the real binaries: what
/// it does while the fault lasts, that nothing is lost or half-written, and that it
/// recovers by itself once the fault clears.
final class FaultTests: XCTestCase {
    var daemon: DaemonHarness!
    var mounted: URL?

    override func setUpWithError() throws {
        try XCTSkipUnless(geteuid() == 0, "needs root to mount a small filesystem")
        daemon = try DaemonHarness()
    }

    override func tearDown() {
        if let daemon, daemon.process?.isRunning == true { _ = daemon.stop() }
        if let mounted { umount2(mounted.path, Int32(MNT_DETACH)) }
        daemon?.cleanUp()
    }

    /// Moves the state directory onto a tmpfs of `megabytes`.
    func moveStateOntoSmallFilesystem(megabytes: Int) throws {
        let state = daemon.state, saved = state.deletingLastPathComponent().appendingPathComponent("state.saved")
        try FileManager.default.moveItem(at: state, to: saved)
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: false)
        let result = try Subprocess.run(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=\(megabytes)m,mode=0700", "tmpfs", state.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        mounted = state
        XCTAssertEqual(try Subprocess.run(URL(fileURLWithPath: "/bin/cp"), ["-a", saved.path + "/.", state.path]).status, 0)
    }

    /// After the daemon stopped: `forms` referrals in the vault (none lost, none twice), and
    /// the log and links verify.
    func assertEveryFormAccountedFor(_ forms: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let count = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [daemon.state.appendingPathComponent("vault.db").path,
                                       "SELECT count(*) FROM document WHERE kind = 'referral'"])
        XCTAssertEqual(count.output, "\(forms)\n", "one document per form", file: file, line: line)
        let verify = try Subprocess.run(CLITests.products.appendingPathComponent("maracctl"), ["audit", "verify", "--state", daemon.state.path])
        XCTAssertEqual(verify.status, 0, verify.stderr, file: file, line: line)
    }

    /// Fills the filesystem, then frees `free` bytes; returns the filler's path.
    func fill(leaving free: Int) throws -> URL {
        let filler = daemon.state.appendingPathComponent("filler")
        let fd = open(filler.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let chunk = [UInt8](repeating: 0, count: 1 << 16)
        while chunk.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
        var info = stat()
        fstat(fd, &info)
        XCTAssertEqual(ftruncate(fd, max(0, info.st_size - off_t(free))), 0)
        close(fd)
        return filler
    }

    func testAFullDiskHoldsEveryFormUntilThereIsRoomAndLosesNothing() throws {
        try moveStateOntoSmallFilesystem(megabytes: 24)
        try daemon.start()
        let template = String(decoding: try RepositoryFixtures.bytes("valid/referral-police.json"), as: UTF8.self)
        let forms = (0..<20).map { Array(template.replacingOccurrences(of: "Tamsin Quinn", with: "Full Disk \($0)").utf8) }
        // The forms arrive while the daemon is paused; then the disk fills.
        let pid = try XCTUnwrap(daemon.process?.processIdentifier)
        kill(pid, SIGSTOP)
        for (i, form) in forms.enumerated() { try daemon.drop(form, as: "f\(i).json", agency: "police") }
        let filler = try fill(leaving: 16 << 10)
        kill(pid, SIGCONT)
        do { try daemon.waitFor("the daemon to say the disk is full", timeout: 30) { daemon.log.contains("ingest.store_failed") } } catch {
            XCTFail(daemon.log.split(separator: "\n").filter { !$0.contains("ingest.accepted") }.suffix(30).joined(separator: "\n"))
            throw error
        }
        try daemon.waitForRescans(3)  // each retries the held forms while the disk is full
        let failures = daemon.log.split(separator: "\n").filter { $0.contains("ingest.store_failed") }
        XCTAssertEqual(failures.count, 1, "one line while the fault lasts, not one per form or per rescan:\n\(failures.joined(separator: "\n"))")
        XCTAssertTrue(failures.first?.contains("error ingest.store_failed") == true, String(failures.first ?? ""))
        XCTAssertEqual(daemon.process?.isRunning, true, "the daemon keeps running")
        let held = daemon.names(daemon.inbox("police")).count
            + daemon.names(daemon.state.appendingPathComponent("processing/police")).count
        XCTAssertEqual(held, 20 - daemon.names(daemon.receipts("police")).count, "every form not receipted is still held")

        // Room again: every form is taken, once.
        try FileManager.default.removeItem(at: filler)
        try daemon.waitFor("every receipt", timeout: 60) { daemon.names(daemon.receipts("police")).count == 20 }
        XCTAssertTrue(daemon.log.contains("ingest.store_resumed"), "the recovery is said too")
        XCTAssertEqual(daemon.stop(), 0)
        for form in forms { XCTAssertTrue(FileManager.default.fileExists(atPath: daemon.receipt(for: form).path)) }
        try assertEveryFormAccountedFor(20)
    }

    func testAnUnreadableSigningKeyStopsTheDaemonAtStartWithOneLineAndKeepsTheInbox() throws {
        let database = daemon.state.appendingPathComponent("vault.db").path
        func sql(_ query: String) throws -> String {
            let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [database, query])
            XCTAssertEqual(result.status, 0, result.stderr)
            return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let good = try sql("SELECT hex(wrapped_key) FROM signing_key WHERE state = 'active'")
        var bad = Array(good)
        bad[bad.count / 2] = bad[bad.count / 2] == "0" ? "1" : "0"
        _ = try sql("UPDATE signing_key SET wrapped_key = x'\(String(bad))' WHERE state = 'active'")
        let form = try RepositoryFixtures.bytes("valid/referral-police.json")
        try FileManager.default.createDirectory(at: daemon.inbox("police"), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try daemon.drop(form, as: "held.json", agency: "police")

        // Without its signing key the daemon could not sign a receipt: it does not start.
        let maracd = try Subprocess.run(CLITests.products.appendingPathComponent("maracd"), ["--config", daemon.configPath.path, "--allow-root"])
        XCTAssertNotEqual(maracd.status, 0)
        let lines = maracd.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, maracd.stderr)
        XCTAssertTrue(maracd.stderr.contains("signing"), maracd.stderr)
        XCTAssertEqual(daemon.names(daemon.inbox("police")), ["held.json"], "the form waits in the inbox")

        // The key restored (from a backup of the row, here): the form is taken.
        _ = try sql("UPDATE signing_key SET wrapped_key = x'\(good)' WHERE state = 'active'")
        try daemon.start()
        try daemon.waitFor("the held form's receipt") { FileManager.default.fileExists(atPath: daemon.receipt(for: form).path) }
        XCTAssertEqual(daemon.stop(), 0)
    }

    /// `DaemonHarness.faultLibrary`, built beside this test's state directory.
    func faultLibrary(_ code: String, trigger: URL, clockOffset: URL? = nil) throws -> URL {
        try daemon.faultLibrary(code, trigger: trigger, clockOffset: clockOffset)
    }

    func testEIOFromTheDatabaseHoldsEveryFormAndRecoversWhenItClears() throws {
        try writeFailureHoldsEveryFormAndRecovers("EIO")
    }

    /// The filesystem turning read-only under the open database (the kernel does so on
    /// errors): its writes fail with EROFS, which SQLite reports as a disk I/O error too.
    func testADatabaseThatTurnsReadOnlyHoldsEveryFormAndRecovers() throws {
        try writeFailureHoldsEveryFormAndRecovers("EROFS")
    }

    func writeFailureHoldsEveryFormAndRecovers(_ code: String) throws {
        let trigger = daemon.state.deletingLastPathComponent().appendingPathComponent("fault-on")
        daemon.environment = ["LD_PRELOAD": try faultLibrary(code, trigger: trigger).path]
        try daemon.start()
        let template = String(decoding: try RepositoryFixtures.bytes("valid/referral-police.json"), as: UTF8.self)
        let forms = (0..<10).map { Array(template.replacingOccurrences(of: "Tamsin Quinn", with: "Disk Error \(code) \($0)").utf8) }
        FileManager.default.createFile(atPath: trigger.path, contents: nil)
        for (i, form) in forms.enumerated() { try daemon.drop(form, as: "e\(i).json", agency: "police") }
        try daemon.waitFor("the daemon to say it cannot store", timeout: 30) { daemon.log.contains("ingest.store_failed") }
        try daemon.waitForRescans(3)  // each retries the held forms while the disk fails
        // One line for the held forms, not one per form or per rescan. The timers that
        // also write (log checkpoints, WAL checkpoints) may say their own failure: they
        // are other events, counted by name, never by how many lines a timer added.
        let timers = ["log.checkpoint_failed", "vault.checkpoint_failed"]
        let failures = daemon.log.split(separator: "\n")
            .filter { ($0.contains("Z error ") || $0.contains("Z warning ")) && !timers.contains(where: $0.contains) }
        XCTAssertEqual(failures.count, 1, failures.joined(separator: "\n"))
        XCTAssertTrue(failures.first?.contains("ingest.store_failed") == true && failures.first?.contains("disk I/O error") == true,
                      String(failures.first ?? ""))
        XCTAssertEqual(daemon.names(daemon.receipts("police")), [], "nothing receipted while the disk fails")
        XCTAssertEqual(daemon.process?.isRunning, true)

        try FileManager.default.removeItem(at: trigger)
        try daemon.waitFor("every receipt", timeout: 60) { daemon.names(daemon.receipts("police")).count == 10 }
        XCTAssertTrue(daemon.log.contains("ingest.store_resumed"))
        XCTAssertEqual(daemon.stop(), 0)
        try assertEveryFormAccountedFor(10)
    }

    /// The wall clock set back a day while forms are held: the daemon's rescans run on the
    /// monotonic clock, so the held forms are taken as soon as the store succeeds again,
    /// not a day later; forms arriving after the step are taken too. (With its timers on
    /// the wall clock, the next rescan was due a day after the step.)
    func testTheClockSetBackADayDelaysNothing() throws {
        let trigger = daemon.state.deletingLastPathComponent().appendingPathComponent("fault-on")
        let offset = daemon.state.deletingLastPathComponent().appendingPathComponent("clock-offset")
        try Data("0".utf8).write(to: offset)
        daemon.environment = ["LD_PRELOAD": try faultLibrary("EIO", trigger: trigger, clockOffset: offset).path]
        try daemon.start()
        let template = String(decoding: try RepositoryFixtures.bytes("valid/referral-police.json"), as: UTF8.self)
        let forms = (0..<6).map { Array(template.replacingOccurrences(of: "Tamsin Quinn", with: "Clock Step \($0)").utf8) }
        FileManager.default.createFile(atPath: trigger.path, contents: nil)
        for (i, form) in forms.prefix(5).enumerated() { try daemon.drop(form, as: "c\(i).json", agency: "police") }
        try daemon.waitFor("the forms to be held", timeout: 30) { daemon.log.contains("ingest.store_failed") }

        try Data("-86400".utf8).write(to: offset)  // the wall clock steps back a day
        try daemon.waitForRescans(2)  // rescans run, and retry, on the stepped clock
        try FileManager.default.removeItem(at: trigger)
        try daemon.waitFor("the held forms, taken by a rescan", timeout: 20) { daemon.names(daemon.receipts("police")).count == 5 }
        try daemon.drop(forms[5], as: "c5.json", agency: "police")
        try daemon.waitFor("a form arriving after the step") { FileManager.default.fileExists(atPath: daemon.receipt(for: forms[5]).path) }
        XCTAssertEqual(daemon.stop(), 0)
        try assertEveryFormAccountedFor(6)
    }
}
