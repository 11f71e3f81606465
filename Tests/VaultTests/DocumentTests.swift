import Foundation
import XCTest
@testable import Vault

/// Storing, listing, reading through the policy, and crypto-shredding documents.
final class DocumentTests: XCTestCase {
    var fixture: VaultFixture!

    override func setUpWithError() throws { fixture = try VaultFixture() }
    override func tearDown() { fixture.cleanUp() }

    func testPutReadAndListByMetadata() throws {
        let a = try fixture.put("alpha", kind: "referral", metadata: ["case": "M-2026-0001"])
        let b = try fixture.put("beta", kind: "research", metadata: ["case": "M-2026-0001"])
        try fixture.put("gamma", agency: "health", kind: "research", metadata: ["case": "M-2026-0002"])
        XCTAssertTrue(a.hasPrefix("doc_") && a.count == 36)
        XCTAssertEqual(try fixture.read(a), "alpha")
        XCTAssertEqual(try fixture.vault.list(metadata: ["case": "M-2026-0001"]).map(\.id), [a, b])
        XCTAssertEqual(try fixture.vault.list(agency: "police", kind: "research").map(\.id), [b])
        XCTAssertEqual(try fixture.vault.record(b).metadata, ["case": "M-2026-0001"])
        XCTAssertEqual(try fixture.vault.list().count, 3)
    }

    func testBatchPutIsAllOrNothing() throws {
        let good = NewDocument(content: SecretBytes(copying: [1, 2, 3]), agency: "police", kind: "referral", logEntry: Data("x".utf8))
        let bad = NewDocument(content: SecretBytes(copying: [4]), agency: "Police!", kind: "referral")
        XCTAssertThrowsError(try fixture.vault.put([good, bad])) { XCTAssertEqual($0 as? VaultError, .invalidLabel(field: "agency")) }
        XCTAssertEqual(try fixture.vault.list().count, 0)
        XCTAssertEqual(try fixture.vault.treeHead().size, 0)
        XCTAssertEqual(try fixture.vault.put([good, good]).count, 2)
        XCTAssertEqual(try fixture.vault.treeHead().size, 2)
    }

    func testReadsAreDecidedByThePolicyAndLoggedEitherWay() throws {
        let id = try fixture.put("secret text")
        let start = try fixture.vault.treeHead().size
        XCTAssertEqual(try fixture.read(id), "secret text")
        XCTAssertEqual(String(decoding: try fixture.vault.logEntry(start), as: UTF8.self),
                       #"{"op":"read","document":"\#(id)","actor":"tester"}"#)
        try fixture.reopenDenying()
        XCTAssertThrowsError(try fixture.read(id)) {
            XCTAssertEqual($0 as? VaultError, .accessDenied(document: id, reason: "no access policy installed"))
        }
        XCTAssertEqual(try fixture.vault.treeHead().size, start + 2)
        XCTAssertTrue(String(decoding: try fixture.vault.logEntry(start + 1), as: UTF8.self).contains("deny-all"))
    }

    func testErasureShredsKeyAndCiphertext() throws {
        let id = try fixture.put("to be erased")
        let keep = try fixture.put("kept")
        let sealed = try fixture.blob("SELECT sealed FROM payload WHERE document = (SELECT seq FROM document WHERE id = ?)", [.text(id)])
        let wrapped = try fixture.blob("SELECT wrapped FROM data_key WHERE document = (SELECT seq FROM document WHERE id = ?)", [.text(id)])
        try fixture.vault.erase(id, logEntry: Data(#"{"op":"erase"}"#.utf8))
        XCTAssertThrowsError(try fixture.read(id)) { XCTAssertEqual($0 as? VaultError, .erased(id)) }
        XCTAssertNotNil(try fixture.vault.record(id).erasedAt)
        XCTAssertThrowsError(try fixture.vault.erase(id, logEntry: Data())) { XCTAssertEqual($0 as? VaultError, .erased(id)) }
        XCTAssertEqual(try fixture.read(keep), "kept")
        // No fragment of the ciphertext (past its random nonce) or of the wrapped key remains on disk.
        for (name, bytes) in try fixture.filesOnDisk() {
            for fragment in stride(from: 0, to: sealed.count - 12, by: 12).map({ Array(sealed[$0..<Swift.min($0 + 12, sealed.count)]) }) {
                XCTAssertFalse(bytes.contains(bytes: fragment), "ciphertext fragment left in \(name)")
            }
            for fragment in stride(from: 0, to: wrapped.count - 12, by: 12).map({ Array(wrapped[$0..<$0 + 12]) }) {
                XCTAssertFalse(bytes.contains(bytes: fragment), "wrapped-key fragment left in \(name)")
            }
        }
    }

    func testInvalidLabelsAreRefused() throws {
        for (agency, kind, key) in [("", "k", "m"), ("UPPER", "k", "m"), ("a", "has space", "m"), ("a", "k", "bad/key"),
                                    (String(repeating: "a", count: 65), "k", "m")] {
            XCTAssertThrowsError(try fixture.put("x", agency: agency, kind: kind, metadata: [key: "v"]))
        }
        XCTAssertEqual(try fixture.vault.list().count, 0)
    }
}

extension VaultFixture {
    /// Reopens with the default deny-all policy.
    func reopenDenying() throws {
        vault = nil
        vault = try Vault.open(stateDirectory: directory)
    }
}
