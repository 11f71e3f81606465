import Foundation
import XCTest
import TestSupport
@testable import Vault

/// The log's Merkle tree against the Certificate Transparency vectors, exhaustive proofs
/// for every size up to 64, verification from scratch, and signed checkpoints.
final class MerkleLogTests: XCTestCase {
    struct Vectors: Decodable {
        struct Inclusion: Decodable { let index: Int; let size: Int; let path: [String] }
        struct Consistency: Decodable { let old: Int; let new: Int; let proof: [String] }
        let emptyRoot: String
        let inputs: [String]
        let roots: [String]
        let inclusion: [Inclusion]
        let consistency: [Consistency]
    }

    var fixture: VaultFixture!
    var vectors: Vectors!

    override func setUpWithError() throws {
        fixture = try VaultFixture()
        let url = try XCTUnwrap(Bundle.module.url(forResource: "ct-merkle", withExtension: "json", subdirectory: "Vectors"))
        vectors = try JSONDecoder().decode(Vectors.self, from: Data(contentsOf: url))
    }

    override func tearDown() { fixture.cleanUp() }

    private func hex(_ s: String) -> [UInt8] { Hex.decode(s)! }
    private var inputs: [Data] { vectors.inputs.map { Data(hex($0)) } }

    func testReferenceRootsFromTheStoreAndFromScratch() throws {
        XCTAssertEqual(Hex.encode(try fixture.vault.treeHead().root), vectors.emptyRoot)
        for (n, input) in inputs.enumerated() {
            try fixture.vault.appendLog([input])
            XCTAssertEqual(Hex.encode(try fixture.vault.treeHead().root), vectors.roots[n], "size \(n + 1)")
            XCTAssertEqual(Hex.encode(MerkleTree.root(ofLeafHashes: inputs.prefix(n + 1).map { MerkleTree.leafHash($0) })),
                           vectors.roots[n])
        }
        for size in 1...8 { XCTAssertEqual(Hex.encode(try fixture.vault.treeHead(size: size).root), vectors.roots[size - 1]) }
        try fixture.reopen()
        XCTAssertEqual(Hex.encode(try fixture.vault.treeHead().root), vectors.roots[7])
        XCTAssertEqual(Hex.encode(try fixture.vault.verifyLog().head.root), vectors.roots[7])
    }

    func testReferenceInclusionAndConsistencyProofs() throws {
        try fixture.vault.appendLog(inputs)
        for vector in vectors.inclusion {
            let proof = try fixture.vault.inclusionProof(index: vector.index, size: vector.size)
            XCTAssertEqual(proof.map { Hex.encode($0) }, vector.path, "inclusion \(vector.index) in \(vector.size)")
            XCTAssertTrue(MerkleTree.verifyInclusion(leafHash: MerkleTree.leafHash(inputs[vector.index]), index: vector.index,
                                                     size: vector.size, proof: vector.path.map(hex), root: hex(vectors.roots[vector.size - 1])))
        }
        for vector in vectors.consistency {
            let proof = try fixture.vault.consistencyProof(from: vector.old, to: vector.new)
            XCTAssertEqual(proof.map { Hex.encode($0) }, vector.proof, "consistency \(vector.old) to \(vector.new)")
            XCTAssertTrue(MerkleTree.verifyConsistency(oldSize: vector.old, newSize: vector.new, oldRoot: hex(vectors.roots[vector.old - 1]),
                                                       newRoot: hex(vectors.roots[vector.new - 1]), proof: vector.proof.map(hex)))
        }
    }

    func testEveryProofUpTo64VerifiesAndTamperingFails() throws {
        let entries = (0..<64).map { Data("entry \($0)".utf8) }
        try fixture.vault.appendLog(entries)
        let leaves = entries.map { MerkleTree.leafHash($0) }
        let wrongLeaf = MerkleTree.leafHash(Data("not in the log".utf8))
        var roots: [[UInt8]] = [MerkleTree.emptyRoot]
        for size in 1...64 {
            let root = try fixture.vault.treeHead(size: size).root
            XCTAssertEqual(root, MerkleTree.root(ofLeafHashes: Array(leaves.prefix(size))))
            roots.append(root)
            for index in 0..<size {
                let proof = try fixture.vault.inclusionProof(index: index, size: size)
                XCTAssertTrue(MerkleTree.verifyInclusion(leafHash: leaves[index], index: index, size: size, proof: proof, root: root))
                XCTAssertFalse(MerkleTree.verifyInclusion(leafHash: wrongLeaf, index: index, size: size, proof: proof, root: root))
                if size > 1 {
                    XCTAssertFalse(MerkleTree.verifyInclusion(leafHash: leaves[index], index: (index + 1) % size, size: size, proof: proof, root: root))
                }
                for j in proof.indices {
                    var bad = proof
                    bad[j][0] ^= 1
                    XCTAssertFalse(MerkleTree.verifyInclusion(leafHash: leaves[index], index: index, size: size, proof: bad, root: root))
                }
                XCTAssertFalse(MerkleTree.verifyInclusion(leafHash: leaves[index], index: index, size: size, proof: proof + [root], root: root))
            }
        }
        for new in 1...64 {
            for old in 1...new {
                let proof = try fixture.vault.consistencyProof(from: old, to: new)
                XCTAssertTrue(MerkleTree.verifyConsistency(oldSize: old, newSize: new, oldRoot: roots[old], newRoot: roots[new], proof: proof),
                              "\(old) to \(new)")
                guard old < new else { continue }
                for j in proof.indices {
                    var bad = proof
                    bad[j][31] ^= 1
                    XCTAssertFalse(MerkleTree.verifyConsistency(oldSize: old, newSize: new, oldRoot: roots[old], newRoot: roots[new], proof: bad))
                }
                XCTAssertFalse(MerkleTree.verifyConsistency(oldSize: old, newSize: new, oldRoot: roots[old], newRoot: roots[new], proof: proof.dropLast() + []))
                XCTAssertFalse(MerkleTree.verifyConsistency(oldSize: old, newSize: new, oldRoot: roots[new], newRoot: roots[old], proof: proof))
            }
        }
    }

    func testVerifyFromScratchDetectsATamperedLeafOrNode() throws {
        try fixture.vault.appendLog((0..<37).map { Data("entry \($0)".utf8) })
        _ = try fixture.vault.checkpoint(origin: "test.example/maracd")
        let verified = try fixture.vault.verifyLog()
        XCTAssertEqual(verified.head.size, 37)
        XCTAssertEqual(verified.checkpointsChecked, 1)
        XCTAssertEqual(verified.nodesChecked, 37 + 18 + 9 + 4 + 2 + 1)

        // The triggers refuse edits through SQL; an attacker with the file bypasses them.
        XCTAssertThrowsError(try fixture.sql("UPDATE log_entry SET entry = x'00' WHERE seq = 5"))
        XCTAssertThrowsError(try fixture.sql("DELETE FROM log_entry WHERE seq = 36"))
        try fixture.sql("DROP TRIGGER log_entry_no_update")
        try fixture.sql("UPDATE log_entry SET entry = ? WHERE seq = 5", [.blob(Array("entry 5!".utf8))])
        XCTAssertThrowsError(try fixture.vault.verifyLog()) {
            XCTAssertEqual($0 as? VaultError, .tampered(subject: "log entry 5 (its stored leaf hash differs)", part: .log))
        }
        try fixture.sql("UPDATE log_entry SET entry = ? WHERE seq = 5", [.blob(Array("entry 5".utf8))])
        try fixture.sql("UPDATE log_node SET hash = ? WHERE level = 2 AND idx = 3", [.blob([UInt8](repeating: 7, count: 32))])
        XCTAssertThrowsError(try fixture.vault.verifyLog()) {
            XCTAssertEqual($0 as? VaultError, .tampered(subject: "log node 2/3", part: .log))
        }
    }

    func testCheckpointVerifiesWithOpenSSLAndParses() throws {
        try fixture.vault.appendLog(inputs)
        let checkpoint = try fixture.vault.checkpoint(origin: "marac.example.org/maracd")
        XCTAssertEqual(checkpoint.body, "marac.example.org/maracd\n8\n\(Data(hex(vectors.roots[7])).base64EncodedString())\n")
        XCTAssertTrue(checkpoint.text.hasPrefix(checkpoint.body + "\n\u{2014} marac.example.org/maracd "))
        let parsed = try Checkpoint.parse(checkpoint.text)
        XCTAssertEqual(parsed, checkpoint)
        try parsed.verify(with: try fixture.vault.signingCertificate)

        let tool = try OpenSSLTool()
        defer { tool.cleanUp() }
        try tool.write("body.txt", Array(checkpoint.body.utf8))
        try tool.write("sig.der", checkpoint.signature)
        try tool.write("cert.pem", Array(try fixture.vault.signingCertificate.pemRepresentation.utf8))
        try tool.succeed(["x509", "-in", "cert.pem", "-pubkey", "-noout", "-out", "pub.pem"])
        let ok = try tool.succeed(["dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig.der", "body.txt"])
        XCTAssertEqual(String(decoding: ok.stdout, as: UTF8.self), "Verified OK\n")
        try tool.write("body.txt", Array(checkpoint.body.replacingOccurrences(of: "\n8\n", with: "\n9\n").utf8))
        XCTAssertNotEqual(try tool.run(["dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig.der", "body.txt"]).status, 0)

        let forged = checkpoint.text.replacingOccurrences(of: "\n8\n", with: "\n9\n")
        XCTAssertThrowsError(try Checkpoint.parse(forged).verify(with: try fixture.vault.signingCertificate)) {
            XCTAssertEqual($0 as? Checkpoint.Failure, .badSignature)
        }
        for bad in ["", "a\n1\n", checkpoint.text.replacingOccurrences(of: "\n8\n", with: "\n08\n"),
                    checkpoint.text.replacingOccurrences(of: "\u{2014}", with: "-")] {
            XCTAssertThrowsError(try Checkpoint.parse(bad))
        }
        let other = try Certificate.selfSigned(commonName: "other", key: PrivateKey.generateP256())
        XCTAssertThrowsError(try parsed.verify(with: other)) { XCTAssertEqual($0 as? Checkpoint.Failure, .unknownKey) }
    }
}
