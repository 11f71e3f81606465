import Foundation
import XCTest
@testable import Vault

final class KeyAndCertificateTests: XCTestCase {
    var tool: OpenSSLTool!
    override func setUpWithError() throws { tool = try OpenSSLTool() }
    override func tearDown() { tool.cleanUp() }

    func testP256KeyRoundTripsThroughPEMAndDER() throws {
        let key = try PrivateKey.generateP256()
        XCTAssertEqual(key.algorithm, .p256)
        let fromPEM = try PrivateKey(pemRepresentation: key.pkcs8PEM())
        let fromDER = try PrivateKey(derRepresentation: key.pkcs8DER())
        XCTAssertEqual(fromPEM.publicKey, key.publicKey)
        XCTAssertEqual(fromDER.publicKey, key.publicKey)
        XCTAssertEqual(try PublicKey(derRepresentation: key.publicKey.derRepresentation), key.publicKey)
        XCTAssertEqual(try PublicKey(pemRepresentation: Array(key.publicKey.pemRepresentation.utf8)), key.publicKey)
        XCTAssertNotEqual(try PrivateKey.generateP256().publicKey, key.publicKey)
    }

    func testMalformedKeysAreDecodingFailures() throws {
        let der = try PrivateKey.generateP256().pkcs8DER().withUnsafeBytes { Array($0) }
        for bad in [der + [0], Array(der.dropLast()), [UInt8]()] {
            XCTAssertThrowsError(try PrivateKey(derRepresentation: bad)) {
                guard case CryptoError.decodingFailure = $0 else { return XCTFail("\($0)") }
            }
        }
        let spki = try PrivateKey.generateP256().publicKey.derRepresentation
        XCTAssertThrowsError(try PublicKey(derRepresentation: spki + [0])) {
            XCTAssertEqual($0 as? CryptoError, .decodingFailure(structure: "SubjectPublicKeyInfo (trailing data)", openSSL: []))
        }
        // An encrypted PEM key fails to load instead of prompting for a passphrase.
        try tool.succeed(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes256", "-pass", "pass:x", "-out", "enc.key"])
        XCTAssertThrowsError(try PrivateKey(contentsOfFile: tool.path("enc.key"))) {
            guard case CryptoError.decodingFailure(structure: "PEM private key", _) = $0 else { return XCTFail("\($0)") }
        }
    }

    func testECDSASignaturesInteroperateWithOpenSSLDgst() throws {
        let key = try PrivateKey.generateP256()
        let message = Array("checkpoint body\n42\n".utf8)
        let signature = try key.signature(for: message)
        XCTAssertTrue(key.publicKey.isValidSignature(signature, for: message))
        XCTAssertFalse(key.publicKey.isValidSignature(signature, for: message + [0]))
        XCTAssertFalse(try PrivateKey.generateP256().publicKey.isValidSignature(signature, for: message))

        // Ours verifies with `openssl dgst -sha256 -verify`...
        try tool.write("msg", message)
        try tool.write("sig", signature)
        try tool.write("pub.pem", Array(key.publicKey.pemRepresentation.utf8))
        XCTAssertEqual(String(decoding: try tool.succeed(["dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig", "msg"]).stdout, as: UTF8.self),
                       "Verified OK\n")
        // ...and a signature openssl makes with a key we exported verifies here.
        try tool.write("key.pem", try key.pkcs8PEM())
        try tool.succeed(["dgst", "-sha256", "-sign", "key.pem", "-out", "sig2", "msg"])
        XCTAssertTrue(key.publicKey.isValidSignature(try tool.read("sig2"), for: message))
    }

    func testOnlyP256KeysSign() throws {
        let rsa = try PrivateKey.generateRSA(bits: 2048)
        XCTAssertEqual(rsa.algorithm, .rsa(bits: 2048))
        XCTAssertThrowsError(try rsa.signature(for: [1, 2, 3] as [UInt8])) {
            XCTAssertEqual($0 as? CryptoError, .policyViolation("ECDSA signing needs EC P-256, not RSA 2048"))
        }
        XCTAssertThrowsError(try PrivateKey.generateRSA(bits: 1024)) {
            XCTAssertEqual($0 as? CryptoError, .policyViolation("RSA keys below 2048 bits"))
        }
    }

    /// A signing certificate is P-256 only; a recipient certificate or request takes RSA
    /// 2048+ or P-256.
    func testCertificateUsagesTakeOnlyTheirKeys() throws {
        let rsa = try PrivateKey.generateRSA(bits: 2048)
        XCTAssertThrowsError(try Certificate.selfSigned(commonName: "x", key: rsa, usage: .signing)) {
            XCTAssertEqual($0 as? CryptoError, .policyViolation("a signing certificate needs EC P-256, not RSA 2048"))
        }
        XCTAssertEqual(try Certificate.selfSigned(commonName: "x", key: rsa, usage: .recipient).keyAlgorithm, .rsa(bits: 2048))
        XCTAssertEqual(try Certificate.selfSigned(commonName: "x", key: PrivateKey.generateP256(), usage: .recipient).keyAlgorithm, .p256)
        XCTAssertTrue(try CertificateRequest(commonName: "x", key: rsa).pemRepresentation.hasPrefix("-----BEGIN CERTIFICATE REQUEST-----\n"))
    }

    func testRSAOAEPRoundTripAndWrongLabel() throws {
        let rsa = try PrivateKey.generateRSA(bits: 2048)
        let dek = try SecureRandom.bytes(32)
        let wrapped = try rsa.publicKey.encryptOAEPSHA256(dek, label: [UInt8]())
        XCTAssertTrue(constantTimeEquals(try rsa.decryptOAEPSHA256(wrapped, label: [UInt8]()), dek))
        XCTAssertThrowsError(try rsa.decryptOAEPSHA256(wrapped, label: [1] as [UInt8])) {
            guard case CryptoError.decryptionFailure = $0 else { return XCTFail("\($0)") }
        }
    }

    func testSelfSignedCertificateFieldsMatchOpenSSL() throws {
        let key = try PrivateKey.generateP256()
        let start = Date(timeIntervalSince1970: 1_790_000_000)
        let certificate = try Certificate.selfSigned(commonName: "maracd signing", organization: "Example Marac", key: key,
                                                     validityDays: 30, notBefore: start)
        XCTAssertEqual(certificate.subject, "O=Example Marac,CN=maracd signing")
        XCTAssertEqual(certificate.issuer, certificate.subject)
        XCTAssertEqual(certificate.notValidBefore, start)
        XCTAssertEqual(certificate.notValidAfter, start.addingTimeInterval(30 * 86_400))
        XCTAssertTrue(certificate.isValid(at: start.addingTimeInterval(86_400)))
        XCTAssertFalse(certificate.isValid(at: start.addingTimeInterval(31 * 86_400)))
        XCTAssertEqual(certificate.keyAlgorithm, .p256)
        XCTAssertEqual(certificate.publicKey, key.publicKey)
        XCTAssertTrue(certificate.matches(key))
        XCTAssertFalse(certificate.matches(try PrivateKey.generateP256()))
        XCTAssertThrowsError(try CMS.sign([1] as [UInt8], signer: certificate, key: PrivateKey.generateP256())) {
            XCTAssertEqual($0 as? CryptoError, .policyViolation("the key does not match the signer certificate"))
        }
        XCTAssertEqual(certificate.serialNumberHex.count, 32)

        try tool.write("cert.der", certificate.derRepresentation)
        let fingerprint = String(decoding: try tool.succeed(["x509", "-inform", "DER", "-in", "cert.der", "-noout", "-fingerprint", "-sha256"]).stdout,
                                 as: UTF8.self)
        XCTAssertEqual(fingerprint, "sha256 Fingerprint=\(certificate.fingerprintText)\n")
        let text = String(decoding: try tool.succeed(["x509", "-inform", "DER", "-in", "cert.der", "-noout", "-text"]).stdout, as: UTF8.self)
        XCTAssertTrue(text.contains("CA:FALSE"))
        XCTAssertTrue(text.contains("Digital Signature, Non Repudiation"))
        XCTAssertTrue(text.contains("ecdsa-with-SHA256"))
        XCTAssertTrue(text.contains("NIST CURVE: P-256"))
        // PEM and DER decode to the same certificate.
        XCTAssertEqual(try Certificate(pemRepresentation: Array(certificate.pemRepresentation.utf8)), certificate)
        XCTAssertEqual(try Certificate(contentsOfFile: tool.path("cert.der")), certificate)
    }

    func testCertificateMadeByOpenSSLIsRead() throws {
        try tool.makeCertificate("police", kind: "rsa")
        let certificate = try Certificate(contentsOfFile: tool.path("police.pem"))
        XCTAssertEqual(certificate.subject, "O=Example Marac,CN=police test agency")
        XCTAssertEqual(certificate.keyAlgorithm, .rsa(bits: 2048))
        let end = String(decoding: try tool.succeed(["x509", "-in", "police.pem", "-noout", "-enddate", "-dateopt", "iso_8601"]).stdout, as: UTF8.self)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate, .withTime, .withSpaceBetweenDateAndTime, .withColonSeparatorInTime]
        let expected = end.replacingOccurrences(of: "notAfter=", with: "").replacingOccurrences(of: "Z\n", with: "")
        XCTAssertEqual(formatter.string(from: certificate.notValidAfter), expected)
        XCTAssertThrowsError(try Certificate(derRepresentation: certificate.derRepresentation + [0]))
        XCTAssertThrowsError(try Certificate(pemRepresentation: Array("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".utf8)))
        XCTAssertThrowsError(try Certificate.selfSigned(commonName: "x", key: PrivateKey.generateRSA(bits: 2048))) {
            XCTAssertEqual($0 as? CryptoError, .policyViolation("a signing certificate needs EC P-256, not RSA 2048"))
        }
    }
}
