import Foundation
import Glibc
import Vault

/// Issues signed log checkpoints and publishes them outside the database
/// (`docs/operations.md`, "Checkpoints"): while the log grows, at most once per
/// `audit.checkpointIntervalSeconds` (after a batch, or on the timer), and once more at
/// shutdown. Each one is written to the witness directory and to the `checkpoints/`
/// folder of every IG officer's agency outbox, as `checkpoint-<size>.txt`, and never
/// overwritten or pruned: a verifier holding any of them proves the log has not been
/// rewritten since (`maracctl audit verify --witness DIR`).
final class CheckpointPublisher {
    private let vault: Vault
    private let logger: Logger
    private var config: Configuration
    private var witness: Directory
    /// The size of the newest checkpoint published.
    private(set) var publishedSize: Int
    /// When the next checkpoint may be issued.
    private(set) var nextDue = Monotonic.now()

    /// Opens (creating) the witness directory and republishes the newest stored
    /// checkpoint if a crash came between storing and publishing it.
    init(vault: Vault, config: Configuration, logger: Logger) throws {
        self.vault = vault
        self.config = config
        self.logger = logger
        witness = try Directory.ensure(config.witnessPath, mode: 0o700)
        publishedSize = 0  // an empty log needs no checkpoint
        if let latest = try vault.latestCheckpoint() {
            try Self.write(latest, to: witness, mode: 0o600)
            publishedSize = latest.head.size
        }
    }

    /// What a reloaded configuration needs that can fail: its witness directory, opened
    /// (created) now, before anything switches. Nil when it is the one in use.
    func prepare(_ fresh: Configuration) throws -> Directory? {
        fresh.witnessPath == config.witnessPath ? nil : try Directory.ensure(fresh.witnessPath, mode: 0o700)
    }

    /// Applies a reloaded configuration (origin, interval, and the witness `prepare` opened).
    func apply(_ fresh: Configuration, witness: Directory?) {
        if let witness { self.witness = witness }
        config = fresh
    }

    /// The file name of the checkpoint at `size`: fixed width, so names sort by size.
    static func fileName(size: Int) -> String { "checkpoint-" + String(format: "%012d", size) + ".txt" }

    /// Whether the log has grown past the last published checkpoint.
    var hasUnpublishedEntries: Bool {
        ((try? vault.treeHead().size) ?? publishedSize) > publishedSize
    }

    /// Issues and publishes a checkpoint if the log has grown and the interval has passed
    /// (or `force`, at shutdown). `recipients` are the IG officers' agency outboxes.
    func publishIfDue(now: Date = Monotonic.now(), force: Bool = false, recipients: @autoclosure () -> [Outbox]) {
        guard force || now >= nextDue, hasUnpublishedEntries else { return }
        let recipients = recipients()  // looked up only when a checkpoint is due
        do {
            let checkpoint = try vault.checkpoint(origin: config.audit.checkpointOrigin)
            try Self.write(checkpoint, to: witness, mode: 0o600)
            for outbox in recipients { try Self.write(checkpoint, to: outbox.checkpoints, mode: outbox.fileMode) }
            try witness.syncFilesystem()
            if let first = recipients.first { try first.root.syncFilesystem() }
            publishedSize = checkpoint.head.size
            nextDue = now.addingTimeInterval(config.audit.checkpointIntervalSeconds)
            logger.info("log.checkpoint", ["size": checkpoint.head.size, "published_to": recipients.count + 1])
        } catch {
            // The log and the stored checkpoint are intact; the next attempt publishes.
            logger.error("log.checkpoint_failed", ["error": "\(error)"])
            nextDue = now.addingTimeInterval(min(config.audit.checkpointIntervalSeconds, 10))
        }
    }

    /// Writes `checkpoint` into `directory` unless a file for its size is there already.
    /// After a restore the lost history's checkpoint for a size may be there: it is kept
    /// (it is the evidence), and this one goes beside it, its name carrying the first 12
    /// hex digits of its root (`docs/audit.md`, "A restore").
    private static func write(_ checkpoint: Checkpoint, to directory: Directory, mode: mode_t) throws {
        var name = fileName(size: checkpoint.head.size)
        if try directory.status(FileName(name)) != nil {
            let existing = try? String(contentsOfFile: directory.path + "/" + name, encoding: .utf8)
            if existing == checkpoint.text { return }
            name = name.replacingOccurrences(of: ".txt", with: "-" + String(Hex.encode(checkpoint.head.root).prefix(12)) + ".txt")
            guard try directory.status(FileName(name)) == nil else { return }
        }
        try directory.writeAtomically(name, Array(checkpoint.text.utf8), mode: mode)
    }
}
