import Exchange
import Foundation
import TestSupport
import XCTest

/// Runs the built `maracd` and `maracctl` binaries as a user would, checking stdout,
/// stderr and exit status.
final class CLITests: XCTestCase {
    /// The directory holding the built products (next to the test bundle).
    static let products: URL = {
        var url = Bundle(for: CLITests.self).bundleURL
        while url.pathExtension == "xctest" || url.lastPathComponent.hasSuffix(".xctest") { url.deleteLastPathComponent() }
        return url
    }()

    func run(_ tool: String, _ arguments: [String]) throws -> Subprocess {
        try Subprocess.run(Self.products.appendingPathComponent(tool), arguments)
    }

    func testMaracdVersion() throws {
        let result = try run("maracd", ["--version"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.output.hasPrefix("maracd \(Product.version) (OpenSSL 3."), result.output)
        XCTAssertTrue(result.output.contains("SQLite 3."), result.output)
        XCTAssertEqual(result.stderr, "")
    }

    func testMaracdRejectsUnknownArgumentsWithUsage() throws {
        let result = try run("maracd", ["--frobnicate"])
        XCTAssertEqual(result.status, 64)
        XCTAssertTrue(result.stderr.contains("usage: maracd"), result.stderr)
        XCTAssertEqual(result.output, "")
    }

    func testMaracctlHelpAndUsageErrors() throws {
        let help = try run("maracctl", ["--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.output.contains("bench AREA [--json]"), help.output)
        XCTAssertTrue(help.output.contains("64 usage"), help.output)

        let unknown = try run("maracctl", ["frobnicate"])
        XCTAssertEqual(unknown.status, 64)
        XCTAssertTrue(unknown.stderr.hasPrefix("maracctl: unknown command 'frobnicate'\n"), unknown.stderr)

        let none = try run("maracctl", [])
        XCTAssertEqual(none.status, 64)
        XCTAssertTrue(none.stderr.hasPrefix("maracctl: no command given\n"), none.stderr)

        let badArea = try run("maracctl", ["bench", "warp-drive"])
        XCTAssertEqual(badArea.status, 64)
        XCTAssertTrue(badArea.stderr.hasPrefix("maracctl: unknown bench area 'warp-drive'\n"), badArea.stderr)

        let badSeconds = try run("maracctl", ["bench", "crypto", "--seconds", "-3"])
        XCTAssertEqual(badSeconds.status, 64)
    }

    /// The bench JSON contract that run-to-run comparisons rely on (not a timing test).
    func testBenchCryptoJSONShape() throws {
        let result = try run("maracctl", ["bench", "crypto", "--json", "--seconds", "0.2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.output.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "one JSON object per area")
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        XCTAssertEqual(object["area"] as? String, "crypto")
        let ratios = try XCTUnwrap(object["ratios"] as? [String: Double])
        let figures = try XCTUnwrap(object["figures"] as? [String: Double])
        for name in ["aes_gcm_16k_vs_openssl", "aes_gcm_2k_vs_openssl", "ecdsa_p256_sign_vs_openssl", "ecdsa_p256_verify_vs_openssl"] {
            XCTAssertGreaterThan(try XCTUnwrap(ratios[name], name), 0)
        }
        for name in ["aes_gcm_16k_seal_bytes_per_s", "openssl_aes_gcm_16k_bytes_per_s", "ecdsa_p256_sign_per_s", "openssl_ecdsa_p256_verify_per_s"] {
            XCTAssertGreaterThan(try XCTUnwrap(figures[name], name), 0)
        }
    }

    /// The forms benchmark reports validation beside the parse-alone baselines, for a
    /// sample of about 10 KiB that validates (not a timing test).
    func testBenchFormsJSONShape() throws {
        let result = try run("maracctl", ["bench", "forms", "--json", "--seconds", "0.05"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        XCTAssertEqual(object["area"] as? String, "forms")
        let figures = try XCTUnwrap(object["figures"] as? [String: Double])
        XCTAssertEqual(try XCTUnwrap(figures["referral_bytes"]), 10 * 1024, accuracy: 200)
        for name in ["validate_us", "parse_only_us", "foundation_parse_only_us"] {
            XCTAssertGreaterThan(try XCTUnwrap(figures[name], name), 0)
        }
        let ratios = try XCTUnwrap(object["ratios"] as? [String: Double])
        XCTAssertGreaterThan(try XCTUnwrap(ratios["validate_time_over_parse"]), 1, "validating includes parsing")
    }
}
