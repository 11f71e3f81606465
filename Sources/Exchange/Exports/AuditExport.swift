import Foundation
import Vault

/// The files of an audit export (`docs/packs.md`, "Signed export"): the entries, an
/// inclusion proof of each in the tree the checkpoint signs, and the checkpoint, so an IG
/// officer checks offline that every entry is in the log the daemon committed to.
public enum AuditExport {
    /// `log/entries.jsonl`, `log/proofs.json` and `log/checkpoint.txt` for `entries`
    /// (sequence number and the entry's bytes), each proved by `proof` in the tree of
    /// `checkpoint.head.size` entries.
    public static func files(_ entries: [(seq: Int, entry: Data)], checkpoint: Checkpoint,
                             proof: (Int) throws -> [[UInt8]]) throws -> [ExportDocument.File] {
        var lines: [UInt8] = []
        var proofs: [JSONValue] = []
        for (seq, entry) in entries {
            lines += Array(entry) + [0x0A]
            proofs.append(.object(JSONObject(["seq": .number(Double(seq)), "leafHash": .string(Hex.encode(MerkleTree.leafHash(entry))),
                                              "inclusion": .array(try proof(seq).map { .string(Hex.encode($0)) })])))
        }
        let proofFile = JSONValue.object(JSONObject(["size": .number(Double(checkpoint.head.size)), "proofs": .array(proofs)]))
        return [ExportDocument.File(name: "log/entries.jsonl", bytes: lines),
                ExportDocument.File(name: "log/proofs.json", bytes: proofFile.canonicalBytes),
                ExportDocument.File(name: "log/checkpoint.txt", bytes: Array(checkpoint.text.utf8))]
    }

    /// Checks an audit export's files: the checkpoint parses and is signed by one of
    /// `trusted`, there is one proof per entry, and each entry's hash and inclusion proof
    /// lead to the checkpoint's root. Returns the checkpoint and the number of entries.
    public static func check(_ files: [ExportDocument.File], trusted: [Certificate]) throws(ExportDocument.Failure) -> (checkpoint: Checkpoint, entries: Int) {
        func file(_ name: String) throws(ExportDocument.Failure) -> [UInt8] {
            guard let found = files.first(where: { $0.name == name }) else { throw ExportDocument.Failure(reason: "\(name) is missing") }
            return found.bytes
        }
        guard let checkpoint = try? Checkpoint.parse(String(decoding: try file("log/checkpoint.txt"), as: UTF8.self)) else {
            throw ExportDocument.Failure(reason: "log/checkpoint.txt is not a checkpoint")
        }
        guard trusted.contains(where: { (try? checkpoint.verify(with: $0)) != nil }) else {
            throw ExportDocument.Failure(reason: "log/checkpoint.txt is not signed by a trusted signing certificate")
        }
        guard let proofs = try? JSONParser().parse(try file("log/proofs.json")).value, proofs["size"]?.integer == checkpoint.head.size,
              let items = proofs["proofs"]?.array else {
            throw ExportDocument.Failure(reason: "log/proofs.json is not the proofs for the checkpoint's tree")
        }
        var lines = try file("log/entries.jsonl").split(separator: 0x0A, omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        guard lines.count == items.count else { throw ExportDocument.Failure(reason: "log/entries.jsonl and log/proofs.json differ in length") }
        for (line, item) in zip(lines, items) {
            let leaf = MerkleTree.leafHash(Array(line))
            guard let seq = item["seq"]?.integer, item["leafHash"]?.string == Hex.encode(leaf),
                  let path = item["inclusion"]?.array?.compactMap({ $0.string.flatMap(Hex.decode) }),
                  MerkleTree.verifyInclusion(leafHash: leaf, index: seq, size: checkpoint.head.size, proof: path, root: checkpoint.head.root) else {
                throw ExportDocument.Failure(reason: "entry \(item["seq"]?.integer ?? -1) is not proved in the checkpoint's tree")
            }
        }
        return (checkpoint, lines.count)
    }
}
