import Foundation

/// What `Vault.verifyLog(published:)` checked.
public struct LogVerification: Sendable {
    /// The recomputed tree head over every entry.
    public let head: TreeHead
    /// Stored subtree hashes compared with recomputed ones.
    public let nodesChecked: Int
    /// Stored checkpoints whose signature and root were checked.
    public let checkpointsChecked: Int
    /// Published checkpoints (from outside the database) the log was proved consistent with.
    public let publishedChecked: Int
    /// Published checkpoints the log is not consistent with that a recorded restore names
    /// as lost (`acknowledged`).
    public let lostInRestores: Int
}

extension Vault {
    /// Verifies the log from its entries up, trusting no stored hash:
    ///
    /// 1. every signing certificate is authenticated by its MAC under the root key;
    /// 2. every leaf and node hash is recomputed from the entries and compared with the
    ///    stored ones (a mismatch at level 0 names the entry);
    /// 3. every stored checkpoint's root and signature are checked;
    /// 4. each `published` checkpoint (a copy that left the database: the witness
    ///    directory, an IG officer's outbox) must be signed by an authenticated
    ///    certificate, be still stored, and the current log must be consistent with it
    ///    (an RFC 9162 consistency proof from the recomputed tree).
    ///
    /// A published checkpoint the log is not consistent with passes only if `acknowledged`
    /// holds it (`size:base64(root)`): a restore the log records, and a signed checkpoint
    /// covers, named it as lost (the caller finds those; `docs/audit.md`, "A restore").
    ///
    /// Throws `tampered(subject, .log)` (or `.vaultKey` for a certificate) naming the
    /// first thing that failed. A history rewritten by someone who can write the database
    /// but does not hold the root key fails step 1 or step 4, whatever they recomputed.
    public func verifyLog(published: [Checkpoint] = [], acknowledged: Set<String> = []) throws -> LogVerification {
        try locked {
            try snapshot(checkingFacts: false) {  // the log stands alone: a fact check must not hide a truncation
                let certificates = try signingCertificatesLocked()
                let tree = try recomputedTree()
                var nodes = 0
                try db.statement("SELECT level, idx, hash FROM log_node ORDER BY level, idx").forEach { row in
                    let level = row.int(0), index = row.int(1)
                    guard level < tree.levels.count, index < tree.levels[level].count,
                          row.withBlob(2, { constantTimeEquals($0, tree.levels[level][index]) }) else {
                        throw VaultError.tampered(subject: level == 0 ? "log entry \(index) (its stored leaf hash differs)"
                                                                      : "log node \(level)/\(index)", part: .log)
                    }
                    nodes += 1
                }
                guard nodes == tree.levels.reduce(0, { $0 + $1.count }) else {
                    throw VaultError.tampered(subject: "log nodes (count \(nodes))", part: .log)
                }
                var stored: [Int: Checkpoint] = [:]
                try db.statement("SELECT size, note FROM log_checkpoint ORDER BY size").forEach { row in
                    let size = row.int(0)
                    guard size <= tree.size else {
                        throw VaultError.tampered(subject: "log entry \(tree.size) and after (removed: a checkpoint at size \(size) was issued)",
                                                  part: .log)
                    }
                    guard let checkpoint = try? Checkpoint.parse(row.text(1)), checkpoint.head.size == size,
                          constantTimeEquals(checkpoint.head.root, tree.root(size)),
                          certificates.contains(where: { (try? checkpoint.verify(with: $0)) != nil }) else {
                        throw VaultError.tampered(subject: "checkpoint at size \(size)", part: .log)
                    }
                    stored[size] = checkpoint
                }
                var lost = 0
                for checkpoint in published.sorted(by: { $0.head.size < $1.head.size }) {
                    do {
                        try verify(published: checkpoint, tree: tree, certificates: certificates, stored: stored)
                    } catch let error as VaultError where acknowledged.contains(
                        "\(checkpoint.head.size):\(Data(checkpoint.head.root).base64EncodedString())") {
                        // Still signed by an authenticated certificate: a lost history, not a forgery.
                        guard certificates.contains(where: { (try? checkpoint.verify(with: $0)) != nil }) else { throw error }
                        lost += 1
                    }
                }
                return LogVerification(head: TreeHead(size: tree.size, root: tree.root(tree.size)), nodesChecked: nodes,
                                       checkpointsChecked: stored.count, publishedChecked: published.count - lost, lostInRestores: lost)
            }
        }
    }

    private func verify(published checkpoint: Checkpoint, tree: RecomputedTree, certificates: [Certificate],
                        stored: [Int: Checkpoint]) throws {
        let size = checkpoint.head.size
        func fail(_ why: String) -> VaultError { .tampered(subject: "published checkpoint at size \(size) (\(why))", part: .log) }
        guard certificates.contains(where: { (try? checkpoint.verify(with: $0)) != nil }) else {
            throw fail("signed by no certificate the root key authenticates")
        }
        guard size <= tree.size else { throw fail("the log has only \(tree.size) entries: its tail was removed") }
        let proof = tree.consistencyProof(from: size)
        guard MerkleTree.verifyConsistency(oldSize: size, newSize: tree.size, oldRoot: checkpoint.head.root,
                                           newRoot: tree.root(tree.size), proof: proof) else {
            throw fail("the log is not consistent with it: an entry below \(size) was altered, removed or reordered")
        }
        guard stored[size] != nil else { throw fail("missing from the database") }
    }

    /// Every leaf and node hash recomputed from the stored entries (callers hold the lock).
    private func recomputedTree() throws -> RecomputedTree {
        let hasher = MerkleTree.Hasher()
        var levels: [[[UInt8]]] = [[]]
        levels[0].reserveCapacity(log.size)
        var expected = 0
        try db.statement("SELECT seq, entry FROM log_entry ORDER BY seq").forEach { row in
            guard row.int(0) == expected else { throw VaultError.tampered(subject: "log entry \(expected) (missing)", part: .log) }
            levels[0].append(row.withBlob(1) { hasher.leaf($0) })
            expected += 1
        }
        while levels[levels.count - 1].count > 1 {
            let below = levels[levels.count - 1]
            levels.append(stride(from: 0, to: below.count - 1, by: 2).map { hasher.node(below[$0], below[$0 + 1]) })
        }
        return RecomputedTree(levels: levels, hasher: hasher)
    }

    /// Signs the current tree head as a checkpoint for `origin` and stores it; if one for
    /// this size is already stored, returns that one (checkpoints are append-only).
    public func checkpoint(origin: String) throws -> Checkpoint {
        try locked {
            try write {
                if let existing = try db.statement("SELECT note FROM log_checkpoint WHERE size = ?")
                    .first([.integer(Int64(log.size))], { $0.text(0) }) {
                    return try Checkpoint.parse(existing)
                }
                guard let signer else { throw VaultError.noSigningKey }
                let checkpoint = try Checkpoint.sign(origin: origin, head: TreeHead(size: log.size, root: log.root),
                                                     key: signer.key, certificate: signer.certificate)
                try db.run("INSERT INTO log_checkpoint (size, note, created_at) VALUES (?, ?, ?)",
                           [.integer(Int64(checkpoint.head.size)), .text(checkpoint.text), now])
                return checkpoint
            }
        }
    }

    /// The newest stored checkpoint, if any.
    public func latestCheckpoint() throws -> Checkpoint? {
        try locked {
            try db.statement("SELECT note FROM log_checkpoint ORDER BY size DESC LIMIT 1").first([]) { try Checkpoint.parse($0.text(0)) }
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

/// The log's hashes as recomputed from its entries: `levels[l][i]` covers leaves
/// `[i·2^l, (i+1)·2^l)`.
struct RecomputedTree {
    let levels: [[[UInt8]]]
    let hasher: MerkleTree.Hasher

    var size: Int { levels[0].count }

    /// `MTH` of the first `size` leaves, from the complete subtrees.
    func root(_ size: Int) -> [UInt8] {
        var root: [UInt8]?
        for level in 0..<levels.count where size >> level & 1 == 1 {
            let hash = levels[level][(size >> level) - 1]
            root = root.map { hasher.node(hash, $0) } ?? hash
        }
        return root ?? MerkleTree.emptyRoot
    }

    /// The RFC 9162 consistency proof from `oldSize` to the whole tree.
    func consistencyProof(from oldSize: Int) -> [[UInt8]] {
        guard oldSize > 0, oldSize < size else { return [] }
        return MerkleTree.consistencyPath(m: oldSize, lo: 0, hi: size, complete: true, subtree: subtree)
    }

    private func subtree(_ lo: Int, _ hi: Int) -> [UInt8] {
        let n = hi - lo
        if n & (n - 1) == 0 && lo % n == 0 { return levels[n.trailingZeroBitCount][lo >> n.trailingZeroBitCount] }
        let k = MerkleTree.split(n)
        return hasher.node(subtree(lo, lo + k), subtree(lo + k, hi))
    }
}
