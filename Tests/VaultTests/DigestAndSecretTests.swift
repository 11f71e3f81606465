import Foundation
import XCTest
@testable import Vault

final class DigestAndSecretTests: XCTestCase {
    /// FIPS 180-2 Appendix B: the three SHA-256 examples.
    func testSHA256FIPS180Examples() {
        XCTAssertEqual(SHA256.hexDigest(Array("abc".utf8)),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hexDigest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        XCTAssertEqual(SHA256.hexDigest(million), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // Incrementally, in uneven pieces, and again after finalize() resets the hasher.
        let hasher = SHA256Hasher()
        for _ in 0..<2 {
            var offset = 0
            for size in [1, 63, 64, 65, 999_807] { hasher.update(million[offset..<offset + size].withUnsafeBytes { Array($0) }); offset += size }
            XCTAssertEqual(Hex.encode(hasher.finalize()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        }
        XCTAssertEqual(SHA256.hexDigest([UInt8]()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    func testHexRoundTripAndRejects() {
        XCTAssertEqual(Hex.decode("00fFa0"), [0x00, 0xff, 0xa0])
        XCTAssertEqual(Hex.encode([0x00, 0xff, 0xa0]), "00ffa0")
        XCTAssertNil(Hex.decode("abc"))
        XCTAssertNil(Hex.decode("zz"))
    }

    func testSecretBytesCompareInConstantTimeAndNeverPrint() throws {
        let a = SecretBytes(copying: [1, 2, 3, 4] as [UInt8])
        XCTAssertEqual(a, SecretBytes(copying: [1, 2, 3, 4] as [UInt8]))
        XCTAssertNotEqual(a, SecretBytes(copying: [1, 2, 3, 5] as [UInt8]))
        XCTAssertNotEqual(a, SecretBytes(copying: [1, 2, 3] as [UInt8]))
        XCTAssertEqual(SecretBytes(copying: [UInt8]()), SecretBytes(copying: [UInt8]()))
        XCTAssertEqual("\(a)", "SecretBytes(4 bytes)")
        XCTAssertEqual(String(reflecting: a), "SecretBytes(4 bytes)")
        var dumped = ""
        dump(a, to: &dumped)
        XCTAssertFalse(dumped.contains("1, 2"), dumped)

        let k1 = try SecretBytes(randomByteCount: 32), k2 = try SecretBytes(randomByteCount: 32)
        XCTAssertEqual(k1.count, 32)
        XCTAssertNotEqual(k1, k2)
    }

    /// A throwing initialiser still releases (and wipes) the buffer: no crash, no leak path.
    func testSecretBytesInitialiserMayThrow() {
        struct Refused: Error {}
        XCTAssertThrowsError(try SecretBytes(count: 16) { _ in throw Refused() }) { XCTAssertTrue($0 is Refused) }
    }

    func testSecretBytesReadFromFile() throws {
        let tool = try OpenSSLTool()
        defer { tool.cleanUp() }
        let key = try SecureRandom.bytes(32)
        try tool.write("master.key", key)
        XCTAssertTrue(constantTimeEquals(try SecretBytes(contentsOfFile: tool.path("master.key")), key))
        XCTAssertThrowsError(try SecretBytes(contentsOfFile: tool.path("master.key"), limit: 31)) {
            XCTAssertEqual($0 as? CryptoError, .unreadableFile(path: tool.path("master.key"), errno: EFBIG))
        }
        XCTAssertThrowsError(try SecretBytes(contentsOfFile: tool.path("absent.key"))) {
            XCTAssertEqual($0 as? CryptoError, .unreadableFile(path: tool.path("absent.key"), errno: ENOENT))
        }
        XCTAssertEqual("\(CryptoError.unreadableFile(path: "/x", errno: ENOENT))", "cannot read /x: No such file or directory")
    }

    func testHKDFRejectsOutOfRangeLengths() throws {
        let ikm = try SecretBytes(randomByteCount: 32)
        for bad in [0, -1, 255 * 32 + 1] {
            XCTAssertThrowsError(try HKDF.deriveKey(inputKeyMaterial: ikm, salt: [UInt8](), info: [UInt8](), outputByteCount: bad)) {
                XCTAssertEqual($0 as? CryptoError, .invalidLength(bad))
            }
        }
        // Distinct info strings give independent keys; the same inputs the same key.
        let a = try HKDF.deriveKey(inputKeyMaterial: ikm, salt: [UInt8](), info: Array("maracd kek-wrap v1".utf8), outputByteCount: 32)
        let b = try HKDF.deriveKey(inputKeyMaterial: ikm, salt: [UInt8](), info: Array("maracd blind-index v1".utf8), outputByteCount: 32)
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(a, try HKDF.deriveKey(inputKeyMaterial: ikm, salt: [UInt8](), info: Array("maracd kek-wrap v1".utf8), outputByteCount: 32))
    }
}
