import Foundation
import XCTest
@testable import Vault

/// The blind index: one token per person however the name is typed; nothing in clear.
final class BlindIndexTests: XCTestCase {
    var fixture: VaultFixture!

    override func setUpWithError() throws { fixture = try VaultFixture() }
    override func tearDown() { fixture.cleanUp() }

    func testNormalisation() {
        XCTAssertEqual(BlindIndex.normalise(name: "  Ann\t  MARIE\u{00A0}Example \n"), "ann marie example")
        XCTAssertEqual(BlindIndex.normalise(name: "Jos\u{0065}\u{0301}"), BlindIndex.normalise(name: "Jos\u{00E9}"))
        XCTAssertEqual(BlindIndex.normalise(name: "JOSÉ"), "josé")
        XCTAssertNotEqual(BlindIndex.normalise(name: "José"), BlindIndex.normalise(name: "Jose"))
    }

    /// The ASCII fast path gives what the Unicode path gives, so a token never depends on
    /// which path computed it: every ASCII character alone, between letters and beside
    /// white space, and a thousand random ASCII names.
    func testASCIIPathAgreesWithUnicodePath() {
        var names: [String] = []
        for value in UInt8(0)...UInt8(0x7F) {
            let c = String(UnicodeScalar(value))
            names += [c, "Ab\(c)Cd", " \(c) ", "\(c)\(c)X\t\(c)", "O'\(c)BRIEN  Mc\(c)"]
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<1_000 {
            names.append(String(decoding: (0..<Int.random(in: 0...24, using: &generator)).map { _ in UInt8.random(in: 0...0x7F, using: &generator) },
                                as: UTF8.self))
        }
        for name in names {
            XCTAssertEqual(BlindIndex.normaliseASCII(name), BlindIndex.normaliseUnicode(name), Array(name.utf8).description)
            XCTAssertEqual(BlindIndex.normalise(name: name), BlindIndex.normaliseUnicode(name))
        }
        XCTAssertEqual(BlindIndex.normaliseASCII("  Ann\t  MARIE\u{0B}Example \n"), "ann marie example")
    }

    func testVariantsGiveOneTokenAndOthersDiffer() throws {
        let token = try fixture.vault.blindToken(name: "Zoë O'Brien", dateOfBirth: "1985-07-14")
        for variant in ["zoë o'brien", "  ZOË   O'BRIEN ", "Zo\u{0065}\u{0308} O'Brien", "Zoë\u{2003}O'Brien"] {
            XCTAssertEqual(try fixture.vault.blindToken(name: variant, dateOfBirth: "1985-07-14"), token, variant)
        }
        XCTAssertNotEqual(try fixture.vault.blindToken(name: "Zoe O'Brien", dateOfBirth: "1985-07-14"), token)
        XCTAssertNotEqual(try fixture.vault.blindToken(name: "Zoë O'Brien", dateOfBirth: "1985-07-15"), token)
        // Another vault (another secret) gives another token for the same person.
        let other = try VaultFixture()
        defer { other.cleanUp() }
        XCTAssertNotEqual(try other.vault.blindToken(name: "Zoë O'Brien", dateOfBirth: "1985-07-14"), token)
        try fixture.reopen()
        XCTAssertEqual(try fixture.vault.blindToken(name: "zoë o'brien", dateOfBirth: "1985-07-14"), token)
    }

    func testBadIdentitiesAreRefused() {
        XCTAssertThrowsError(try fixture.vault.blindToken(name: " \t ", dateOfBirth: "1985-07-14")) {
            XCTAssertEqual($0 as? VaultError, .invalidIdentity("the name is empty"))
        }
        for dob in ["1985-7-14", "1985-02-30", "2023-02-29", "14/07/1985", "", "1985-13-01", "+985-01-01"] {
            XCTAssertThrowsError(try fixture.vault.blindToken(name: "A", dateOfBirth: dob), dob) {
                XCTAssertEqual($0 as? VaultError, .invalidIdentity("date of birth is not YYYY-MM-DD"))
            }
        }
        XCTAssertNoThrow(try fixture.vault.blindToken(name: "A", dateOfBirth: "2024-02-29"))
    }

    func testSubjectSearchFindsDocumentsByToken() throws {
        let token = try fixture.vault.blindToken(name: "Ann Example", dateOfBirth: "1990-01-02")
        let other = try fixture.vault.blindToken(name: "Bob Example", dateOfBirth: "1990-01-02")
        let a = try fixture.vault.put(NewDocument(content: SecretBytes(copying: [1]), agency: "police", kind: "referral", subjects: [token]))
        _ = try fixture.vault.put(NewDocument(content: SecretBytes(copying: [2]), agency: "police", kind: "referral", subjects: [other]))
        let c = try fixture.vault.put(NewDocument(content: SecretBytes(copying: [3]), agency: "health", kind: "research", subjects: [token, other]))
        XCTAssertEqual(try fixture.vault.documents(about: token).map(\.id), [a, c])
        try fixture.vault.erase(a, logEntry: Data("e".utf8))
        XCTAssertEqual(try fixture.vault.documents(about: token).map(\.id), [c])
    }
}
