import Foundation
import TestSupport
import XCTest

/// What a hostile or careless agency can put in an inbox: each object is refused,
/// reported and removed without following it or reading past the limit, and other
/// agencies' forms keep flowing meanwhile.
final class HostileInboxTests: XCTestCase {
    var daemon: DaemonHarness!
    override func setUpWithError() throws { daemon = try DaemonHarness() }
    override func tearDown() { daemon.cleanUp() }

    func report(_ agency: String, _ file: String) throws -> [String: Any] {
        try XCTUnwrap(try daemon.report(aboutFileNamed: Array(file.utf8), agency: agency), "no report about \(file)")
    }

    func testHostileObjectsAreRefusedWithoutBlockingOtherAgencies() throws {
        let police = daemon.inbox("police")
        let shadow = try FileManager.default.attributesOfItem(atPath: "/etc/shadow")
        try daemon.start()

        XCTAssertEqual(symlink("/etc/shadow", police.appendingPathComponent("shadow.json").path), 0)
        XCTAssertEqual(mkfifo(police.appendingPathComponent("pipe.json").path, 0o600), 0)
        let sparse = open(police.appendingPathComponent("huge.json").path, O_WRONLY | O_CREAT, 0o600)
        XCTAssertEqual(ftruncate(sparse, 2 << 30), 0)
        close(sparse)
        let outside = daemon.state.deletingLastPathComponent().appendingPathComponent("outside.json")
        try Data("{}".utf8).write(to: outside)
        XCTAssertEqual(link(outside.path, police.appendingPathComponent("hard.json").path), 0)
        XCTAssertEqual(mkdir(police.appendingPathComponent("folder").path, 0o700), 0)
        try Data("x".utf8).write(to: police.appendingPathComponent("folder/inner.json"))
        let strange = "a\nb..\n..json"
        try daemon.drop(try RepositoryFixtures.bytes("valid/referral-police.json"), as: strange, agency: "police")
        // A name that is not UTF-8 (Latin-1 "café.json"): still taken, never left unseen.
        let latin1 = Array(police.path.utf8) + Array("/caf".utf8) + [0xE9] + Array(".json".utf8) + [0]
        let other = String(decoding: try RepositoryFixtures.bytes("valid/referral-police.json"), as: UTF8.self)
            .replacingOccurrences(of: "Tamsin Quinn", with: "Another Person")
        let fd = latin1.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT | O_EXCL, 0o600) } }
        XCTAssertGreaterThanOrEqual(fd, 0)
        _ = Array(other.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)

        // A file that keeps growing past the limit while another agency's forms arrive.
        let growing = police.appendingPathComponent("growing.json").path
        let writer = Thread {
            let fd = open(growing, O_WRONLY | O_CREAT | O_APPEND, 0o600)
            let chunk = [UInt8](repeating: UInt8(ascii: " "), count: 64 * 1024)
            for _ in 0..<40 {
                _ = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                Thread.sleep(forTimeInterval: 0.05)
            }
            close(fd)
        }
        writer.start()
        try daemon.drop(try RepositoryFixtures.bytes("valid/iswc-health.json"), as: "meanwhile.json", agency: "health")
        let meanwhile = daemon.receipt(for: try RepositoryFixtures.bytes("valid/iswc-health.json"), agency: "health").lastPathComponent
        try daemon.waitFor("the other agency's receipt", timeout: 10) { daemon.names(daemon.receipts("health")) == [meanwhile] }

        let refused = ["shadow.json", "pipe.json", "huge.json", "hard.json", "folder", "growing.json"]
        try daemon.waitFor("every refusal", timeout: 30) {
            refused.allSatisfy { (try? daemon.report(aboutFileNamed: Array($0.utf8))) != nil }
        }
        try daemon.waitFor("the strange names' receipts") { daemon.names(daemon.receipts("police")).count == 2 }
        XCTAssertEqual(daemon.stop(), 0)

        XCTAssertEqual(daemon.names(police), [], "everything left the inbox")
        let after = try FileManager.default.attributesOfItem(atPath: "/etc/shadow")
        XCTAssertEqual(after[.size] as? Int, shadow[.size] as? Int)
        XCTAssertEqual(after[.modificationDate] as? Date, shadow[.modificationDate] as? Date)
        XCTAssertTrue(FileManager.default.fileExists(atPath: outside.path), "the hard link's other name is untouched")

        let expectations: [(String, String, String)] = [
            ("shadow.json", "symlink", "removed"), ("pipe.json", "not-a-regular-file", "removed"),
            ("huge.json", "too-large", "deleted unread"), ("hard.json", "hard-link", "removed"),
            ("folder", "directory", "removed"), ("growing.json", "too-large", "quarantined"),
        ]
        for (file, rule, disposition) in expectations {
            let body = try report("police", file)
            XCTAssertEqual((body["problems"] as? [[String: String]])?.map { $0["rule"] }, [rule], file)
            XCTAssertEqual(body["disposition"] as? String, disposition, file)
        }
        XCTAssertEqual((try report("police", "huge.json")["problems"] as? [[String: String]])?.first?["message"],
                       "the file is 2147483648 bytes; the limit is 1048576")
        // The strange names are accepted; their receipts are named by content and carry
        // the name's hash, so the agency can match them.
        let receipts = daemon.names(daemon.receipts("police"))
        XCTAssertEqual(receipts.sorted(), [daemon.receipt(for: try RepositoryFixtures.bytes("valid/referral-police.json")).lastPathComponent,
                                           daemon.receipt(for: Array(other.utf8)).lastPathComponent].sorted())
        // Refused objects never read get random names, and no outbox name holds an inbox name.
        let reports = daemon.names(daemon.rejected("police"))
        XCTAssertEqual(reports.filter { $0.hasPrefix("unread-") }.count, 5, "\(reports)")
        XCTAssertFalse((receipts + reports).contains { name in refused.contains { name.contains($0) } || name.contains("\n") })
        XCTAssertFalse(daemon.log.contains("\n..json"), "no raw file name in the log")
    }

    /// A directory tree too deep to remove safely is left and logged; the daemon keeps
    /// running and taking other files.
    func testATooDeepDirectoryTreeDoesNotStopTheDaemon() throws {
        let tree = daemon.state.deletingLastPathComponent().appendingPathComponent("deep")
        var path = tree
        for _ in 0..<40 {
            XCTAssertEqual(mkdir(path.path, 0o700), 0)
            path.appendPathComponent("d")
        }
        try daemon.start()
        XCTAssertEqual(rename(tree.path, daemon.inbox("police").appendingPathComponent("deep").path), 0)
        try daemon.waitFor("the refusal to be attempted") { daemon.log.contains("inbox.read_failed") }
        let police = try RepositoryFixtures.bytes("valid/referral-police.json")
        try daemon.drop(police, as: "after.json", agency: "police")
        try daemon.waitFor("a receipt after it") { daemon.names(daemon.receipts("police")) == [daemon.receipt(for: police).lastPathComponent] }
        XCTAssertTrue(daemon.process?.isRunning ?? false)
        XCTAssertEqual(daemon.stop(), 0)
        XCTAssertTrue(daemon.log.contains("nesting too deep"), daemon.log)
    }
}
