import Exchange
import Foundation
import Glibc
import Vault

/// The second stage of ingest, on a thread of its own: for a batch already stored and
/// committed, write each receipt or report, sync the filesystem once, and only then
/// remove the batch's claimed files from the processing directories. Meanwhile the
/// supervisor's thread validates and stores the next batch, so the two cores share the
/// work of a stream of forms (`docs/operations.md`, "Claiming", and
/// `docs/performance.md`).
///
/// The crash-safety argument is the single-threaded one, step for step: a claimed file
/// is removed only after its receipt or report is synced, and a file still in the
/// processing directory after a crash is taken again, idempotently. What the thread adds:
/// - at most one batch waits while another is written (`hand` blocks), and one batch's
///   files are removed (on helper threads) while the next is written, so a slow disk
///   slows the intake instead of growing a queue;
/// - the claimed files of a batch handed over and not yet finished are *in flight*: a
///   rescan must not take them again (`inFlight`);
/// - SIGTERM drains the stage (`stop`) before the daemon exits.
final class ReceiptStage: @unchecked Sendable {
    /// A stored form's claimed file and what is to be written for it.
    struct Item: Sendable {
        let pending: IngestService.Pending
        /// The agency's processing directory, which holds the claimed file.
        let processing: Directory
        /// The receipt or report.
        let file: OutboxFile
        /// Where the claimed object goes if it cannot be removed (the agency's dead-letter
        /// directory), and for a refused object the truthful report that then replaces
        /// `file`, given why (`docs/operations.md`, "Objects the daemon cannot remove").
        let deadLetter: Directory?
        var unremoved: (@Sendable (_ reason: String) throws -> OutboxFile)? = nil
        /// The log line once it is written (`ingest.accepted`, `ingest.rejected`, ...),
        /// to which the outbox name is added.
        let event: String
        let fields: [(key: String, value: String)]
        /// The file's id in log lines.
        let logID: String
        /// The level of `event`'s line.
        var level: LogLevel = .info
    }

    private let logger: Logger
    private let condition = NSCondition()
    // Guarded by `condition`:
    private var waiting: [Item]?
    /// Batches taken by the thread whose files are not all removed yet (at most two: one
    /// being written, the one before it being removed).
    private var unfinished = 0
    private var stopping = false
    private var inFlightNames = Set<IngestService.Pending>()
    /// Claimed objects that could be neither removed nor set aside: never taken again in
    /// this run (nobody but the daemon changes the processing directory).
    private var stuckNames = Set<IngestService.Pending>()
    private let finished = DispatchSemaphore(value: 0)

    /// Threads removing a batch's files.
    private let removers: Int
    /// For a stage that must leave the disk to others: at most `batch` items per batch,
    /// and a pause after each, so each sync has little of this stage's to flush.
    private let pace: (batch: Int, pause: Double)?

    /// A stage on a thread called `name`, removing with `removers` threads, at `pace`.
    init(logger: Logger, name: String = "maracd-receipts", removers: Int = ReceiptStage.removers,
         pace: (batch: Int, pause: Double)? = nil) {
        self.logger = logger
        self.removers = removers
        self.pace = pace
        HelperThread.start(name: name) { [self] in run() }
    }

    /// Hands a stored batch over; waits while an earlier one is still waiting, so a slow
    /// disk slows the intake. With `wait: false` it never waits: the items join the batch
    /// waiting, if any (the refusals' stage, which must never hold up a form).
    func hand(_ items: [Item], wait: Bool = true) {
        guard !items.isEmpty else { return }
        condition.lock()
        defer { condition.unlock() }
        while wait && waiting != nil { condition.wait() }
        precondition(!stopping, "a batch handed to a stopped receipt stage")
        waiting = (waiting ?? []) + items
        inFlightNames.formUnion(items.map(\.pending))
        condition.broadcast()
    }

    /// The claimed files handed over and not yet finished with, and those that could be
    /// neither removed nor set aside: a rescan takes none of them.
    var inFlight: Set<IngestService.Pending> {
        condition.lock()
        defer { condition.unlock() }
        return inFlightNames.union(stuckNames)
    }

    /// Records claimed objects that could be neither removed nor set aside.
    private func stuck(_ items: [Item]) {
        condition.lock()
        stuckNames.formUnion(items.map(\.pending))
        condition.unlock()
    }

    /// Waits until every batch handed over is finished.
    func drain() {
        condition.lock()
        defer { condition.unlock() }
        waitUntilIdle()
    }

    /// Drains, then ends the thread.
    func stop() {
        condition.lock()
        waitUntilIdle()
        let first = !stopping
        stopping = true
        condition.broadcast()
        condition.unlock()
        if first { finished.wait() }
    }

    /// Waits (holding `condition`) until no batch is waiting, being written or removed.
    private func waitUntilIdle() {
        while waiting != nil || unfinished > 0 { condition.wait() }
    }

    // MARK: - The thread

    /// Writes and syncs each batch, then removes its files on other threads while the
    /// next batch is written: batch N's files go only after batch N's sync, as before, and
    /// batch N+1's writing does not wait for them.
    private func run() {
        var removal: Removal?
        while true {
            condition.lock()
            while waiting == nil && !stopping && removal == nil { condition.wait() }
            var items = waiting
            if let all = items {
                // A paced stage takes a few at a time; the rest wait for its next turn.
                items = Array(all.prefix(pace?.batch ?? all.count))
                waiting = all.count > items!.count ? Array(all.dropFirst(items!.count)) : nil
                unfinished += 1
                condition.broadcast()
            }
            condition.unlock()

            guard let items else {
                // Nothing else to write: finish the removal under way, then wait or stop.
                if let finishing = removal {
                    finishing.wait()
                    release(finishing.items)
                    removal = nil
                    continue
                }
                finished.signal()
                return
            }
            let written = writeAndSync(items)
            if let previous = removal {
                previous.wait()
                release(previous.items)
            }
            removal = Removal(items: items, written: written, logger: logger, stage: self, removers: removers)
            if let pace { Thread.sleep(forTimeInterval: pace.pause) }
        }
    }

    /// The batch's names are no longer in flight.
    private func release(_ items: [Item]) {
        condition.lock()
        unfinished -= 1
        inFlightNames.subtract(items.map(\.pending))
        condition.broadcast()
        condition.unlock()
    }

    /// Threads that remove a batch's claimed files. Removing a synced file waits on the
    /// device (ext4 mounted with `discard` and no journal discards its blocks before
    /// `unlink` returns) outside the directory's lock, so a few removers overlap those
    /// waits: 4 threads remove a synced 5 KiB file in about 70 µs where one takes about
    /// 100 µs (`docs/performance.md`).
    static let removers = 4

    /// Writes each file, then syncs once; returns the items whose files are on disk, or
    /// none if the sync failed. A file whose receipt could not be written, or every file
    /// of the batch if the sync fails, stays claimed for the next rescan to take again.
    private func writeAndSync(_ items: [Item]) -> Written {
        let started = ContinuousClock.now
        var written: [Item] = []
        for item in items {
            do {
                try item.file.write()
                logger.log(item.level, item.event, pairs: item.fields + [("outbox", item.file.name)])
                written.append(item)
            } catch {
                logger.error("outbox.write_failed", ["agency": item.pending.agency, "file_id": item.logID, "error": "\(error)"])
            }
        }
        let wrote = ContinuousClock.now
        guard let any = written.first else { return Written(items: [], writing: wrote - started, syncing: .zero) }
        do {
            // Receipts and reports are on disk before any claimed file goes.
            try any.file.directory.syncFilesystem()
        } catch {
            logger.error("outbox.sync_failed", ["error": "\(error)"])
            return Written(items: [], writing: wrote - started, syncing: .zero)
        }
        return Written(items: written, writing: wrote - started, syncing: ContinuousClock.now - wrote)
    }

    /// Why an object could not be removed, in words for its report (no path, no name).
    static func reason(_ error: any Error) -> String {
        guard let error = error as? SystemError else { return "\(error)" }
        if error.errno == ELOOP && error.call.hasPrefix("remove:") { return "it is nested more than 16 directories deep" }
        return String(cString: strerror(error.errno)).lowercased()
    }

    /// A batch's synced files and how long writing and syncing them took.
    private struct Written {
        let items: [Item]
        let writing: Duration
        let syncing: Duration
    }

    /// Removing one batch's claimed files, on `removers` helper threads.
    private final class Removal: @unchecked Sendable {
        /// Every item of the batch (in flight until the removal is over).
        let items: [Item]
        private let done = DispatchSemaphore(value: 0)

        init(items: [Item], written: Written, logger: Logger, stage: ReceiptStage, removers: Int) {
            self.items = items
            let started = ContinuousClock.now
            Parallel.start { [done] in
                let failed = Failures()
                Parallel.forEach(written.items.count, threads: removers) { i in
                    let item = written.items[i]
                    do {
                        try item.processing.remove(item.pending.name)
                    } catch {
                        failed.append(item, error)
                    }
                }
                stage.stuck(Self.setAside(failed.all, logger: logger))
                logger.debug("ingest.receipts", ["files": items.count, "write_ms": IngestService.milliseconds(written.writing),
                                                 "sync_ms": IngestService.milliseconds(written.syncing),
                                                 "remove_ms": IngestService.milliseconds(ContinuousClock.now - started)])
                done.signal()
            }
        }

        /// Moves what could not be removed into its agency's dead-letter directory, out of
        /// the way of every rescan, once a refused object's report says so truthfully
        /// (rewritten and synced first: a report never says "removed" of an object that
        /// was set aside). Returns those that could not be moved either.
        private static func setAside(_ failed: [(Item, any Error)], logger: Logger) -> [Item] {
            guard !failed.isEmpty else { return [] }
            var rewritten: OutboxFile?
            for (item, error) in failed {
                guard let unremoved = item.unremoved else { continue }
                do {
                    let report = try unremoved(ReceiptStage.reason(error))
                    try report.write()
                    rewritten = report
                } catch {
                    logger.error("outbox.write_failed", ["agency": item.pending.agency, "file_id": item.logID, "error": "\(error)"])
                }
            }
            do { try rewritten?.directory.syncFilesystem() } catch { logger.error("outbox.sync_failed", ["error": "\(error)"]) }
            var stuck: [Item] = []
            for (item, error) in failed {
                do {
                    guard let deadLetter = item.deadLetter else { throw error }
                    try item.processing.move(item.pending.name, to: deadLetter)
                    logger.warning("inbox.set_aside", ["agency": item.pending.agency, "file_id": item.logID,
                                                       "reason": ReceiptStage.reason(error)])
                } catch let moving {
                    logger.error("processing.remove_failed", ["agency": item.pending.agency, "file_id": item.logID,
                                                              "error": "\(error)", "set_aside": "\(moving)"])
                    stuck.append(item)
                }
            }
            return stuck
        }

        /// Removals that failed, gathered from the removers' threads.
        private final class Failures: @unchecked Sendable {
            private let lock = NSLock()
            private var failed: [(Item, any Error)] = []
            func append(_ item: Item, _ error: any Error) { lock.withLock { failed.append((item, error)) } }
            var all: [(Item, any Error)] { lock.withLock { failed } }
        }

        /// Returns once every file is removed (or its failure logged). Called once.
        func wait() { done.wait() }
    }
}
