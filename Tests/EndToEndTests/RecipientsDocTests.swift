import Foundation
import TestSupport
import XCTest

/// `docs/recipients.md` tells agencies' IT teams what to run. This runs every block of it
/// marked `# test: NAME`, as written, with `sh -e`, against packs and an export the real
/// daemon made: the key made with its `openssl req` line, the pack opened, a flipped byte
/// refused with no output left behind, the revocation notice read, the export's manifest
/// checked (and a tampered one refused).
final class RecipientsDocTests: XCTestCase {
    var daemon: DaemonHarness!
    var scratch: URL!

    override func setUpWithError() throws {
        daemon = try DaemonHarness()
        // Root is the coordinator, the chair and a Marac-wide IG officer.
        try Data(#"{"version": 1, "principals": [{"uid": \#(geteuid()), "name": "Test officer", "agency": "idva", "roles": ["coordinator", "chair", "ig-officer"], "scope": "marac"}]}"#.utf8)
            .write(to: daemon.principalsPath)
        try daemon.writeConfig(#""principalsFile": "\#(daemon.principalsPath.path)""#)
        scratch = daemon.state.deletingLastPathComponent().appendingPathComponent("recipient")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }
    override func tearDown() { daemon?.cleanUp() }

    /// The `# test: name` block of docs/recipients.md.
    static func block(_ name: String) throws -> String {
        let text = try String(contentsOf: DaemonHarness.repository.appendingPathComponent("docs/recipients.md"), encoding: .utf8)
        guard let start = text.range(of: "# test: \(name)\n"), let end = text.range(of: "\n```", range: start.upperBound..<text.endIndex) else {
            throw CocoaError(.fileReadCorruptFile)
        }
        return String(text[start.upperBound..<end.lowerBound])
    }

    func run(_ name: String) throws -> Subprocess {
        try Subprocess.run(URL(fileURLWithPath: "/bin/sh"), ["-ec", try Self.block(name)], in: scratch)
    }

    func file(_ name: String) -> URL { scratch.appendingPathComponent(name) }

    func testEveryCommandTheRecipientsGuideGivesWorksOnWhatTheDaemonSends() throws {
        // Section 1: health's key, made with the guide's openssl line, registered offline.
        let made = try run("make-key")
        XCTAssertEqual(made.status, 0, made.stderr)
        try daemon.ask(["agency", "set-cert", "health", "--cert", file("recipient.pem").path])
        try daemon.registerRecipients(["police"])
        try daemon.start()

        let referral = try RepositoryFixtures.bytes("valid/referral-police.json")
        try daemon.drop(referral, as: "referral.json", agency: "police")
        try daemon.waitFor("the receipt") { FileManager.default.fileExists(atPath: daemon.receipt(for: referral).path) }
        let cases = try JSONSerialization.jsonObject(with: try daemon.ask(["case", "list", "--json"]).stdout) as? [[String: Any]]
        let number = try XCTUnwrap(cases?.first?["case"] as? String)
        let meeting = String(try daemon.ask(["meeting", "create", "--date", PrincipalsTestCase.day(in: 24)]).output.prefix { $0 != " " })
        try daemon.ask(["meeting", "invite", meeting, "police,health"])
        try daemon.ask(["meeting", "add-case", meeting, number])
        try daemon.ask(["meeting", "send-agenda", meeting])
        let outbox = daemon.state.appendingPathComponent("outbox/health")
        try FileManager.default.copyItem(at: outbox.appendingPathComponent("signing-certificates.pem"), to: file("signing-certificates.pem"))

        // Section 3: the agenda pack opens; a flipped byte leaves nothing behind.
        try FileManager.default.copyItem(at: outbox.appendingPathComponent("agenda/\(meeting)-v1.p7m"), to: file("PACK.p7m"))
        let opened = try run("open-pack")
        XCTAssertEqual(opened.status, 0, opened.stderr)
        let content = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: file("content.json"))) as? [String: Any])
        XCTAssertEqual(content["type"] as? String, "agenda")
        XCTAssertEqual(content["recipient"] as? String, "health")
        XCTAssertFalse(FileManager.default.fileExists(atPath: file("signed.der").path), "the intermediate file is removed")
        let mode = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: file("content.json").path)[.posixPermissions] as? Int)
        XCTAssertEqual(mode & 0o077, 0, "the decrypted content is the user's alone (umask 077)")
        XCTAssertFalse(try Self.block("open-pack").contains("exit"), "no exit in a block meant to be pasted into a shell")
        try FileManager.default.removeItem(at: file("content.json"))
        var pack = [UInt8](try Data(contentsOf: file("PACK.p7m")))
        pack[pack.count - 3] ^= 0x01
        try Data(pack).write(to: file("PACK.p7m"))
        XCTAssertNotEqual(try run("open-pack").status, 0)
        for leftover in ["signed.der", "content.json"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: file(leftover).path), "\(leftover) deleted after the failure")
        }

        // Section 4: the revocation notice.
        try daemon.ask(["meeting", "declare", meeting, "--for", "Health representative", "--agency", "health", "--yes"])
        try daemon.ask(["meeting", "open", meeting])
        try daemon.ask(["meeting", "close", meeting])
        try FileManager.default.copyItem(at: outbox.appendingPathComponent("meeting/\(meeting).revoked.p7m"), to: file("NOTICE.revoked.p7m"))
        let revoked = try run("revocation")
        XCTAssertEqual(revoked.status, 0, revoked.stderr)
        let notice = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: file("notice.json"))) as? [String: Any])
        XCTAssertEqual(notice["type"] as? String, "revocation")

        // Section 5: an export's manifest, with plain tools; a tampered file refused.
        try daemon.ask(["export", "audit", "--out", file("EXPORT.p7s").path, "--reason", "guide test"])
        let verified = try run("verify-export")
        XCTAssertEqual(verified.status, 0, verified.stderr)
        XCTAssertTrue(verified.output.hasPrefix("manifest verified: 3 files"), verified.output)
        var export = [UInt8](try Data(contentsOf: file("EXPORT.p7s")))
        export[export.count / 2] ^= 0x01
        try Data(export).write(to: file("EXPORT.p7s"))
        XCTAssertNotEqual(try run("verify-export").status, 0)

        // The forms out of a (subject access) export, verified first, then written 0600.
        let person = file("person.txt")
        try Data("1993-11-13\nTamsin Quinn\n".utf8).write(to: person)
        for old in ["EXPORT.p7s", "export.json"] { try? FileManager.default.removeItem(at: file(old)) }
        try daemon.ask(["subject", "export", "--subject-file", person.path, "--reason", "guide test", "--out", file("EXPORT.p7s").path])
        XCTAssertEqual(try run("verify-export").status, 0)
        let forms = try run("read-export-forms")
        XCTAssertEqual(forms.status, 0, forms.stderr)
        let names = try FileManager.default.contentsOfDirectory(atPath: file("forms").path)
        XCTAssertEqual(forms.output, names.sorted().map { "form: \($0)\n" }.joined())
        XCTAssertTrue(try names.contains { try Data(contentsOf: file("forms").appendingPathComponent($0)) == Data(referral) }, "the referral as police sent it")
        for name in names {
            let mode = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: file("forms").appendingPathComponent(name).path)[.posixPermissions] as? Int)
            XCTAssertEqual(mode, 0o600, name)
        }
    }
}
