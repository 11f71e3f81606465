import Foundation
import XCTest
@testable import Vault

final class AESGCMTests: XCTestCase {
    let aad = Array("doc=0b7c;agency=police;kind=referral;kv=1".utf8)

    func testSealOpenRoundTripReusingTheContext() throws {
        let gcm = try AESGCM(key: SecretBytes(randomByteCount: 32))
        for size in [0, 1, 15, 16, 17, 2048, 16384, 100_000] {
            let plain = try SecureRandom.bytes(size)
            let box = try gcm.seal(plain, authenticating: aad)
            XCTAssertEqual(box.count, size + AESGCM.overhead)
            XCTAssertEqual(try gcm.open(box, authenticating: aad), plain)
            XCTAssertTrue(constantTimeEquals(try gcm.openSecret(box, authenticating: aad), plain))
        }
    }

    /// Every single-bit change to nonce, ciphertext or tag, and any change to the AAD or
    /// the key, is refused with `authenticationFailure`.
    func testEveryTamperingIsRefused() throws {
        let key = try SecretBytes(randomByteCount: 32)
        let gcm = try AESGCM(key: key)
        let box = try gcm.seal(Array("unique-marker-7f3e".utf8) + [UInt8](repeating: 1, count: 50), authenticating: aad)
        for offset in box.indices {
            for bit in [0x01, 0x80] as [UInt8] {
                var tampered = box
                tampered[offset] ^= bit
                XCTAssertThrowsError(try gcm.open(tampered, authenticating: aad), "offset \(offset)") {
                    XCTAssertEqual($0 as? CryptoError, .authenticationFailure)
                }
            }
        }
        var otherAAD = aad
        otherAAD[otherAAD.count - 1] = UInt8(ascii: "2")  // a relabelled key version
        XCTAssertThrowsError(try gcm.open(box, authenticating: otherAAD)) { XCTAssertEqual($0 as? CryptoError, .authenticationFailure) }
        XCTAssertThrowsError(try gcm.open(box, authenticating: [UInt8]())) { XCTAssertEqual($0 as? CryptoError, .authenticationFailure) }
        XCTAssertThrowsError(try AESGCM(key: SecretBytes(randomByteCount: 32)).open(box, authenticating: aad)) {
            XCTAssertEqual($0 as? CryptoError, .authenticationFailure)
        }
        XCTAssertThrowsError(try gcm.open(Array(box.dropLast()), authenticating: aad)) { XCTAssertEqual($0 as? CryptoError, .authenticationFailure) }
        // And the context still works after failures.
        XCTAssertEqual(try gcm.open(box, authenticating: aad).count, box.count - AESGCM.overhead)
    }

    func testBadSizesAreTypedErrors() throws {
        XCTAssertThrowsError(try AESGCM(key: SecretBytes(randomByteCount: 20))) { XCTAssertEqual($0 as? CryptoError, .invalidKeySize(20)) }
        let gcm = try AESGCM(key: SecretBytes(randomByteCount: 32))
        XCTAssertThrowsError(try gcm.open([UInt8](repeating: 0, count: 27), authenticating: aad)) {
            XCTAssertEqual($0 as? CryptoError, .invalidLength(27))
        }
    }

    /// Random nonces: none repeats across many seals under one key.
    func testNoncesAreFreshPerMessage() throws {
        let gcm = try AESGCM(key: SecretBytes(randomByteCount: 32))
        var seen = Set<[UInt8]>()
        for _ in 0..<10_000 { seen.insert(Array(try gcm.seal([UInt8](), authenticating: aad).prefix(AESGCM.nonceByteCount))) }
        XCTAssertEqual(seen.count, 10_000)
    }
}
