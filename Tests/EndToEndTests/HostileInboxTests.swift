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
        // Refused objects never read are named from the claimed object, and no outbox name holds an inbox name.
        let reports = daemon.names(daemon.rejected("police"))
        XCTAssertEqual(reports.filter { $0.hasPrefix("unread-") }.count, 5, "\(reports)")
        XCTAssertFalse((receipts + reports).contains { name in refused.contains { name.contains($0) } || name.contains("\n") })
        XCTAssertFalse(daemon.log.contains("\n..json"), "no raw file name in the log")
    }

    /// Objects the daemon cannot remove or move: each is reported once, truthfully, and
    /// not taken again until it changes; other agencies' forms keep flowing; a restart
    /// reports none of them again (issue 22: 3,000 such objects made 6,303 reports in 15 s,
    /// each saying "removed").
    func testWhatCannotBeRemovedIsReportedOnceTruthfullyAndSetAside() throws {
        let police = daemon.inbox("police")
        let staging = daemon.state.deletingLastPathComponent().appendingPathComponent("deep")
        XCTAssertEqual(mkdir(staging.path, 0o700), 0)
        let trees = 12
        for t in 0..<trees {
            var path = staging.appendingPathComponent("tree\(t)")
            for _ in 0..<20 {
                XCTAssertEqual(mkdir(path.path, 0o700), 0)
                path.appendPathComponent("d")
            }
        }
        // An immutable form: the daemon may not move it out of the inbox (EPERM).
        try FileManager.default.createDirectory(at: police, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let form = try RepositoryFixtures.bytes("valid/referral-police.json")
        try daemon.drop(form, as: "immutable.json", agency: "police")
        let immutable = police.appendingPathComponent("immutable.json").path
        XCTAssertEqual(try Subprocess.run(URL(fileURLWithPath: "/usr/bin/chattr"), ["+i", immutable]).status, 0)
        defer { _ = try? Subprocess.run(URL(fileURLWithPath: "/usr/bin/chattr"), ["-i", immutable]) }
        try daemon.start()
        for t in 0..<trees { XCTAssertEqual(rename(staging.appendingPathComponent("tree\(t)").path, police.appendingPathComponent("tree\(t)").path), 0) }
        let health = try RepositoryFixtures.bytes("valid/iswc-health.json")
        try daemon.drop(health, as: "meanwhile.json", agency: "health")
        try daemon.waitFor("the other agency's receipt") { daemon.names(daemon.receipts("health")).count == 1 }
        try daemon.waitFor("every tree set aside", timeout: 30) { daemon.log.components(separatedBy: " inbox.set_aside ").count - 1 == trees }
        try daemon.waitForRescans(4)

        let reports = daemon.names(daemon.rejected("police"))
        XCTAssertEqual(reports.count, trees + 1, "one report per object, however many rescans: \(reports)")
        for t in 0..<trees {
            let body = try report("police", "tree\(t)")
            XCTAssertEqual(body["disposition"] as? String, "could not be removed: set aside for the administrator")
            XCTAssertEqual((body["problems"] as? [[String: String]])?.first?["message"],
                           "a directory is not accepted; it could not be removed (it is nested more than 16 directories deep): "
                           + "the daemon moved it out of the inbox and set it aside for its administrator, and will not report it again")
        }
        let left = try report("police", "immutable.json")
        XCTAssertEqual((left["problems"] as? [[String: String]])?.first?["rule"], "cannot-be-taken")
        XCTAssertEqual(left["disposition"] as? String, "left in the inbox")
        XCTAssertEqual(daemon.names(police), ["immutable.json"], "the trees left the inbox")
        XCTAssertEqual(daemon.names(daemon.state.appendingPathComponent("dead-letter/police")).count, trees)
        XCTAssertEqual(daemon.names(daemon.state.appendingPathComponent("processing/police")), [])
        XCTAssertEqual(daemon.log.components(separatedBy: " inbox.left ").count - 1, 1, "said once in the log")
        XCTAssertFalse(daemon.log.contains("inbox.read_failed"), daemon.log)
        XCTAssertFalse(daemon.log.contains("processing.remove_failed"), daemon.log)
        XCTAssertEqual(daemon.stop(), 0)

        // A restart writes no report again; once the agency's object changes, it is taken.
        let before = try FileManager.default.attributesOfItem(atPath: daemon.rejected("police").path + "/" + reports.first { $0.hasPrefix("left-") }!)
        try daemon.start()
        try daemon.waitForRescans(2)
        XCTAssertEqual(daemon.names(daemon.rejected("police")), reports)
        let after = try FileManager.default.attributesOfItem(atPath: daemon.rejected("police").path + "/" + reports.first { $0.hasPrefix("left-") }!)
        XCTAssertEqual(before[.modificationDate] as? Date, after[.modificationDate] as? Date)
        XCTAssertEqual(try Subprocess.run(URL(fileURLWithPath: "/usr/bin/chattr"), ["-i", immutable]).status, 0)
        try daemon.waitFor("the form, once it can be moved") { daemon.names(daemon.receipts("police")) == [daemon.receipt(for: form).lastPathComponent] }
        XCTAssertEqual(daemon.stop(), 0)
        XCTAssertEqual(daemon.names(police), [])
    }
}
