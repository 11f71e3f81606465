import Foundation
import TestSupport
import Vault
import XCTest

/// Agencies name files after people and send bad dates of birth. Neither may reach the
/// outbox, the vault's files or the daemon's output in clear; and a second form sent
/// under an old name must not take the first one's receipt.
final class OutboxPrivacyTests: XCTestCase {
    var daemon: DaemonHarness!
    override func setUpWithError() throws { daemon = try DaemonHarness() }
    override func tearDown() { daemon.cleanUp() }

    static let canaryName = "Zebedee Canarywood"
    static let canaries = [canaryName, "Canarywood", "1979-03-14", "2091-07-23", "1979-02-30"]

    func testNoCanaryFromAFileNameOrABadDateLeavesTheInbox() throws {
        let police = String(decoding: try RepositoryFixtures.bytes("valid/referral-police.json"), as: UTF8.self)
        let future = police.replacingOccurrences(of: "\"dob\": \"1993-11-13\"", with: "\"dob\": \"2091-07-23\"")
        let impossible = police.replacingOccurrences(of: "\"dob\": \"1993-11-13\"", with: "\"dob\": \"1979-02-30\"")
        XCTAssertNotEqual(future, police)
        XCTAssertNotEqual(impossible, police)
        try daemon.start()
        try daemon.drop(Array(police.utf8), as: "\(Self.canaryName) 1979-03-14.json", agency: "police")
        try daemon.drop(Array(future.utf8), as: "\(Self.canaryName) 2091-07-23.json", agency: "police")
        try daemon.drop(Array(impossible.utf8), as: "\(Self.canaryName) 1979-02-30.json", agency: "police")
        XCTAssertEqual(symlink("/etc/hostname", daemon.inbox("police").appendingPathComponent("\(Self.canaryName).json").path), 0)
        try daemon.waitFor("a receipt and three reports") {
            daemon.names(daemon.receipts("police")).count == 1 && daemon.names(daemon.rejected("police")).count == 3
        }
        XCTAssertEqual(daemon.stop(), 0)

        let futureReport = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: daemon.report(for: Array(future.utf8)))) as? [String: Any])
        XCTAssertEqual((futureReport["problems"] as? [[String: String]])?.map { $0["message"] ?? "" }, ["date of birth is in the future"])
        XCTAssertEqual(futureReport["fileNameSHA256"] as? String, Hex.encode(SHA256.hash(Array("\(Self.canaryName) 2091-07-23.json".utf8))))
        var scanned = 0
        for (path, bytes) in try daemon.filesOutsideInboxes() {
            scanned += 1
            for canary in Self.canaries {
                XCTAssertFalse(path.contains(canary), "\(canary) in the name \(path)")
                for encoding in [String.Encoding.utf8, .utf16LittleEndian] {
                    XCTAssertNil(Data(bytes).range(of: canary.data(using: encoding)!), "\(canary) in \(path)")
                }
            }
        }
        XCTAssertGreaterThan(scanned, 8, "the vault, receipts, reports, certificates and checkpoints were all scanned")
        for canary in Self.canaries { XCTAssertFalse(daemon.log.contains(canary), "\(canary) in the daemon's output") }
    }

    func testASecondFormUnderTheSameNameKeepsTheFirstReceipt() throws {
        let first = try RepositoryFixtures.bytes("valid/referral-police.json")
        let second = Array(String(decoding: first, as: UTF8.self).replacingOccurrences(of: "Tamsin Quinn", with: "Another Person").utf8)
        try daemon.start()
        try daemon.drop(first, as: "referral.json", agency: "police")
        try daemon.waitFor("the first receipt") { FileManager.default.fileExists(atPath: daemon.receipt(for: first).path) }
        let before = try Data(contentsOf: daemon.receipt(for: first))
        try daemon.drop(second, as: "referral.json", agency: "police")
        try daemon.waitFor("the second receipt") { FileManager.default.fileExists(atPath: daemon.receipt(for: second).path) }
        XCTAssertEqual(daemon.stop(), 0)
        XCTAssertEqual(try Data(contentsOf: daemon.receipt(for: first)), before, "the first receipt is untouched")
        XCTAssertEqual(daemon.names(daemon.receipts("police")).count, 2)
    }
}
