import Foundation
import XCTest
@testable import Vault

/// The crypto layer against Project Wycheproof's published vectors.
final class WycheproofTests: XCTestCase {

    // MARK: - AES-GCM

    struct AEADGroup: Decodable {
        let ivSize: Int, keySize: Int, tagSize: Int
        let tests: [Test]
        struct Test: Decodable { let tcId: Int; let key, iv, aad, msg, ct, tag: String; let result: WycheproofResult }
    }

    func testAESGCM() throws {
        let file = try WycheproofFile<AEADGroup>.load("aes_gcm_test.json")
        var tally = WycheproofTally(file: "aes_gcm_test.json")
        for group in file.testGroups {
            guard group.ivSize == 96, group.tagSize == 128 else { tally.outOfScope += group.tests.count; continue }
            for test in group.tests {
                let gcm = try AESGCM(key: SecretBytes(copying: [UInt8](hex: test.key)))
                let nonce = [UInt8](hex: test.iv), aad = [UInt8](hex: test.aad), msg = [UInt8](hex: test.msg)
                let ct = [UInt8](hex: test.ct), tag = [UInt8](hex: test.tag)
                // Open: the box is nonce ‖ ciphertext ‖ tag, as our format stores it.
                let opened = try? gcm.open(nonce + ct + tag, authenticating: aad)
                var accepted = opened == msg
                if test.result == .valid {
                    // Seal with the vector's nonce through the internal base operation.
                    var sealed = [UInt8](repeating: 0, count: msg.count), sealedTag = [UInt8](repeating: 0, count: 16)
                    try nonce.withUnsafeBytes { n in try msg.withUnsafeBytes { m in try aad.withUnsafeBytes { a in
                        try sealed.withUnsafeMutableBytes { c in try sealedTag.withUnsafeMutableBytes { t in
                            try gcm.encrypt(nonce: n, plaintext: m, aad: a, ciphertext: c, tag: t)
                        } }
                    } } }
                    accepted = accepted && sealed == ct && sealedTag == tag
                }
                tally.record(id: test.tcId, expected: test.result, accepted: accepted)
            }
        }
        tally.finish(total: file.numberOfTests)
    }

    // MARK: - HMAC-SHA256

    struct MACGroup: Decodable {
        let keySize: Int, tagSize: Int
        let tests: [Test]
        struct Test: Decodable { let tcId: Int; let key, msg, tag: String; let result: WycheproofResult }
    }

    func testHMACSHA256() throws {
        let file = try WycheproofFile<MACGroup>.load("hmac_sha256_test.json")
        var tally = WycheproofTally(file: "hmac_sha256_test.json")
        for group in file.testGroups {
            for test in group.tests {
                let mac = try HMACSHA256(key: SecretBytes(copying: [UInt8](hex: test.key)))
                let full = mac.authenticationCode(for: [UInt8](hex: test.msg))
                let accepted = constantTimeEquals(Array(full.prefix(group.tagSize / 8)), [UInt8](hex: test.tag))
                if group.tagSize == 256 {
                    XCTAssertEqual(mac.isValidAuthenticationCode([UInt8](hex: test.tag), for: [UInt8](hex: test.msg)), accepted)
                }
                tally.record(id: test.tcId, expected: test.result, accepted: accepted)
            }
        }
        tally.finish(total: file.numberOfTests)
    }

    // MARK: - HKDF-SHA256

    struct HKDFGroup: Decodable {
        let tests: [Test]
        struct Test: Decodable { let tcId: Int; let ikm, salt, info: String; let size: Int; let okm: String; let result: WycheproofResult }
    }

    func testHKDFSHA256() throws {
        let file = try WycheproofFile<HKDFGroup>.load("hkdf_sha256_test.json")
        var tally = WycheproofTally(file: "hkdf_sha256_test.json")
        for test in file.testGroups.flatMap(\.tests) {
            let okm = try? HKDF.deriveKey(inputKeyMaterial: SecretBytes(copying: [UInt8](hex: test.ikm)),
                                          salt: [UInt8](hex: test.salt), info: [UInt8](hex: test.info),
                                          outputByteCount: test.size)
            let accepted = okm.map { constantTimeEquals($0, [UInt8](hex: test.okm)) } ?? false
            tally.record(id: test.tcId, expected: test.result, accepted: accepted)
        }
        tally.finish(total: file.numberOfTests)
    }

    // MARK: - ECDSA P-256 / SHA-256

    struct ECDSAGroup: Decodable {
        let publicKeyDer: String
        let tests: [Test]
        struct Test: Decodable { let tcId: Int; let msg, sig: String; let result: WycheproofResult; let flags: [String] }
    }

    func testECDSAP256SHA256() throws {
        let file = try WycheproofFile<ECDSAGroup>.load("ecdsa_secp256r1_sha256_test.json")
        var tally = WycheproofTally(file: "ecdsa_secp256r1_sha256_test.json")
        for group in file.testGroups {
            let key = try PublicKey(derRepresentation: [UInt8](hex: group.publicKeyDer))
            XCTAssertEqual(key.algorithm, .p256)
            for test in group.tests {
                let accepted = key.isValidSignature([UInt8](hex: test.sig), for: [UInt8](hex: test.msg))
                tally.record(id: test.tcId, expected: test.result, accepted: accepted, note: test.flags.joined(separator: ","))
            }
        }
        tally.finish(total: file.numberOfTests)
    }

    // MARK: - ECDH P-256

    struct ECDHGroup: Decodable {
        let curve: String, encoding: String
        let tests: [Test]
        struct Test: Decodable { let tcId: Int; let `public`, `private`, shared: String; let result: WycheproofResult; let flags: [String] }
    }

    func testECDHP256() throws {
        let file = try WycheproofFile<ECDHGroup>.load("ecdh_secp256r1_test.json")
        var tally = WycheproofTally(file: "ecdh_secp256r1_test.json")
        var invalidPointsRejected = 0
        for group in file.testGroups {
            XCTAssertEqual(group.encoding, "asn")
            for test in group.tests {
                var shared: SecretBytes?
                if let peer = try? PublicKey(derRepresentation: [UInt8](hex: test.public)) {
                    let mine = try PrivateKey.p256(rawScalar: [UInt8](hex: test.private))
                    shared = try? mine.sharedSecret(with: peer)
                }
                let accepted = shared.map { constantTimeEquals($0, [UInt8](hex: test.shared)) } ?? false
                if test.result == .acceptable, let shared {
                    // Either verdict is allowed, but a secret we do compute must be the right one.
                    XCTAssertTrue(constantTimeEquals(shared, [UInt8](hex: test.shared)), "tc \(test.tcId)")
                }
                if test.result == .invalid, test.flags.contains("InvalidPublic") || test.flags.contains("InvalidCurveAttack"), !accepted {
                    invalidPointsRejected += 1
                }
                tally.record(id: test.tcId, expected: test.result, accepted: accepted, note: test.flags.joined(separator: ","))
            }
        }
        tally.finish(total: file.numberOfTests)
        print("Wycheproof ecdh_secp256r1_test.json: \(invalidPointsRejected) invalid-point or invalid-curve keys rejected")
    }

    // MARK: - RSA-OAEP 2048 SHA-256

    struct OAEPGroup: Decodable {
        let privateKeyPkcs8: String
        let tests: [Test]
        struct Test: Decodable { let tcId: Int; let msg, ct, label: String; let result: WycheproofResult }
    }

    func testRSAOAEP2048SHA256() throws {
        let file = try WycheproofFile<OAEPGroup>.load("rsa_oaep_2048_sha256_mgf1sha256_test.json")
        var tally = WycheproofTally(file: "rsa_oaep_2048_sha256_mgf1sha256_test.json")
        for group in file.testGroups {
            let key = try PrivateKey(derRepresentation: [UInt8](hex: group.privateKeyPkcs8))
            XCTAssertEqual(key.algorithm, .rsa(bits: 2048))
            for test in group.tests {
                let plain = try? key.decryptOAEPSHA256([UInt8](hex: test.ct), label: [UInt8](hex: test.label))
                let accepted = plain.map { constantTimeEquals($0, [UInt8](hex: test.msg)) } ?? false
                tally.record(id: test.tcId, expected: test.result, accepted: accepted)
            }
        }
        tally.finish(total: file.numberOfTests)
    }
}
