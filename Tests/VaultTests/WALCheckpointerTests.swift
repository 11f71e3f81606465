import Foundation
import XCTest
@testable import Vault

/// WAL checkpoints on a helper thread (`WALCheckpointer`): they happen there, the WAL
/// restarts once they have, and the writer's backstop bounds the WAL when they stop.
final class WALCheckpointerTests: XCTestCase {
    var fixture: VaultFixture!

    override func setUpWithError() throws { fixture = try VaultFixture() }
    override func tearDown() { fixture.cleanUp() }

    func size(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    var walPath: String { fixture.dbPath + "-wal" }

    /// One transaction of 20 documents of 4 KiB: about 25 WAL pages.
    func writeBatch() throws {
        _ = try fixture.vault.put((0..<20).map { _ in
            NewDocument(content: try SecretBytes(randomByteCount: 4096), agency: "police", kind: "referral")
        })
    }

    func use(_ checkpointer: WALCheckpointer) {
        fixture.vault.locked { fixture.vault.db.checkpoint(with: checkpointer) }
    }

    func testPagesAreCopiedOnTheHelperThreadAndTheWALThenRestarts() throws {
        let checkpointer = try WALCheckpointer(path: fixture.dbPath, threshold: 64, backstop: 100_000) { XCTFail("\($0)") }
        use(checkpointer)
        let databaseBefore = size(fixture.dbPath)
        var batches = 0
        while size(walPath) < 64 * 4096 {
            try writeBatch()
            batches += 1
        }
        // The writer only asked: it never checkpoints below the backstop.
        let deadline = Date().addingTimeInterval(10)
        while (checkpointer.checkpoints == 0 || size(fixture.dbPath) <= databaseBefore) && Date() < deadline {
            usleep(10_000)
        }
        XCTAssertGreaterThan(checkpointer.checkpoints, 0, "no checkpoint ran after \(batches) batches")
        XCTAssertGreaterThan(size(fixture.dbPath), databaseBefore + 40 * 4096, "the pages reached the database file")

        // Everything was copied, so the next commit writes from the WAL's start: the file
        // does not grow.
        let walBefore = size(walPath)
        try writeBatch()
        XCTAssertEqual(size(walPath), walBefore, "the WAL restarted")

        checkpointer.stop()
        try fixture.reopen()
        XCTAssertEqual(try fixture.vault.locked { try fixture.vault.db.scalarInt("SELECT COUNT(*) FROM document") }, (batches + 1) * 20)
    }

    func testTheWritersBackstopBoundsTheWALWhenNoCheckpointRuns() throws {
        let checkpointer = try WALCheckpointer(path: fixture.dbPath, threshold: 64, backstop: 256) { XCTFail("\($0)") }
        checkpointer.stop()  // asked, never answered
        use(checkpointer)
        for _ in 0..<40 { try writeBatch() }  // about 1,000 pages
        let frames = (size(walPath) - 32) / (4096 + 24)
        XCTAssertGreaterThanOrEqual(frames, 256, "the WAL reached the backstop: nothing else checkpointed it")
        XCTAssertLessThan(frames, 256 + 60, "the writer checkpointed at the backstop")
    }

    /// The writer's own TRUNCATE checkpoint (after a rewrap or a shred) holds SQLite's
    /// checkpoint lock while it waits for a reader; a request meanwhile is not a failure
    /// (the daemon logged `vault.checkpoint_failed` for it under load).
    func testACheckpointThatFindsAnotherUnderWayIsNotAFailure() throws {
        let checkpointer = try WALCheckpointer(path: fixture.dbPath, threshold: 64, backstop: 100_000) { XCTFail("reported: \($0)") }
        defer { checkpointer.stop() }
        try writeBatch()
        // A reader holds a snapshot that the next batch is beyond ...
        let reader = try Database(path: fixture.dbPath, create: false)
        try reader.execute("BEGIN")
        XCTAssertGreaterThan(try reader.scalarInt("SELECT COUNT(*) FROM document"), 0)
        try writeBatch()
        // ... so a TRUNCATE checkpoint on a third connection takes the checkpoint lock and
        // waits (its busy timeout) for the reader.
        nonisolated(unsafe) let truncating = try Database(path: fixture.dbPath, create: false)  // used by the thread only once it starts
        try truncating.execute("PRAGMA busy_timeout = 60000")
        let truncated = DispatchSemaphore(value: 0)
        let thread = Thread {
            // It cannot start while the helper's own PASSIVE checkpoint holds the lock.
            while true {
                do {
                    try truncating.checkpointTruncate()
                    break
                } catch DatabaseError.sqlite(code: 5, _, _) {
                    usleep(1_000)
                } catch {
                    XCTFail("the TRUNCATE: \(error)")
                    break
                }
            }
            truncated.signal()
        }
        thread.start()
        let deadline = Date().addingTimeInterval(30)
        while checkpointer.yieldedToAnotherCheckpoint == 0 && Date() < deadline {
            checkpointer.request()
            usleep(5_000)
        }
        XCTAssertGreaterThan(checkpointer.yieldedToAnotherCheckpoint, 0, "a request met the TRUNCATE under way")
        try reader.execute("COMMIT")
        XCTAssertEqual(truncated.wait(timeout: .now() + 60), .success, "the TRUNCATE finished once the reader had")
        XCTAssertEqual(size(walPath), 0, "the WAL was truncated")
    }
}
