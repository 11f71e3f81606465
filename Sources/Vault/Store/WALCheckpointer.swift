import Foundation
internal import CSQLite

/// Copies committed pages from the WAL into the database file on a helper thread of its
/// own, through a second connection, so that the writer's commits do not wait for it.
///
/// By default SQLite checkpoints inside the commit that takes the WAL past 1,000 pages:
/// the daemon's ingest thread would read those pages back, write them into the database
/// and sync it before it could store the next batch (about a seventh of the time a batch
/// spends in its transaction, `docs/performance.md`). Here the writer's commit only asks;
/// a PASSIVE checkpoint never blocks the writer or readers, and the WAL restarts from its
/// start once everything in it has been copied. If the WAL reaches `backstop` pages anyway
/// (this thread stopped, or cannot keep up), the writer checkpoints in its commit as
/// SQLite would. Durability is unchanged: a commit is durable once its WAL frames are
/// synced (`synchronous = FULL`), before and after this.
final class WALCheckpointer: @unchecked Sendable {
    /// WAL pages after a commit that make the writer ask for a checkpoint.
    let threshold: Int32
    /// WAL pages after a commit at which the writer checkpoints itself.
    let backstop: Int32

    // Used only on the checkpointer's thread once started.
    private let connection: Database
    private let onFailure: @Sendable (DatabaseError) -> Void
    private let condition = NSCondition()
    // Guarded by `condition`:
    private var requested = false
    private var stopping = false
    private var completed = 0
    private var yielded = 0
    private let finished = DispatchSemaphore(value: 0)

    /// Opens a second connection to the database at `path` (with the same settings:
    /// WAL, `synchronous = FULL`, so each checkpoint syncs the database file) and starts
    /// the thread. `onFailure` hears of a checkpoint SQLite refused for any reason but
    /// another checkpoint under way (it is retried at the next request; the backstop
    /// bounds the WAL meanwhile).
    init(path: String, threshold: Int32 = 1000, backstop: Int32 = 10_000,
         onFailure: @escaping @Sendable (DatabaseError) -> Void) throws {
        precondition(0 < threshold && threshold < backstop, "a checkpoint is asked for before the backstop")
        self.threshold = threshold
        self.backstop = backstop
        self.onFailure = onFailure
        connection = try Database(path: path, create: false)
        HelperThread.start(name: "maracd-wal") { [self] in run() }
    }

    /// Asks for a checkpoint; returns at once.
    func request() {
        condition.lock()
        requested = true
        condition.signal()
        condition.unlock()
    }

    /// How many checkpoints have run (for tests and diagnostics).
    var checkpoints: Int {
        condition.lock()
        defer { condition.unlock() }
        return completed
    }

    /// How many requests found another connection's checkpoint under way (for tests).
    var yieldedToAnotherCheckpoint: Int {
        condition.lock()
        defer { condition.unlock() }
        return yielded
    }

    /// Finishes a checkpoint under way, then stops the thread. Idempotent.
    func stop() {
        condition.lock()
        let first = !stopping
        stopping = true
        condition.signal()
        condition.unlock()
        guard first else { return }
        finished.wait()
    }

    private func run() {
        while true {
            condition.lock()
            while !requested && !stopping { condition.wait() }
            if stopping {
                condition.unlock()
                break
            }
            requested = false
            condition.unlock()

            var log: Int32 = 0, copied: Int32 = 0
            let rc = sqlite3_wal_checkpoint_v2(connection.handle, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &copied)
            if rc == SQLITE_OK {
                condition.lock()
                completed += 1
                condition.unlock()
            } else if rc == SQLITE_BUSY {
                // Another connection's checkpoint holds the checkpoint lock (the writer's
                // TRUNCATE after a rewrap or a shred, or its backstop): that checkpoint
                // copies the same pages, and the next commit past `threshold` asks again.
                // Not a failure, so not reported.
                condition.lock()
                yielded += 1
                condition.unlock()
            } else {
                onFailure(connection.error(rc, "wal_checkpoint"))
            }
        }
        finished.signal()
    }
}

extension Database {
    /// Hands this connection's WAL checkpoints to `checkpointer` (see `WALCheckpointer`):
    /// replaces SQLite's automatic checkpoint with a hook run after each commit.
    func checkpoint(with checkpointer: WALCheckpointer) {
        backgroundCheckpointer = checkpointer
        sqlite3_wal_hook(handle, { context, db, name, pages in
            guard let context else { return SQLITE_OK }
            let checkpointer = Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue()
            if pages >= checkpointer.backstop {
                // As SQLite's own automatic checkpoint: errors are not the commit's.
                sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            } else if pages >= checkpointer.threshold {
                checkpointer.request()
            }
            return SQLITE_OK
        }, Unmanaged.passUnretained(checkpointer).toOpaque())
    }
}

extension Vault {
    /// Moves WAL checkpoints off the writer's commits onto a helper thread with its own
    /// connection (`WALCheckpointer`), for as long as the vault is open; the daemon calls
    /// it at start. `onFailure` hears of a checkpoint SQLite refused. Idempotent.
    public func checkpointInBackground(onFailure: @escaping @Sendable (DatabaseError) -> Void) throws {
        try locked {
            guard db.backgroundCheckpointer == nil else { return }
            db.checkpoint(with: try WALCheckpointer(path: db.path, onFailure: onFailure))
        }
    }
}
