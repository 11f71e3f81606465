import Foundation
import TestSupport
import Vault
import XCTest

/// `maracctl init` and the offline key verbs as a key custodian runs them: what they
/// print, their exit codes, and that no key byte and no stray argument reaches output.
final class KeyCommandTests: XCTestCase {
    var state = ""

    override func setUp() {
        state = FileManager.default.temporaryDirectory.appendingPathComponent("maracd-keycmd-\(UUID().uuidString)").path
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: state) }

    private func maracctl(_ arguments: [String]) throws -> Subprocess {
        try Subprocess.run(CLITests.products.appendingPathComponent("maracctl"), arguments)
    }

    func testInitAndRotationsPrintNoKeyMaterial() throws {
        var outputs: [Subprocess] = []
        outputs.append(try maracctl(["init", "--state", state, "--name", "marac test"]))
        XCTAssertEqual(outputs[0].status, 0, outputs[0].stderr)
        XCTAssertTrue(outputs[0].output.hasPrefix("initialised vault in \(state)\nroot key: \(state)/master.key"), outputs[0].output)
        let before = try Data(contentsOf: URL(fileURLWithPath: state + "/master.key"))
        outputs.append(try maracctl(["key", "rotate", "--signing", "--state", state]))
        outputs.append(try maracctl(["key", "rotate", "--root", "--state", state]))
        outputs.append(try maracctl(["key", "status", "--state", state, "--json"]))
        for output in outputs { XCTAssertEqual(output.status, 0, output.stderr) }
        let after = try Data(contentsOf: URL(fileURLWithPath: state + "/master.key"))
        XCTAssertNotEqual(before, after)

        let text = outputs.map { $0.output + $0.stderr }.joined()
        for key in [before, after] {
            for encoding in [Hex.encode(key), Hex.encode(key).uppercased(), key.base64EncodedString()] {
                XCTAssertFalse(text.contains(encoding), "a root key reached maracctl's output")
                XCTAssertFalse(text.contains(String(encoding.prefix(16))), "part of a root key reached maracctl's output")
            }
        }
        XCTAssertFalse(text.contains("PRIVATE KEY"))
    }

    func testRefusalsExitWithTheirCodesAndEchoNoInput() throws {
        XCTAssertEqual(try maracctl(["init", "--state", state]).status, 0)
        let again = try maracctl(["init", "--state", state])
        XCTAssertEqual(again.status, 65)
        XCTAssertEqual(again.stderr, "maracctl: a vault already exists at \(state)/vault.db\n")

        chmod(state + "/master.key", 0o644)
        let wide = try maracctl(["key", "status", "--state", state])
        XCTAssertEqual(wide.status, 77)
        XCTAssertEqual(wide.stderr, "maracctl: root key file \(state)/master.key has mode 0644; it must be 0400 or 0600\n")
        chmod(state + "/master.key", 0o600)

        // A value typed where an option belongs could be a person's name: never echoed.
        let stray = try maracctl(["key", "status", "--state", state, "Jane Example"])
        XCTAssertEqual(stray.status, 64)
        XCTAssertTrue(stray.stderr.hasPrefix("maracctl: unexpected argument (not echoed)\n"), stray.stderr)
        XCTAssertFalse(stray.stderr.contains("Jane"))
        let option = try maracctl(["key", "status", "--state", state, "--frobnicate"])
        XCTAssertTrue(option.stderr.hasPrefix("maracctl: unexpected argument '--frobnicate'\n"), option.stderr)

        let unknownAgency = try maracctl(["key", "rotate", "--agency", "nobody", "--state", state])
        XCTAssertEqual(unknownAgency.status, 65)
        XCTAssertEqual(unknownAgency.stderr, "maracctl: rotation refused: agency nobody has no key yet\n")
        let badAgency = try maracctl(["key", "rotate", "--agency", "Jane Example", "--state", state])
        XCTAssertEqual(badAgency.status, 65)
        XCTAssertEqual(badAgency.stderr, "maracctl: agency must match [a-z0-9-]{1,64}\n")
    }
}
