import Foundation
import XCTest
@testable import Vault

/// The SignedData the daemon writes itself (`SignedDataEncoder`) has every field
/// `openssl cms -sign` would give it, and verifies with the stock CLI in every DER length
/// class and both time encodings.
final class SignedDataEncoderTests: XCTestCase {
    var tool: OpenSSLTool!
    let content = Array("{\"document\":\"D-0001\",\"sha256\":\"00\"}".utf8) + [UInt8](repeating: 0x41, count: 300)

    override func setUpWithError() throws { tool = try OpenSSLTool() }
    override func tearDown() { tool.cleanUp() }

    /// An EC P-256 key and certificate made by the CLI, loaded here too.
    func signer() throws -> (PrivateKey, Certificate) {
        try tool.makeCertificate("signer", kind: "ec")
        return (try PrivateKey(contentsOfFile: tool.path("signer.key")), try Certificate(contentsOfFile: tool.path("signer.pem")))
    }

    /// `openssl cms -cmsout -print`, with the two values that differ between any two
    /// signatures (the signing time's value and the ECDSA signature's bytes) blanked.
    func printed(_ name: String) throws -> String {
        let text = String(decoding: try tool.succeed(["cms", "-cmsout", "-print", "-inform", "DER", "-in", name]).stdout, as: UTF8.self)
        var lines: [String] = [], inSignature = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed == "signature:" && line.hasPrefix("        signature") { inSignature = true; lines.append(String(line)); continue }
            if inSignature {
                if trimmed.hasPrefix("unsignedAttrs:") { inSignature = false } else { continue }
            }
            lines.append(trimmed.hasPrefix("UTCTIME:") ? "UTCTIME:<time>" : String(line))
        }
        return lines.joined(separator: "\n")
    }

    func testEveryFieldIsTheOneOpenSSLWrites() throws {
        let (key, certificate) = try signer()
        try tool.write("content.bin", content)
        for detached in [false, true] {
            try tool.write("ours.der", try CMS.sign(content, signer: certificate, key: key, detached: detached))
            try tool.succeed(["cms", "-sign", "-binary", "-nosmimecap", "-md", "sha256", "-in", "content.bin", "-signer", "signer.pem",
                              "-inkey", "signer.key", "-outform", "DER", "-out", "theirs.der"] + (detached ? [] : ["-nodetach"]))
            let ours = try printed("ours.der"), theirs = try printed("theirs.der")
            XCTAssertEqual(ours, theirs, "detached: \(detached)")
            XCTAssertTrue(ours.contains("object: messageDigest"), "the comparison saw the signed attributes")
            XCTAssertTrue(ours.contains("signatureAlgorithm:"), "the comparison saw the signer info")
        }
    }

    func testEveryLengthClassVerifiesWithOpenSSL() throws {
        let (key, certificate) = try signer()
        // Content lengths whose encodings take 1, 2, 3 and 4 length bytes at each level.
        for count in [0, 1, 127, 128, 255, 256, 65_535, 65_536, 1_000_000] {
            let content = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            try tool.write("signed.der", try CMS.sign(content, signer: certificate, key: key))
            try tool.succeed(["cms", "-verify", "-binary", "-inform", "DER", "-in", "signed.der", "-CAfile", "signer.pem", "-out", "out.bin"])
            XCTAssertEqual(try tool.read("out.bin"), content, "\(count) bytes")
            XCTAssertEqual(try CMS.verify(try tool.read("signed.der"), trusting: [certificate]).content, content, "\(count) bytes")
        }
    }

    func testLengthsAreDERMinimal() {
        XCTAssertEqual(Array(ASN1.tlv(0x04, [UInt8](repeating: 0, count: 127)).prefix(2)), [0x04, 0x7F])
        XCTAssertEqual(Array(ASN1.tlv(0x04, [UInt8](repeating: 0, count: 128)).prefix(3)), [0x04, 0x81, 0x80])
        XCTAssertEqual(Array(ASN1.tlv(0x04, [UInt8](repeating: 0, count: 255)).prefix(3)), [0x04, 0x81, 0xFF])
        XCTAssertEqual(Array(ASN1.tlv(0x04, [UInt8](repeating: 0, count: 256)).prefix(4)), [0x04, 0x82, 0x01, 0x00])
        XCTAssertEqual(Array(ASN1.tlv(0x04, [UInt8](repeating: 0, count: 65_536)).prefix(5)), [0x04, 0x83, 0x01, 0x00, 0x00])
        XCTAssertEqual(ASN1.tlv(0x04, [UInt8]()), [0x04, 0x00])
    }

    /// RFC 5652 §11.3: UTCTime from 1950 to 2049, GeneralizedTime outside it.
    func testSigningTimeEncodings() throws {
        func date(_ text: String) throws -> Date { try XCTUnwrap(ISO8601DateFormatter().date(from: text)) }
        let vectors: [(String, UInt8, String)] = [
            ("1949-12-31T23:59:59Z", 0x18, "19491231235959Z"),
            ("1950-01-01T00:00:00Z", 0x17, "500101000000Z"),
            ("2026-12-03T09:05:07Z", 0x17, "261203090507Z"),
            ("2049-12-31T23:59:59Z", 0x17, "491231235959Z"),
            ("2050-01-01T00:00:00Z", 0x18, "20500101000000Z"),
        ]
        for (text, tag, encoded) in vectors {
            XCTAssertEqual(ASN1.time(try date(text)), [tag, UInt8(encoded.utf8.count)] + Array(encoded.utf8), text)
        }
        // A message signed in 2050 carries GeneralizedTime and still verifies.
        let (key, certificate) = try signer()
        let signer = try CMSSigner(key: key, certificate: certificate)
        try tool.write("later.der", try signer.sign(content, at: try date("2050-01-01T00:00:00Z")))
        try tool.succeed(["cms", "-verify", "-binary", "-inform", "DER", "-in", "later.der", "-CAfile", "signer.pem", "-out", "/dev/null"])
        let text = String(decoding: try tool.succeed(["cms", "-cmsout", "-print", "-inform", "DER", "-in", "later.der"]).stdout, as: UTF8.self)
        XCTAssertTrue(text.contains("GENERALIZEDTIME:Jan  1 00:00:00 2050 GMT"), text)
    }

    func testAKeyThatIsNotTheCertificatesIsRefused() throws {
        let (_, certificate) = try signer()
        XCTAssertThrowsError(try CMSSigner(key: try PrivateKey.generateP256(), certificate: certificate)) {
            XCTAssertEqual($0 as? CryptoError, .policyViolation("the key does not match the signer certificate"))
        }
    }
}
