import Foundation
import TestSupport
import XCTest

/// A real daemon whose control socket several principals reach, each as its own uid
/// through `setpriv` (so the tests need root), in the socket group `group`.
class PrincipalsTestCase: XCTestCase {
    var daemon: DaemonHarness!
    var socketDirectory: URL!
    var socket: String { socketDirectory.appendingPathComponent("maracd.sock").path }
    private var group: UInt32 = 0

    /// A harness whose principals file is `principals` (the `principals` array's members),
    /// its socket outside the state directory for `group`.
    func setUpDaemon(group: UInt32, principals: String) throws {
        try XCTSkipUnless(geteuid() == 0, "needs root to act as several uids")
        self.group = group
        daemon = try DaemonHarness()
        socketDirectory = DaemonHarness.socketDirectory(group: group)
        try Data(#"{"version": 1, "principals": [\#(principals)]}"#.utf8).write(to: daemon.principalsPath)
        try daemon.writeConfig(#""principalsFile": "\#(daemon.principalsPath.path)", "control": {"socketPath": "\#(socket)", "socketGroup": \#(group)}"#)
    }

    override func tearDown() {
        daemon?.cleanUp()
        if let socketDirectory { try? FileManager.default.removeItem(at: socketDirectory) }
    }

    /// `maracctl ARGS --socket SOCKET` as `uid`, in the socket group only.
    func ctl(_ arguments: [String], as uid: UInt32 = 0) throws -> Subprocess {
        try Subprocess.run(URL(fileURLWithPath: "/usr/bin/setpriv"), ["--reuid=\(uid)", "--regid=\(group)", "--clear-groups",
                                                                       CLITests.products.appendingPathComponent("maracctl").path]
                           + arguments + ["--socket", socket])
    }

    /// As `ctl`, failing the test unless it exits 0.
    @discardableResult
    func ok(_ arguments: [String], as uid: UInt32 = 0, file: StaticString = #filePath, line: UInt = #line) throws -> Subprocess {
        let result = try ctl(arguments, as: uid)
        XCTAssertEqual(result.status, 0, "maracctl \(arguments.joined(separator: " ")): \(result.stderr)", file: file, line: line)
        return result
    }

    /// The police and health referral fixtures dropped into their inboxes, waiting for both
    /// receipts.
    @discardableResult
    func dropTheTwoReferrals() throws -> (police: [UInt8], health: [UInt8]) {
        let police = try RepositoryFixtures.bytes("valid/referral-police.json")
        let health = try RepositoryFixtures.bytes("valid/referral-health-professional-judgement-no-consent.json")
        try daemon.drop(police, as: "a.json", agency: "police")
        try daemon.drop(health, as: "b.json", agency: "health")
        try daemon.waitFor("both referrals") {
            FileManager.default.fileExists(atPath: daemon.receipt(for: police).path)
                && FileManager.default.fileExists(atPath: daemon.receipt(for: health, agency: "health").path)
        }
        return (police, health)
    }

    /// The UTC date `days` from today, `YYYY-MM-DD`.
    static func day(in days: Int) -> String {
        let formatter = DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: Date().addingTimeInterval(TimeInterval(days * 86_400)))
    }

    /// A meeting `days` from today with `agencies` invited and `cases` on its agenda (as
    /// the coordinator, root); its id.
    func meeting(in days: Int, inviting agencies: String, cases: [String]) throws -> String {
        let meeting = String(try ok(["meeting", "create", "--date", Self.day(in: days)]).output.prefix { $0 != " " })
        try ok(["meeting", "invite", meeting, agencies])
        for number in cases { try ok(["meeting", "add-case", meeting, number]) }
        return meeting
    }

    /// Drops the police referral fixture, waits for its receipt, and returns its case number.
    func policeCase() throws -> String {
        let referral = try RepositoryFixtures.bytes("valid/referral-police.json")
        try daemon.drop(referral, as: "referral.json", agency: "police")
        try daemon.waitFor("the referral's receipt") { FileManager.default.fileExists(atPath: daemon.receipt(for: referral).path) }
        let cases = try JSONSerialization.jsonObject(with: try ok(["case", "list", "--json"]).stdout) as? [[String: Any]]
        return try XCTUnwrap(cases?.first?["case"] as? String)
    }
}
