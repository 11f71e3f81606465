import Foundation
import XCTest
@testable import Vault

/// CMS in both directions with the stock `openssl cms` command: what we emit opens and
/// verifies there, and what it emits (with the product's algorithms) opens here.
final class CMSInteropTests: XCTestCase {
    var tool: OpenSSLTool!
    let content = Array("{\"case\":\"M-2026-0001\",\"marker\":\"interop-canary\"}".utf8) + [UInt8](repeating: 0x5a, count: 1000)

    override func setUpWithError() throws { tool = try OpenSSLTool() }
    override func tearDown() { tool.cleanUp() }

    /// Our signing identity, written out as PEM files for the CLI.
    func ourSigner() throws -> (PrivateKey, Certificate) {
        let key = try PrivateKey.generateP256()
        let certificate = try Certificate.selfSigned(commonName: "maracd test", organization: "Example Marac", key: key)
        try tool.write("signer.pem", Array(certificate.pemRepresentation.utf8))
        return (key, certificate)
    }

    // MARK: - SignedData

    func testOurSignedDataVerifiesWithOpenSSL() throws {
        let (key, certificate) = try ourSigner()
        try tool.write("signed.der", try CMS.sign(content, signer: certificate, key: key))
        try tool.succeed(["cms", "-verify", "-binary", "-inform", "DER", "-in", "signed.der", "-CAfile", "signer.pem", "-out", "out.bin"])
        XCTAssertEqual(try tool.read("out.bin"), content)
        let printed = try tool.succeed(["cms", "-cmsout", "-print", "-inform", "DER", "-in", "signed.der"])
        let text = String(decoding: printed.stdout, as: UTF8.self)
        XCTAssertTrue(text.contains("ecdsa-with-SHA256"), "signature algorithm is ECDSA with SHA-256")
        XCTAssertTrue(text.contains("sha256"), "digest algorithm is SHA-256")
        // The signed attributes the format names (docs/vault-format.md), and no S/MIME
        // capabilities list: a receipt advertises no ciphers to anyone.
        for attribute in ["contentType", "signingTime", "messageDigest"] {
            XCTAssertTrue(text.contains("object: \(attribute)"), attribute)
        }
        XCTAssertFalse(text.contains("SMIMECapabilities") || text.contains("S/MIME Capabilities"), text)

        // Detached: the CLI verifies against the content given separately.
        try tool.write("detached.der", try CMS.sign(content, signer: certificate, key: key, detached: true))
        try tool.write("content.bin", content)
        try tool.succeed(["cms", "-verify", "-binary", "-inform", "DER", "-in", "detached.der", "-content", "content.bin",
                          "-CAfile", "signer.pem", "-out", "/dev/null"])
        // And it refuses altered content.
        try tool.write("content.bin", content + [0])
        XCTAssertNotEqual(try tool.run(["cms", "-verify", "-binary", "-inform", "DER", "-in", "detached.der", "-content", "content.bin",
                                        "-CAfile", "signer.pem", "-out", "/dev/null"]).status, 0)
    }

    func testOpenSSLSignedDataVerifiesWithUs() throws {
        try tool.makeCertificate("peer", kind: "ec")
        try tool.write("content.bin", content)
        try tool.succeed(["cms", "-sign", "-binary", "-nodetach", "-md", "sha256", "-in", "content.bin", "-signer", "peer.pem",
                          "-inkey", "peer.key", "-outform", "DER", "-out", "signed.der"])
        let trusted = try Certificate(contentsOfFile: tool.path("peer.pem"))
        let message = try tool.read("signed.der")
        let verified = try CMS.verify(message, trusting: [trusted])
        XCTAssertEqual(verified.content, content)
        XCTAssertEqual(verified.signer, trusted)

        // Signed by someone we do not trust: refused, no content.
        let (_, stranger) = try ourSigner()
        XCTAssertThrowsError(try CMS.verify(message, trusting: [stranger])) { error in
            guard case CryptoError.signatureVerificationFailure = error else { return XCTFail("\(error)") }
        }
        // Every byte of the encapsulated content, flipped: refused.
        let start = try XCTUnwrap(message.firstRange(of: content)).lowerBound
        for offset in stride(from: start, to: start + content.count, by: 37) {
            var tampered = message
            tampered[offset] ^= 0x01
            XCTAssertThrowsError(try CMS.verify(tampered, trusting: [trusted]), "flip at \(offset)")
        }
    }

    // MARK: - AuthEnvelopedData

    func testOurEnvelopeDecryptsWithOpenSSLForRSAAndECRecipients() throws {
        try tool.makeCertificate("police", kind: "rsa")
        try tool.makeCertificate("health", kind: "ec")
        let recipients = try ["police", "health"].map { try Certificate(contentsOfFile: tool.path("\($0).pem")) }
        try tool.write("pack.der", try CMS.encrypt(content, to: recipients))

        for agency in ["police", "health"] {
            try tool.succeed(["cms", "-decrypt", "-binary", "-inform", "DER", "-in", "pack.der", "-recip", "\(agency).pem",
                              "-inkey", "\(agency).key", "-out", "\(agency).out"])
            XCTAssertEqual(try tool.read("\(agency).out"), content, agency)
        }
        let printed = String(decoding: try tool.succeed(["cms", "-cmsout", "-print", "-inform", "DER", "-in", "pack.der"]).stdout, as: UTF8.self)
        XCTAssertTrue(printed.contains("id-smime-ct-authEnvelopedData"))
        XCTAssertTrue(printed.contains("aes-256-gcm"))
        XCTAssertTrue(printed.contains("rsaesOaep"), "RSA recipients get OAEP")
        XCTAssertFalse(printed.contains("rsaEncryption"), "never PKCS#1 v1.5 key transport")
        XCTAssertTrue(printed.contains("dhSinglePass-stdDH-sha256kdf-scheme"), "EC recipients get a SHA-256 KDF")
        XCTAssertFalse(printed.contains("sha1kdf"))
        XCTAssertTrue(printed.contains("id-aes256-wrap"))
    }

    func testOpenSSLEnvelopeDecryptsWithUs() throws {
        try tool.makeCertificate("police", kind: "rsa")
        try tool.makeCertificate("health", kind: "ec")
        try tool.write("content.bin", content)
        try tool.succeed(["cms", "-encrypt", "-binary", "-aes-256-gcm", "-in", "content.bin", "-outform", "DER", "-out", "pack.der",
                          "-recip", "police.pem", "-keyopt", "rsa_padding_mode:oaep", "-keyopt", "rsa_oaep_md:sha256",
                          "-keyopt", "rsa_mgf1_md:sha256",
                          "-recip", "health.pem", "-keyopt", "ecdh_kdf_md:sha256"])
        let message = try tool.read("pack.der")
        for agency in ["police", "health"] {
            let key = try PrivateKey(contentsOfFile: tool.path("\(agency).key"))
            let certificate = try Certificate(contentsOfFile: tool.path("\(agency).pem"))
            let plain = try CMS.decrypt(message, key: key, certificate: certificate)
            XCTAssertTrue(constantTimeEquals(plain, content), agency)
        }
    }

    /// A flipped byte anywhere never yields wrong plaintext; in the encrypted content or the
    /// tag it always yields none.
    func testFlippedByteReleasesNothing() throws {
        try tool.makeCertificate("health", kind: "ec")
        let key = try PrivateKey(contentsOfFile: tool.path("health.key"))
        let certificate = try Certificate(contentsOfFile: tool.path("health.pem"))
        let message = try CMS.encrypt(content, to: [certificate])
        // The DER ends with the mac: OCTET STRING of 16 bytes, right after the ciphertext.
        XCTAssertGreaterThan(message.count, content.count + 18, "the ciphertext is inside the message")
        XCTAssertEqual(Array(message[message.count - 18..<message.count - 16]), [0x04, 0x10])
        let authenticated = (message.count - 18 - content.count)..<message.count
        var refused = 0
        for offset in message.indices {
            var tampered = message
            tampered[offset] ^= 0x80
            do {
                let plain = try CMS.decrypt(tampered, key: key, certificate: certificate)
                XCTAssertFalse(authenticated.contains(offset), "flip at \(offset) inside the ciphertext or tag was accepted")
                XCTAssertTrue(constantTimeEquals(plain, content), "flip at \(offset) released different plaintext")
            } catch {
                refused += 1
            }
        }
        XCTAssertGreaterThanOrEqual(refused, authenticated.count)

        // The stock CLI also rejects the tampered ciphertext (it exits non-zero; it may
        // already have written plaintext, the caveat our decrypt exists to avoid).
        var tampered = message
        tampered[authenticated.lowerBound + 10] ^= 0x01
        try tool.write("tampered.der", tampered)
        XCTAssertNotEqual(try tool.run(["cms", "-decrypt", "-binary", "-inform", "DER", "-in", "tampered.der", "-recip", "health.pem",
                                        "-inkey", "health.key", "-out", "tampered.out"]).status, 0)
    }

    // MARK: - Decryption policy: weak constructions refused before any decryption

    func testWeakEnvelopesAreRefused() throws {
        try tool.makeCertificate("police", kind: "rsa")
        try tool.makeCertificate("health", kind: "ec")
        try tool.write("content.bin", content)
        let police = (try PrivateKey(contentsOfFile: tool.path("police.key")), try Certificate(contentsOfFile: tool.path("police.pem")))
        let health = (try PrivateKey(contentsOfFile: tool.path("health.key")), try Certificate(contentsOfFile: tool.path("health.pem")))
        let cases: [(String, [String], (PrivateKey, Certificate), CryptoError)] = [
            ("CBC EnvelopedData", ["-aes-256-cbc", "-recip", "police.pem", "-keyopt", "rsa_padding_mode:oaep"], police,
             .policyViolation("not AuthEnvelopedData: unauthenticated encryption is refused")),
            ("PKCS#1 v1.5", ["-aes-256-gcm", "-recip", "police.pem"], police,
             .policyViolation("RSA key transport must be OAEP, not PKCS#1 v1.5")),
            ("OAEP SHA-1", ["-aes-256-gcm", "-recip", "police.pem", "-keyopt", "rsa_padding_mode:oaep"], police,
             .policyViolation("RSA-OAEP must use SHA-256 for the hash and MGF1")),
            ("ECDH SHA-1 KDF", ["-aes-256-gcm", "-recip", "health.pem"], health,
             .policyViolation("ECDH key agreement must use a SHA-2 KDF")),
        ]
        for (label, options, recipient, expected) in cases {
            try tool.succeed(["cms", "-encrypt", "-binary", "-in", "content.bin", "-outform", "DER", "-out", "weak.der"] + options)
            XCTAssertThrowsError(try CMS.decrypt(try tool.read("weak.der"), key: recipient.0, certificate: recipient.1), label) {
                XCTAssertEqual($0 as? CryptoError, expected, label)
            }
        }
        // A message for someone else: no matching recipient.
        try tool.succeed(["cms", "-encrypt", "-binary", "-aes-256-gcm", "-in", "content.bin", "-outform", "DER", "-out", "other.der",
                          "-recip", "health.pem", "-keyopt", "ecdh_kdf_md:sha256"])
        XCTAssertThrowsError(try CMS.decrypt(try tool.read("other.der"), key: police.0, certificate: police.1)) {
            XCTAssertEqual($0 as? CryptoError, .noMatchingRecipient)
        }
    }
}
