import Foundation
import Vault

/// A restore of the vault from a backup, as the log records it (`docs/audit.md`, "A
/// restore"): the size the log was rolled back to, and the published checkpoints of the
/// history that was lost with it.
public struct RestoreRecord: Sendable, Equatable {
    /// The log entry that acknowledged the restore.
    public let entry: Int
    /// The log's size when it was restored (when the daemon first held for it); the
    /// acknowledgement is the entry at that index, or a later one if an IG officer read the
    /// log while the daemon held.
    public let restoredSize: Int
    /// The published checkpoints beyond it, as `size:base64(root)`, smallest first.
    public let lost: [String]

    /// The largest size the lost history is known to have reached.
    public var lostUpTo: Int { lost.compactMap { Int($0.prefix { $0 != ":" }) }.max() ?? restoredSize }

    /// `size:base64(root)` of a checkpoint, as `lost` lists it.
    public static func key(_ checkpoint: Checkpoint) -> String {
        "\(checkpoint.head.size):\(Data(checkpoint.head.root).base64EncodedString())"
    }
}

/// What checking the published checkpoints against the log found.
public struct RestoreCheck: Sendable {
    /// Published checkpoints the log is not consistent with, and no restore acknowledged.
    public let unacknowledged: [Checkpoint]
    /// The restores the log records (each covered by a signed checkpoint issued after it).
    public let restores: [RestoreRecord]
}

extension Marac {
    /// The published checkpoints the log is behind or inconsistent with, less those a
    /// restore entry names. Cheap when every checkpoint agrees (tree heads from the stored
    /// nodes); only then is the log read for restore entries.
    public func checkRestores(published: [Checkpoint]) throws -> RestoreCheck {
        let size = try vault.treeHead().size
        let differing = try published.filter { checkpoint in
            if checkpoint.head.size > size { return true }
            return !constantTimeEquals(try vault.treeHead(size: checkpoint.head.size).root, checkpoint.head.root)
        }
        guard !differing.isEmpty else { return RestoreCheck(unacknowledged: [], restores: []) }
        let restores = try restoreRecords()
        let acknowledged = Set(restores.flatMap(\.lost))
        return RestoreCheck(unacknowledged: differing.filter { !acknowledged.contains(RestoreRecord.key($0)) }, restores: restores)
    }

    /// Every restore the log records whose entry a stored, signed checkpoint covers (an
    /// entry nobody signed after is not one: whoever can write the database cannot sign).
    public func restoreRecords() throws -> [RestoreRecord] {
        let signedUpTo = try vault.latestCheckpoint()?.head.size ?? 0
        let marker = Data(#""action":"restore""#.utf8)
        var records: [RestoreRecord] = []
        for (seq, data) in try vault.logEntries(0..<signedUpTo) where data.range(of: marker) != nil {
            let entry = try LogEntry(decoding: data)
            guard entry.operation == .alteration, entry.details["action"] == "restore",
                  let restored = entry.details["restoredSize"].flatMap(Int.init), restored <= seq else { continue }
            records.append(RestoreRecord(entry: seq, restoredSize: restored,
                                         lost: (entry.details["lost"] ?? "").split(separator: ",").map(String.init)))
        }
        return records
    }

    /// Records a restore (key custodian): the entry appended now names `restoredSize` (the
    /// log's size when the daemon held for it) and every checkpoint in `unacknowledged`
    /// (the lost range). The caller then issues a checkpoint at once, which is what makes
    /// the entry count.
    public func acknowledgeRestore(_ unacknowledged: [Checkpoint], restoredSize: Int, reason: String,
                                   by principal: Principal) throws -> RestoreRecord {
        try ControlPolicy.require("key.acknowledge-restore", principal)
        guard !unacknowledged.isEmpty else { throw ExchangeError.conflict("the log agrees with every published checkpoint: there is no restore to acknowledge") }
        let lost = unacknowledged.sorted { $0.head.size < $1.head.size }.map(RestoreRecord.key)
        return try vault.transaction { tx in
            let index = try tx.append(.alteration(by: principal.actor, case: nil, at: tx.now, justification: reason, details: [
                "action": "restore", "restoredSize": String(restoredSize), "lost": lost.joined(separator: ","),
                "lostUpTo": String(unacknowledged.map(\.head.size).max()!),
            ]))
            return RestoreRecord(entry: index, restoredSize: restoredSize, lost: lost)
        }
    }
}

extension Marac {
    /// `Vault.verifyLog` against `published`, a checkpoint lost in a recorded restore
    /// accepted as such; returns the restores too, for the report.
    public func verifyLog(published: [Checkpoint]) throws -> (LogVerification, [RestoreRecord]) {
        let restores = try restoreRecords()
        return (try vault.verifyLog(published: published, acknowledged: Set(restores.flatMap(\.lost))), restores)
    }
}
