import Foundation

/// RFC 6962 / RFC 9162 Merkle tree hashing and proof verification. Pure functions over
/// hashes: nothing here touches storage, so an auditor's verifier and the vault share it.
public enum MerkleTree {
    /// Length of every hash in bytes.
    public static let hashByteCount = 32

    /// `MTH({})`: SHA-256 of the empty string.
    public static let emptyRoot: [UInt8] = SHA256.hash([UInt8]())

    /// `SHA-256(0x00 ‖ entry)`.
    public static func leafHash<D: ContiguousBytes>(_ entry: D) -> [UInt8] {
        Hasher.local.leaf(entry)
    }

    /// `SHA-256(0x01 ‖ left ‖ right)`.
    public static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        Hasher.local.node(left, right)
    }

    /// The root of the tree whose leaf hashes are `leaves` (RFC 9162 §2.1.1).
    public static func root(ofLeafHashes leaves: [[UInt8]]) -> [UInt8] {
        guard !leaves.isEmpty else { return emptyRoot }
        // Fold complete subtrees as they appear; then combine the stack right to left.
        var stack: [(size: Int, hash: [UInt8])] = []
        for leaf in leaves {
            var node = (size: 1, hash: leaf)
            while let top = stack.last, top.size == node.size {
                stack.removeLast()
                node = (top.size * 2, nodeHash(top.hash, node.hash))
            }
            stack.append(node)
        }
        var root = stack.removeLast().hash
        while let left = stack.popLast() { root = nodeHash(left.hash, root) }
        return root
    }

    /// The largest power of two strictly below `n` (n ≥ 2).
    static func split(_ n: Int) -> Int {
        precondition(n >= 2)
        return 1 << (Int.bitWidth - 1 - (n - 1).leadingZeroBitCount)
    }

    // MARK: - Verification (RFC 9162 §2.1.3.2 and §2.1.4.2)

    /// Whether `proof` shows that the leaf with hash `leafHash` is at `index` in the tree
    /// of `size` leaves with root `root`.
    public static func verifyInclusion(leafHash: [UInt8], index: Int, size: Int, proof: [[UInt8]], root: [UInt8]) -> Bool {
        guard index >= 0, index < size, leafHash.count == hashByteCount else { return false }
        var fn = index, sn = size - 1
        var r = leafHash
        for p in proof {
            guard sn != 0, p.count == hashByteCount else { return false }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                shiftPastRightEdge(&fn, &sn)
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1; sn >>= 1
        }
        return sn == 0 && constantTimeEquals(r, root)
    }

    /// Whether `proof` shows that the tree of `oldSize` leaves with root `oldRoot` is a
    /// prefix of the tree of `newSize` leaves with root `newRoot`.
    public static func verifyConsistency(oldSize: Int, newSize: Int, oldRoot: [UInt8], newRoot: [UInt8],
                                         proof: [[UInt8]]) -> Bool {
        guard oldSize >= 0, oldSize <= newSize else { return false }
        if oldSize == newSize { return proof.isEmpty && oldRoot == newRoot }
        if oldSize == 0 { return proof.isEmpty }
        guard !proof.isEmpty, proof.allSatisfy({ $0.count == hashByteCount }) else { return false }
        var path = proof
        if oldSize & (oldSize - 1) == 0 { path.insert(oldRoot, at: 0) }
        var fn = oldSize - 1, sn = newSize - 1
        while fn & 1 == 1 { fn >>= 1; sn >>= 1 }
        var fr = path[0], sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                shiftPastRightEdge(&fn, &sn)
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1; sn >>= 1
        }
        return sn == 0 && constantTimeEquals(fr, oldRoot) && constantTimeEquals(sr, newRoot)
    }

    /// RFC 9162: "If LSB(fn) is not set, right-shift both fn and sn equally until either
    /// LSB(fn) is set or fn is 0" (the node was a right edge with no sibling at those levels).
    private static func shiftPastRightEdge(_ fn: inout Int, _ sn: inout Int) {
        while fn & 1 == 0 && fn != 0 { fn >>= 1; sn >>= 1 }
    }

    // MARK: - Proof construction over any subtree-hash source (RFC 9162 §2.1.3.1, §2.1.4.1)

    /// `PATH(index, D[lo:hi])`, asking `subtree(a, b)` for `MTH(D[a:b])`.
    static func inclusionPath(index: Int, lo: Int, hi: Int, subtree: (Int, Int) throws -> [UInt8]) rethrows -> [[UInt8]] {
        guard hi - lo > 1 else { return [] }
        let k = split(hi - lo)
        if index < lo + k {
            return try inclusionPath(index: index, lo: lo, hi: lo + k, subtree: subtree) + [subtree(lo + k, hi)]
        }
        return try inclusionPath(index: index, lo: lo + k, hi: hi, subtree: subtree) + [subtree(lo, lo + k)]
    }

    /// `SUBPROOF(m, D[lo:hi], complete)`.
    static func consistencyPath(m: Int, lo: Int, hi: Int, complete: Bool,
                                subtree: (Int, Int) throws -> [UInt8]) rethrows -> [[UInt8]] {
        let n = hi - lo
        if m == n { return complete ? [] : [try subtree(lo, hi)] }
        let k = split(n)
        if m <= k {
            return try consistencyPath(m: m, lo: lo, hi: lo + k, complete: complete, subtree: subtree) + [subtree(lo + k, hi)]
        }
        return try consistencyPath(m: m - k, lo: lo + k, hi: hi, complete: false, subtree: subtree) + [subtree(lo, lo + k)]
    }

    // MARK: - Hashing with a reused context

    /// One reusable SHA-256 context per thread.
    final class Hasher {
        private let sha = SHA256Hasher()
        private static let leafPrefix: [UInt8] = [0x00]
        private static let nodePrefix: [UInt8] = [0x01]

        static var local: Hasher {
            let key = "maracd.merkle.hasher"
            if let existing = Thread.current.threadDictionary[key] as? Hasher { return existing }
            let made = Hasher()
            Thread.current.threadDictionary[key] = made
            return made
        }

        func leaf<D: ContiguousBytes>(_ entry: D) -> [UInt8] {
            sha.update(Self.leafPrefix)
            sha.update(entry)
            return sha.finalize()
        }

        func node(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
            sha.update(Self.nodePrefix)
            sha.update(left)
            sha.update(right)
            return sha.finalize()
        }
    }
}
