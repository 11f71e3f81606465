import Exchange
import Foundation
import Vault

/// Holds the daemon after a restore (`docs/audit.md`, "A restore"): when, at start, its
/// log is behind (or disagrees with) a checkpoint it published, it takes no form and
/// discloses nothing until a key custodian acknowledges the restore
/// (`maracctl key acknowledge-restore`), which logs the lost range. Shared by the
/// supervisor (ingest, checkpoints) and the control thread (verbs).
final class RestoreGate: @unchecked Sendable {
    private let lock = NSLock()
    private var lost: [Checkpoint] = []  // guarded by `lock`
    private var size = 0  // guarded by `lock`

    /// The verbs answered while held: nothing that discloses or changes a case.
    static let allowed: Set<String> = ["status", "key.status", "key.acknowledge-restore", "audit.verify", "audit.log"]

    /// The published checkpoints the log does not reach, while held.
    var pending: [Checkpoint] { lock.withLock { lost } }

    var isHolding: Bool { lock.withLock { !lost.isEmpty } }

    /// The log's size when the daemon began to hold: the size it was restored to.
    var restoredSize: Int { lock.withLock { size } }

    /// Holds the daemon for `checkpoints`, its log being `logSize` long (none: not held).
    func hold(_ checkpoints: [Checkpoint], logSize: Int = 0) {
        lock.withLock {
            lost = checkpoints
            size = logSize
        }
    }

    /// The refusal of a verb while held.
    static var refusal: ControlError {
        ControlError(.unavailable, "the daemon is held: its log is behind a checkpoint it published (a restore from backup); "
                     + "a key custodian must run maracctl key acknowledge-restore (docs/audit.md, \"A restore\")")
    }

    /// Checks the published checkpoints in `witness` against the log: holds the daemon for
    /// those it is behind or disagrees with that no recorded restore names. Returns them.
    ///
    /// Only the files that can show a restore are read, chosen by the size in their names:
    /// every one beyond the log's size, and the largest within it (whose root must agree).
    /// A witness directory gains a file a minute while the log grows; reading them all at
    /// each start is `audit verify`'s job, which checks every one.
    @discardableResult
    func check(_ marac: Marac, witness: String) throws -> [Checkpoint] {
        let size = try marac.vault.treeHead().size
        let names = (try? FileManager.default.contentsOfDirectory(atPath: witness)) ?? []
        let within = names.compactMap { name -> Int? in
            guard name.hasPrefix("checkpoint-") else { return nil }
            return Int(name.dropFirst("checkpoint-".count).prefix { $0.isNumber })
        }.filter { $0 <= size }.max()
        let published = try ControlVerbs.witnessCheckpoints(witness) { $0 > size || $0 == within }
        let unacknowledged = try marac.checkRestores(published: published).unacknowledged
        hold(unacknowledged, logSize: size)
        return unacknowledged
    }
}
