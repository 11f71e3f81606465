import Foundation

/// What `Vault.verifyLog()` checked.
public struct LogVerification: Sendable {
    /// The recomputed tree head over every entry.
    public let head: TreeHead
    /// Stored subtree hashes compared with recomputed ones.
    public let nodesChecked: Int
    /// Stored checkpoints whose signature and root were checked.
    public let checkpointsChecked: Int
}

extension Vault {
    /// Recomputes every leaf and node hash from the stored entries, then checks that each
    /// stored node hash and each stored checkpoint (root and signature, against the
    /// vault's certificates) matches. Trusts no stored hash. Throws `tampered(…, .log)`
    /// naming the first mismatch.
    public func verifyLog() throws -> LogVerification {
        try locked {
            let hasher = MerkleTree.Hasher()
            var levels: [[[UInt8]]] = [[]]
            levels[0].reserveCapacity(log.size)
            var expected = 0
            try db.statement("SELECT seq, entry FROM log_entry ORDER BY seq").forEach { row in
                guard row.int(0) == expected else { throw VaultError.tampered(subject: "log entry \(expected)", part: .log) }
                levels[0].append(row.withBlob(1) { hasher.leaf($0) })
                expected += 1
            }
            while levels[levels.count - 1].count > 1 {
                let below = levels[levels.count - 1]
                levels.append(stride(from: 0, to: below.count - 1, by: 2).map { hasher.node(below[$0], below[$0 + 1]) })
            }
            var nodes = 0
            try db.statement("SELECT level, idx, hash FROM log_node ORDER BY level, idx").forEach { row in
                let level = row.int(0), index = row.int(1)
                guard level < levels.count, index < levels[level].count,
                      row.withBlob(2, { constantTimeEquals($0, levels[level][index]) }) else {
                    throw VaultError.tampered(subject: "log node \(level)/\(index)", part: .log)
                }
                nodes += 1
            }
            guard nodes == levels.reduce(0, { $0 + $1.count }) else {
                throw VaultError.tampered(subject: "log nodes (count \(nodes))", part: .log)
            }
            let root = { (size: Int) -> [UInt8] in
                var root: [UInt8]?
                for level in 0..<levels.count where size >> level & 1 == 1 {
                    let hash = levels[level][(size >> level) - 1]
                    root = root.map { hasher.node(hash, $0) } ?? hash
                }
                return root ?? MerkleTree.emptyRoot
            }
            let certificates = try signingCertificatesLocked()
            var checkpoints = 0
            try db.statement("SELECT size, note FROM log_checkpoint ORDER BY size").forEach { row in
                let size = row.int(0)
                guard let checkpoint = try? Checkpoint.parse(row.text(1)), checkpoint.head.size == size, size <= levels[0].count,
                      constantTimeEquals(checkpoint.head.root, root(size)),
                      certificates.contains(where: { (try? checkpoint.verify(with: $0)) != nil }) else {
                    throw VaultError.tampered(subject: "checkpoint at size \(size)", part: .log)
                }
                checkpoints += 1
            }
            return LogVerification(head: TreeHead(size: levels[0].count, root: root(levels[0].count)),
                                   nodesChecked: nodes, checkpointsChecked: checkpoints)
        }
    }

    /// Signs the current tree head as a checkpoint for `origin`, stores it, and returns it.
    public func checkpoint(origin: String) throws -> Checkpoint {
        try locked {
            try write {
                guard let signer else { throw VaultError.noSigningKey }
                let checkpoint = try Checkpoint.sign(origin: origin, head: TreeHead(size: log.size, root: log.root),
                                                     key: signer.key, certificate: signer.certificate)
                try db.run("INSERT OR REPLACE INTO log_checkpoint (size, note, created_at) VALUES (?, ?, ?)",
                           [.integer(Int64(checkpoint.head.size)), .text(checkpoint.text), now])
                return checkpoint
            }
        }
    }

    /// Every stored checkpoint, oldest first.
    public func checkpoints() throws -> [Checkpoint] {
        try locked {
            var out: [Checkpoint] = []
            try db.statement("SELECT note FROM log_checkpoint ORDER BY size").forEach { out.append(try Checkpoint.parse($0.text(0))) }
            return out
        }
    }
}
