import Foundation

/// A signed or computed tree head: the number of leaves and the root hash.
public struct TreeHead: Equatable, Sendable {
    /// Number of entries.
    public let size: Int
    /// `MTH` of those entries.
    public let root: [UInt8]
}

/// The log's in-memory frontier: its size and, for each set bit of the size, the hash of
/// the complete subtree at that level still waiting for its right sibling.
struct LogState {
    var size = 0
    var frontier: [Int: [UInt8]] = [:]
    let hasher = MerkleTree.Hasher()

    static func load(_ db: Database) throws -> LogState {
        var state = LogState()
        state.size = try db.scalarInt("SELECT COALESCE(MAX(seq) + 1, 0) FROM log_entry")
        let node = try db.statement("SELECT hash FROM log_node WHERE level = ? AND idx = ?")
        for level in 0..<Int.bitWidth where state.size >> level & 1 == 1 {
            guard let hash = try node.first([.integer(Int64(level)), .integer(Int64((state.size >> level) - 1))], { $0.blob(0) }),
                  hash.count == MerkleTree.hashByteCount else {
                throw VaultError.tampered(subject: "log node \(level)/\((state.size >> level) - 1)", part: .log)
            }
            state.frontier[level] = hash
        }
        return state
    }

    /// The root over the current size, folding the frontier from the lowest level up.
    var root: [UInt8] {
        var root: [UInt8]?
        for level in frontier.keys.sorted() {
            let hash = frontier[level]!
            root = root.map { hasher.node(hash, $0) } ?? hash
        }
        return root ?? MerkleTree.emptyRoot
    }
}

extension Vault {
    // MARK: - Appending (callers hold the lock and are in a transaction)

    /// Appends `entry` as the next leaf, storing its hash and every subtree it completes.
    func appendLeaf(_ entry: Data) throws {
        precondition(db.inTransaction, "log append outside a transaction")
        // A changed fact is recorded by the next entry, which must say so (`appendLog(_:recording:)`).
        if let unlogged = pendingFacts.first { throw VaultError.unloggedFact("\(unlogged.table)/\(unlogged.key)") }
        let index = log.size
        try db.run("INSERT INTO log_entry (seq, entry) VALUES (?, ?)", [.integer(Int64(index)), .blob(Array(entry))])
        let insertNode = try db.statement("INSERT INTO log_node (level, idx, hash) VALUES (?, ?, ?)")
        var hash = log.hasher.leaf(entry)
        var level = 0, position = index
        try insertNode.run([.integer(0), .integer(Int64(index)), .blob(hash)])
        while position & 1 == 1 {
            let left = log.frontier.removeValue(forKey: level)!
            hash = log.hasher.node(left, hash)
            level += 1
            position >>= 1
            try insertNode.run([.integer(Int64(level)), .integer(Int64(position)), .blob(hash)])
        }
        log.frontier[level] = hash
        log.size += 1
    }

    // MARK: - Public log API

    /// Appends `entries` in one transaction; returns their sequence numbers.
    @discardableResult
    public func appendLog(_ entries: [Data]) throws -> Range<Int> {
        try locked {
            try write {
                let start = log.size
                for entry in entries { try appendLeaf(entry) }
                return start..<log.size
            }
        }
    }

    /// The current tree head.
    public func treeHead() throws -> TreeHead {
        try locked { try snapshot { TreeHead(size: log.size, root: log.root) } }
    }

    /// The tree head for the first `size` entries.
    public func treeHead(size: Int) throws -> TreeHead {
        try locked {
            try snapshot {
                guard size >= 0, size <= log.size else { throw VaultError.notFound("log size \(size)") }
                return TreeHead(size: size, root: size == 0 ? MerkleTree.emptyRoot : try subtreeHash(0, size))
            }
        }
    }

    /// Entry `seq` of the log.
    public func logEntry(_ seq: Int) throws -> Data {
        try locked {
            guard let entry = try db.statement("SELECT entry FROM log_entry WHERE seq = ?")
                .first([.integer(Int64(seq))], { Data($0.blob(0)) }) else { throw VaultError.notFound("log entry \(seq)") }
            return entry
        }
    }

    /// Entries with `seq` in `range` (clamped to the log), in order.
    public func logEntries(_ range: Range<Int>) throws -> [(seq: Int, entry: Data)] {
        try locked {
            var out: [(Int, Data)] = []
            try db.statement("SELECT seq, entry FROM log_entry WHERE seq >= ? AND seq < ? ORDER BY seq")
                .forEach([.integer(Int64(range.lowerBound)), .integer(Int64(range.upperBound))]) { out.append(($0.int(0), Data($0.blob(1)))) }
            return out
        }
    }

    /// The inclusion proof of entry `index` in the tree of the first `size` entries.
    public func inclusionProof(index: Int, size: Int) throws -> [[UInt8]] {
        try locked {
            try snapshot {
                guard index >= 0, index < size, size <= log.size else { throw VaultError.notFound("log entry \(index) in size \(size)") }
                return try MerkleTree.inclusionPath(index: index, lo: 0, hi: size, subtree: subtreeHash)
            }
        }
    }

    /// The consistency proof between the trees of `oldSize` and `newSize` entries.
    public func consistencyProof(from oldSize: Int, to newSize: Int) throws -> [[UInt8]] {
        try locked {
            try snapshot {
                guard oldSize >= 0, oldSize <= newSize, newSize <= log.size else {
                    throw VaultError.notFound("log sizes \(oldSize)..\(newSize)")
                }
                guard oldSize > 0, oldSize < newSize else { return [] }
                return try MerkleTree.consistencyPath(m: oldSize, lo: 0, hi: newSize, complete: true, subtree: subtreeHash)
            }
        }
    }

    /// `MTH(D[lo:hi])` from the stored complete-subtree hashes.
    private func subtreeHash(_ lo: Int, _ hi: Int) throws -> [UInt8] {
        let n = hi - lo
        if n & (n - 1) == 0 && lo % n == 0 {
            let level = n.trailingZeroBitCount
            guard let hash = try db.statement("SELECT hash FROM log_node WHERE level = ? AND idx = ?")
                .first([.integer(Int64(level)), .integer(Int64(lo >> level))], { $0.blob(0) }),
                  hash.count == MerkleTree.hashByteCount else {
                throw VaultError.tampered(subject: "log node \(level)/\(lo >> level)", part: .log)
            }
            return hash
        }
        let k = MerkleTree.split(n)
        return log.hasher.node(try subtreeHash(lo, lo + k), try subtreeHash(lo + k, hi))
    }
}
