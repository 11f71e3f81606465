@testable import Exchange
import Foundation
import TestSupport
import Vault
import XCTest

/// A restore entry counts only once a signed checkpoint covers it, and then acknowledges
/// exactly the checkpoints it names, signed by the vault's own key (`docs/audit.md`, "A restore").
final class RestoreTests: XCTestCase {
    var fixture: MaracFixture!
    let custodian = Principal(uid: 1009, name: "Custodian", agency: "idva", roles: [.keyCustodian])

    override func setUpWithError() throws { fixture = try MaracFixture() }
    override func tearDown() { fixture.cleanUp() }

    func testARestoreEntryCountsOnlyUnderASignedCheckpointAndOnlyForWhatItNames() throws {
        _ = try fixture.accept(fixture.fixture("valid/referral-police.json"))
        let agreed = try fixture.vault.checkpoint(origin: "test")
        XCTAssertTrue(try fixture.marac.checkRestores(published: [agreed]).unacknowledged.isEmpty, "a checkpoint the log agrees with")

        // Checkpoints of a history this log does not have (as if lost in a restore): signed by
        // the same key, at sizes beyond the log, and one at a size it has with another root.
        let other = try MaracFixture()
        defer { other.cleanUp() }
        _ = try other.accept(other.fixture("valid/referral-police.json"))
        _ = try other.accept(other.referral(name: "Second Victim", dob: "1990-01-02"))
        let elsewhere = try other.vault.checkpoint(origin: "test")
        XCTAssertEqual(try fixture.marac.checkRestores(published: [agreed, elsewhere]).unacknowledged.map(\.head.size), [elsewhere.head.size])

        XCTAssertThrowsError(try fixture.marac.acknowledgeRestore([elsewhere], restoredSize: agreed.head.size, reason: "drill",
                                                                  by: MaracFixture.coordinator), "a key custodian's")
        let record = try fixture.marac.acknowledgeRestore([elsewhere], restoredSize: agreed.head.size, reason: "drill", by: custodian)
        XCTAssertEqual(record.lost, [RestoreRecord.key(elsewhere)])
        XCTAssertEqual(try fixture.marac.restoreRecords(), [], "no signed checkpoint after it yet: it does not count")
        XCTAssertEqual(try fixture.marac.checkRestores(published: [elsewhere]).unacknowledged.count, 1)

        _ = try fixture.vault.checkpoint(origin: "test")
        XCTAssertEqual(try fixture.marac.restoreRecords(), [record])
        XCTAssertTrue(try fixture.marac.checkRestores(published: [agreed, elsewhere]).unacknowledged.isEmpty)
        // Named, but signed by a key this vault never had: a forgery, not a lost history.
        // (A lost checkpoint signed by the vault's own key passes: RestoreDrillTests.)
        XCTAssertThrowsError(try fixture.marac.verifyLog(published: [agreed, elsewhere])) { error in
            XCTAssertTrue("\(error)".contains("signed by no certificate the root key authenticates"), "\(error)")
        }
        XCTAssertEqual(try fixture.marac.verifyLog(published: [agreed]).0.publishedChecked, 1)
    }
}
