import Exchange
import Foundation
import Vault
import XCTest

/// Refused files are kept encrypted, once, for the retention period, then shredded.
final class QuarantineTests: XCTestCase {
    var fixture: MaracFixture!
    override func setUpWithError() throws { fixture = try MaracFixture() }
    override func tearDown() { fixture.cleanUp() }

    func testARejectedFileIsQuarantinedOnceInTheSameTransaction() throws {
        let bad = try fixture.fixture("invalid/referral-future-dob.json")
        guard case let .rejected(rejection, record?) = try fixture.marac.submit(bad, quarantining: true) else { return XCTFail() }
        XCTAssertEqual(rejection.problems.map(\.path.description), ["$.victim.dob"])
        XCTAssertFalse(record.duplicate)
        XCTAssertEqual(record.digest, SHA256.hash(bad.bytes))
        let stored = try fixture.vault.record(record.document)
        XCTAssertEqual(stored.kind, "quarantine")
        XCTAssertEqual(stored.agency, "police")
        XCTAssertEqual(stored.metadata, ["reason": "rejected"])
        let entry = try fixture.logEntry(fixture.setupEntries)
        XCTAssertEqual(entry.operation, .collection)
        XCTAssertEqual(entry.details["kind"], "quarantine")

        guard case let .rejected(_, again?) = try fixture.marac.submit(bad, quarantining: true) else { return XCTFail() }
        XCTAssertTrue(again.duplicate)
        XCTAssertEqual(again.document, record.document)
        XCTAssertEqual(try fixture.vault.list(kind: "quarantine").count, 1)
        XCTAssertEqual(try fixture.vault.treeHead().size, fixture.setupEntries + 1)
        XCTAssertEqual(try fixture.marac.cases.list().count, 0, "a rejection opens no case")
    }

    /// A key can be personal data: an unknown member, a repeated one and one under
    /// `extensions` are named `*` in the problems, and no byte of the key is in the vault's
    /// files (the problems are stored in clear with the quarantined form).
    func testAKeyThatIsPersonalDataIsNeverStoredOrReported() throws {
        let key = "Quinn_Tamsin_1993-11-13"
        var text = String(decoding: try FormFixtures.bytes("valid/referral-police.json"), as: UTF8.self)
        text = text.replacingOccurrences(of: #""victim": {"#, with: #""victim": {"\#(key)": true, "\#(key)": false, "#)
        text = text.replacingOccurrences(of: #""form": "referral","#, with: #""form": "referral", "extensions": {"\#(key)": 1, "\#(key)": 2},"#)
        XCTAssertTrue(text.contains(key) && text.contains("extensions"), "the edits took")
        guard case let .rejected(rejection, record?) = try fixture.marac.submit(Submission(bytes: Array(text.utf8), agency: "police"), quarantining: true)
        else { return XCTFail("not rejected") }
        XCTAssertEqual(rejection.problems.map(\.description).sorted(), [
            "$.extensions.*: appears more than once in its object",
            "$.victim.*: appears more than once in its object",
            "$.victim.*: unknown field: member 1 of this object",
        ])
        XCTAssertEqual(try fixture.vault.record(record.document).kind, "quarantine")
        for (name, bytes) in try fixture.filesOnDisk() {
            for needle in [key, "Quinn_Tamsin", "1993-11-13"] where bytes.contains(bytes: Array(needle.utf8)) {
                XCTFail("\(name) holds \(needle)")
            }
        }
    }

    func testQuarantineIsShreddedAfterTheRetentionPeriod() throws {
        let record = try fixture.marac.quarantine(Array("not json at all".utf8), from: "health", reason: "syntax",
                                                  problems: [FormProblem(.root, .syntax, "not valid JSON")])
        fixture.clock.advance(days: 30)
        XCTAssertEqual(try fixture.marac.shredQuarantine(olderThan: 30), 0, "30 days is not yet past")
        fixture.clock.advance(days: 1)
        XCTAssertEqual(try fixture.marac.shredQuarantine(olderThan: 30), 1)
        XCTAssertThrowsError(try fixture.vault.read(record.document, as: AccessRequest(actor: "t", agency: "health", bases: ["audit"], reason: "t"))) {
            XCTAssertEqual($0 as? VaultError, .erased(record.document))
        }
        let erasure = try fixture.logEntry(fixture.setupEntries + 1)
        XCTAssertEqual(erasure.operation, .erasure)
        XCTAssertEqual(erasure.bases, ["retention-policy"])
        XCTAssertEqual(erasure.records, [record.document])
        for (name, bytes) in try fixture.filesOnDisk() {
            XCTAssertFalse(bytes.contains(bytes: Array("not json at all".utf8)), name)
        }
    }

    /// After the shred there is nothing for a resend to be a duplicate of: the same bytes
    /// are quarantined afresh (and so reported truly), and no digest of them is left.
    func testAResendAfterTheShredIsQuarantinedAgainNotCalledADuplicate() throws {
        let bad = try fixture.fixture("invalid/referral-future-dob.json")
        guard case let .rejected(_, first?) = try fixture.marac.submit(bad, quarantining: true) else { return XCTFail() }
        let keyed = try fixture.vault.reading { try $0.contentDigest(bad.bytes) }
        fixture.clock.advance(days: 31)
        XCTAssertEqual(try fixture.marac.shredQuarantine(olderThan: 30), 1)
        XCTAssertEqual(try fixture.vault.reading { try $0.rows("SELECT count(*) FROM x_rejection") }.first?.first, .integer(0))
        for (name, bytes) in try fixture.filesOnDisk() {
            XCTAssertFalse(bytes.contains(bytes: keyed), "the keyed digest outlived the shred in \(name)")
            XCTAssertFalse(bytes.contains(bytes: SHA256.hash(bad.bytes)), "a plain digest in \(name)")
        }
        guard case let .rejected(_, again?) = try fixture.marac.submit(bad, quarantining: true) else { return XCTFail() }
        XCTAssertFalse(again.duplicate)
        XCTAssertNotEqual(again.document, first.document)
        XCTAssertEqual(try fixture.vault.list(kind: "quarantine").count, 1, "the new copy is live; the old one erased")
    }
}
