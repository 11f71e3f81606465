import Foundation
@testable import Vault
import XCTest

/// RFC 5652 section 11.1 and the profile every signed message here is made with: fields
/// outside the signature (the SignedData version, the encapsulated content type, a
/// signer's algorithm identifiers) altered after signing are refused, though the signature
/// and digest still verify.
final class SignedDataProfileTests: XCTestCase {
    let key = try! PrivateKey.generateP256()
    lazy var certificate = try! Certificate.selfSigned(commonName: "maracd profile test", key: key)

    func signed() throws -> [UInt8] { try CMS.sign(Array(#"{"v":1,"type":"export-case"}"#.utf8), signer: certificate, key: key) }

    /// `bytes` with the `index`th occurrence (from the end when negative) of `pattern` replaced.
    func replacing(_ pattern: [UInt8], with replacement: [UInt8], occurrence index: Int, in bytes: [UInt8]) throws -> [UInt8] {
        var starts: [Int] = []
        for start in 0...(bytes.count - pattern.count) where Array(bytes[start..<(start + pattern.count)]) == pattern { starts.append(start) }
        let start = try XCTUnwrap(index >= 0 ? starts.dropFirst(index).first : starts.dropLast(-index - 1).last)
        var copy = bytes
        copy.replaceSubrange(start..<(start + pattern.count), with: replacement)
        return copy
    }

    func testTheProfileAsMadeVerifies() throws {
        let message = try signed()
        XCTAssertEqual(CMS.signedDataVersion(message), 1)
        XCTAssertNoThrow(try CMS.verify(message, trusting: [certificate]))
    }

    func testAlteredFieldsOutsideTheSignatureAreRefused() throws {
        let message = try signed()
        let idData: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01]
        let ecdsaSHA256: [UInt8] = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02]
        // ContentInfo { OID signedData, [0] { SEQUENCE { INTEGER 1 ...: the version byte.
        let versionAt = try XCTUnwrap((0..<(message.count - 3)).first { message[$0] == 0x02 && message[$0 + 1] == 0x01 && message[$0 + 2] == 0x01 })
        var version3 = message
        version3[versionAt + 2] = 0x03
        let cases: [(String, [UInt8], String)] = [
            ("SignedData version 3", version3, "SignedData version is not 1"),
            // The first id-data is the eContentType; the signed attribute's comes later.
            ("eContentType id-signedData", try replacing(idData, with: idData.dropLast() + [0x02], occurrence: 0, in: message),
             "the encapsulated content type is not id-data"),
            // The last ecdsa-with-SHA256 is the SignerInfo's (the certificate's come first).
            ("signature ecdsa-with-SHA384", try replacing(ecdsaSHA256, with: ecdsaSHA256.dropLast() + [0x03], occurrence: -1, in: message),
             "a signer's algorithms are not SHA-256 with ecdsa-with-SHA256"),
        ]
        for (what, altered, reason) in cases {
            XCTAssertThrowsError(try CMS.verify(altered, trusting: [certificate]), what) {
                XCTAssertEqual($0 as? CryptoError, .policyViolation(reason), what)
            }
        }
    }
}
