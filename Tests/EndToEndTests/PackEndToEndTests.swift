import Foundation
import TestSupport
import XCTest
import Vault

/// Agenda and meeting packs and signed exports on the real binaries, opened and checked
/// with the stock `openssl` (`docs/packs.md`, issue 12 points 2 to 5): an RSA-OAEP recipient (police) and EC
/// recipients (health, children, housing); each pack opens with its own agency's key only
/// and verifies against the signing certificates the daemon publishes.
final class PackEndToEndTests: PrincipalsTestCase {
    static let chair: UInt32 = 4_721, health: UInt32 = 4_722, police: UInt32 = 4_723, ig: UInt32 = 4_724

    override func setUpWithError() throws {
        try setUpDaemon(group: 4_720, principals: """
            {"uid": 0, "name": "Coordinator", "agency": "idva", "roles": ["coordinator", "key-custodian"]},
            {"uid": \(Self.chair), "name": "Chair", "agency": "police", "roles": ["chair"]},
            {"uid": \(Self.health), "name": "Health representative", "agency": "health", "roles": ["representative"]},
            {"uid": \(Self.police), "name": "Police representative", "agency": "police", "roles": ["representative"]},
            {"uid": \(Self.ig), "name": "Governance IG officer", "agency": "housing", "roles": ["ig-officer"], "scope": "marac"}
            """)
        try daemon.registerRecipients(["police"], kind: "rsa")
        try daemon.registerRecipients(["health", "children"])
        try daemon.registerRecipients(["housing"], register: false)
    }

    func keyDirectory(_ agency: String) -> URL { daemon.recipientKeys.appendingPathComponent(agency) }

    func outbox(_ agency: String, _ kind: String) -> URL { daemon.state.appendingPathComponent("outbox/\(agency)/\(kind)") }

    /// `openssl cms -decrypt` with `agency`'s key, then `cms -verify` against the published
    /// signing certificates: the content, or nil with the failing step's status.
    func openWithOpenSSL(_ pack: URL, as agency: String) throws -> (content: [String: Any]?, decryptStatus: Int32) {
        try daemon.openWithOpenSSL(pack, as: agency)
    }

    func logEntries(_ operation: String) throws -> [String] {
        let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [daemon.state.appendingPathComponent("vault.db").path,
                                        "SELECT CAST(entry AS TEXT) FROM log_entry ORDER BY seq"])
        return result.output.split(separator: "\n").map(String.init).filter { $0.contains(#""operation":"\#(operation)""#) }
    }

    func testAgendaAndMeetingPacksOpenWithStockOpenSSLForTheirAgencyOnly() throws {
        try daemon.start()
        let number = try policeCase()
        // Seven days ahead: inside the 8-day lead time, so the agenda is late.
        let meeting = try meeting(in: 7, inviting: "police,health,children,housing", cases: [number])

        // Housing has no certificate: refused, naming it, and nothing written or logged.
        let disclosuresBefore = try logEntries("disclosure").count
        let refused = try ctl(["meeting", "send-agenda", meeting])
        XCTAssertEqual(refused.status, 65)
        XCTAssertEqual(refused.stderr, "maracctl: agency housing has no certificate: register a valid one with maracctl agency set-cert\n")
        XCTAssertEqual(daemon.names(outbox("police", "agenda")), [])
        XCTAssertEqual(try logEntries("disclosure").count, disclosuresBefore)
        XCTAssertEqual(try ctl(["meeting", "send-agenda", meeting], as: Self.chair).status, 77, "the coordinator's verb")
        XCTAssertEqual(try ctl(["meeting", "open", meeting], as: Self.chair).status, 65, "not before the agenda is sent")
        try ok(["agency", "set-cert", "housing", "--cert", keyDirectory("housing").appendingPathComponent("recipient.pem").path])

        // Sent: one pack per agency, late (the lead time is 8 days), the meeting issued.
        let sent = try ok(["meeting", "send-agenda", meeting])
        XCTAssertEqual(sent.stderr, "maracctl: warning: the agenda went out 7 days before the meeting; the lead time is 8 days\n")
        XCTAssertTrue(sent.output.contains("sent outbox/police/agenda/\(meeting)-v1.p7m (1 document)"), sent.output)
        XCTAssertTrue(sent.output.contains(" agenda-issued "), sent.output)
        for agency in ["police", "health", "children", "housing"] {
            XCTAssertEqual(daemon.names(outbox(agency, "agenda")), ["\(meeting)-v1.p7m"], agency)
            let mode = try FileManager.default.attributesOfItem(atPath: outbox(agency, "agenda").appendingPathComponent("\(meeting)-v1.p7m").path)[.posixPermissions] as? Int
            XCTAssertEqual(mode, 0o600)
        }
        XCTAssertEqual(daemon.names(outbox("probation", "agenda")), [], "not invited, no pack")
        for agency in ["police", "health"] {  // RSA-OAEP, then ECDH
            let opened = try openWithOpenSSL(outbox(agency, "agenda").appendingPathComponent("\(meeting)-v1.p7m"), as: agency)
            let content = try XCTUnwrap(opened.content, agency)
            XCTAssertEqual(content["type"] as? String, "agenda")
            XCTAssertEqual(content["recipient"] as? String, agency)
            let entry = try XCTUnwrap((content["cases"] as? [[String: Any]])?.first)
            XCTAssertEqual(entry["case"] as? String, number)
            XCTAssertNotNil((entry["victim"] as? [String: Any])?["name"] as? String)
            XCTAssertNil(entry["dash"])
        }
        XCTAssertNotEqual(try openWithOpenSSL(outbox("police", "agenda").appendingPathComponent("\(meeting)-v1.p7m"), as: "health").decryptStatus, 0,
                          "police's pack does not open with health's key")
        let agendaDisclosures = try logEntries("disclosure").filter { $0.contains(#""rule":"agenda-pack""#) }
        XCTAssertEqual(agendaDisclosures.count, 4, "one per agency for the one case")
        XCTAssertTrue(agendaDisclosures.allSatisfy { $0.contains(#""case":"\#(number)""#) && $0.contains(#""bases":["marac-isp","consent"]"#) })

        // A late case: a resend is version 2, version 1 stays.
        let late = try RepositoryFixtures.bytes("valid/referral-health-professional-judgement-no-consent.json")
        try daemon.drop(late, as: "late.json", agency: "health")
        try daemon.waitFor("the late referral's receipt") { FileManager.default.fileExists(atPath: daemon.receipt(for: late, agency: "health").path) }
        let all = try JSONSerialization.jsonObject(with: try ok(["case", "list", "--json"]).stdout) as? [[String: Any]]
        let lateNumber = try XCTUnwrap(all?.compactMap { $0["case"] as? String }.first { $0 != number })
        try ok(["meeting", "add-case", meeting, lateNumber])
        try ok(["meeting", "send-agenda", meeting])
        XCTAssertEqual(daemon.names(outbox("children", "agenda")).sorted(), ["\(meeting)-v1.p7m", "\(meeting)-v2.p7m"])
        let second = try XCTUnwrap(try openWithOpenSSL(outbox("children", "agenda").appendingPathComponent("\(meeting)-v2.p7m"), as: "children").content)
        XCTAssertEqual((second["cases"] as? [Any])?.count, 2)
        XCTAssertEqual(second["version"] as? Int, 2)

        // Health declares before the meeting; opening sends health, and only health, its pack.
        let research = Array(String(decoding: try RepositoryFixtures.bytes("valid/research-health-for-first-case.json"), as: UTF8.self)
            .replacingOccurrences(of: "M-2026-0001", with: number).utf8)
        try daemon.drop(research, as: "research.json", agency: "health")
        try daemon.waitFor("the research receipt") { FileManager.default.fileExists(atPath: daemon.receipt(for: research, agency: "health").path) }
        try ok(["meeting", "declare", meeting, "--yes"], as: Self.health)
        let opened = try ok(["meeting", "open", meeting], as: Self.chair)
        XCTAssertTrue(opened.output.contains("sent outbox/health/meeting/\(meeting).p7m (3 documents)"), opened.output)
        XCTAssertEqual(daemon.names(outbox("health", "meeting")), ["\(meeting).p7m"])
        for agency in ["police", "children", "housing", "probation"] {
            XCTAssertEqual(daemon.names(outbox(agency, "meeting")), [], "\(agency) has not declared: no pack")
        }
        let pack = try XCTUnwrap(try openWithOpenSSL(outbox("health", "meeting").appendingPathComponent("\(meeting).p7m"), as: "health").content)
        let documents = try XCTUnwrap(pack["documents"] as? [[String: Any]])
        XCTAssertEqual(documents.compactMap { $0["kind"] as? String }.sorted(), ["referral", "referral", "research"])
        XCTAssertEqual(try logEntries("disclosure").filter { $0.contains(#""rule":"meeting-pack""#) }.count, 3, "one per document")

        // Police declares late: its pack then.
        let declared = try ok(["meeting", "declare", meeting, "--yes"], as: Self.police)
        XCTAssertTrue(declared.output.contains("sent outbox/police/meeting/\(meeting).p7m"), declared.output)
        XCTAssertNotNil(try openWithOpenSSL(outbox("police", "meeting").appendingPathComponent("\(meeting).p7m"), as: "police").content)

        // Closing: a signed revocation notice to each holder, naming the pack's digest; the
        // packs themselves leave the outbox.
        var digests: [String: String] = [:]
        for agency in ["health", "police"] {
            let digest = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sha256sum"), [outbox(agency, "meeting").appendingPathComponent("\(meeting).p7m").path])
            digests[agency] = String(digest.output.prefix(64))
        }
        let closed = try ok(["meeting", "close", meeting], as: Self.chair)
        XCTAssertTrue(closed.output.contains("revocation notice health: outbox/health/meeting/\(meeting).revoked.p7m"), closed.output)
        for agency in ["health", "police"] {
            let notice = outbox(agency, "meeting").appendingPathComponent("\(meeting).revoked.p7m")
            let verified = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/openssl"), [
                "cms", "-verify", "-binary", "-inform", "DER", "-in", notice.path,
                "-CAfile", daemon.state.appendingPathComponent("outbox/\(agency)/signing-certificates.pem").path])
            XCTAssertEqual(verified.status, 0, verified.stderr)
            let content = try XCTUnwrap(try JSONSerialization.jsonObject(with: verified.stdout) as? [String: Any])
            XCTAssertEqual(content["type"] as? String, "revocation")
            XCTAssertEqual(content["packSHA256"] as? String, digests[agency])
            XCTAssertEqual(daemon.names(outbox(agency, "meeting")), ["\(meeting).revoked.p7m"], "the pack is removed, the notice stays")
        }
        for agency in ["police", "health", "children", "housing"] {
            XCTAssertEqual(daemon.names(outbox(agency, "agenda")), [], "every agenda version removed at the close")
        }
        XCTAssertEqual(try logEntries("meeting").filter { $0.contains(#""action":"revoke-pack""#) }.count, 2)
    }

    // MARK: - maracctl open

    func maracctl(_ arguments: [String]) throws -> Subprocess {
        try Subprocess.run(CLITests.products.appendingPathComponent("maracctl"), arguments)
    }

    func keyArguments(_ agency: String) -> [String] {
        ["--key", keyDirectory(agency).appendingPathComponent("recipient.key").path,
         "--cert", keyDirectory(agency).appendingPathComponent("recipient.pem").path]
    }

    func testMaracctlOpenPrintsAPackOnlyWhenTagSignatureAndRecipientAllCheck() throws {
        try daemon.start()
        let number = try policeCase()
        let meeting = try meeting(in: 30, inviting: "police,health", cases: [number])
        XCTAssertEqual(try ok(["meeting", "send-agenda", meeting]).stderr, "", "30 days ahead: no warning")
        let pack = outbox("police", "agenda").appendingPathComponent("\(meeting)-v1.p7m")

        let opened = try maracctl(["open", pack.path] + keyArguments("police"))
        XCTAssertEqual(opened.status, 0, opened.stderr)
        XCTAssertTrue(opened.output.hasPrefix("agenda \(meeting) for police, issued "), opened.output)
        XCTAssertTrue(opened.output.contains("\n\(number)\tpolice\tno\tvisible-high-risk\t"), opened.output)
        XCTAssertEqual(opened.stderr, "", "the pack's content on standard output only")
        let json = try maracctl(["open", pack.path, "--json"] + keyArguments("police"))
        let content = try XCTUnwrap(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        XCTAssertEqual(content["recipient"] as? String, "police")
        XCTAssertEqual(content["meeting"] as? String, meeting)

        // Every refusal: nothing on standard output, the exact reason on standard error.
        let scratch = daemon.state.deletingLastPathComponent().appendingPathComponent("scratch")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let signers = daemon.state.appendingPathComponent("outbox/police/signing-certificates.pem").path
        func refused(_ arguments: [String], status: Int32 = 65, _ message: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let result = try maracctl(["open"] + arguments)
            XCTAssertEqual(result.status, status, result.stderr, file: file, line: line)
            XCTAssertEqual(result.stdout, Data(), "nothing printed", file: file, line: line)
            XCTAssertTrue(result.stderr.hasPrefix("maracctl: ") && result.stderr.contains(message), result.stderr, file: file, line: line)
            XCTAssertFalse(result.stderr.contains("Quinn"), "no name in a refusal", file: file, line: line)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path).sorted(), try scratchNames(), "no file written", file: file, line: line)
        }
        var scratchFiles: [String] = []
        func scratchNames() throws -> [String] { scratchFiles.sorted() }
        func copy(_ bytes: [UInt8], _ name: String) throws -> String {
            let url = scratch.appendingPathComponent(name)
            try Data(bytes).write(to: url)
            scratchFiles.append(name)
            return url.path
        }

        try refused([pack.path] + keyArguments("health"), "not opened")
        let original = [UInt8](try Data(contentsOf: pack))
        for (name, offset) in [("tag.p7m", original.count - 3), ("ciphertext.p7m", original.count - 200)] {
            var flipped = original
            flipped[offset] ^= 0x01
            let path = try copy(flipped, name)
            try refused([path, "--agency", "police", "--signer", signers] + keyArguments("police"), "not opened")
            let stock = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/openssl"), ["cms", "-decrypt", "-binary", "-inform", "DER", "-in", path,
                "-recip", keyDirectory("police").appendingPathComponent("recipient.pem").path,
                "-inkey", keyDirectory("police").appendingPathComponent("recipient.key").path])
            XCTAssertNotEqual(stock.status, 0, "stock openssl refuses \(name) too")
        }
        let copied = try copy(original, "copied.p7m")
        try refused([copied, "--signer", signers] + keyArguments("police"), status: 64, "name the agency it is for with --agency")
        try refused([copied, "--agency", "health", "--signer", signers] + keyArguments("police"), "addressed to another agency than health")
        try refused([copied, "--agency", "police", "--signer", keyDirectory("health").appendingPathComponent("recipient.pem").path]
                    + keyArguments("police"), "the signature does not verify against the certificate in")

        // A tag that verifies over a signature that does not: the content changed inside
        // the signature, re-encrypted to police with stock openssl.
        let openssl = URL(fileURLWithPath: "/usr/bin/openssl")
        let signed = scratch.appendingPathComponent("signed.der").path
        XCTAssertEqual(try Subprocess.run(openssl, ["cms", "-decrypt", "-binary", "-inform", "DER", "-in", pack.path, "-out", signed,
            "-recip", keyDirectory("police").appendingPathComponent("recipient.pem").path,
            "-inkey", keyDirectory("police").appendingPathComponent("recipient.key").path]).status, 0)
        var inner = [UInt8](try Data(contentsOf: URL(fileURLWithPath: signed)))
        try FileManager.default.removeItem(atPath: signed)
        let needle = Array("\"agenda\"".utf8)
        let at = try XCTUnwrap((0...(inner.count - needle.count)).first { Array(inner[$0..<$0 + needle.count]) == needle })
        inner[at + 1] = UInt8(ascii: "A")
        let forgedInner = try copy(inner, "forged-inner.der")
        let forged = scratch.appendingPathComponent("forged.p7m").path
        let encrypted = try Subprocess.run(openssl, ["cms", "-encrypt", "-binary", "-aes-256-gcm", "-outform", "DER", "-in", forgedInner, "-out", forged,
            "-recip", keyDirectory("police").appendingPathComponent("recipient.pem").path,
            "-keyopt", "rsa_padding_mode:oaep", "-keyopt", "rsa_oaep_md:sha256", "-keyopt", "rsa_mgf1_md:sha256"])
        XCTAssertEqual(encrypted.status, 0, encrypted.stderr)
        scratchFiles.append("forged.p7m")
        try refused([forged, "--agency", "police", "--signer", signers] + keyArguments("police"), "the signature does not verify")
    }

    // MARK: - Signed exports

    func testExportsVerifyWithStockOpenSSLAndMaracctlAndAnotherAgencysDocumentsNeedItsApproval() throws {
        try daemon.start()
        let number = try policeCase()
        // Somewhere each principal may write, outside the state directory.
        let exports = daemon.state.deletingLastPathComponent().appendingPathComponent("exports")
        try FileManager.default.createDirectory(at: exports, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o1777])
        try FileManager.default.setAttributes([.posixPermissions: 0o711], ofItemAtPath: daemon.state.deletingLastPathComponent().path)
        let signers = daemon.state.appendingPathComponent("outbox/police/signing-certificates.pem").path
        let openssl = URL(fileURLWithPath: "/usr/bin/openssl")

        // Police exports its own case.
        let own = exports.appendingPathComponent("police-case.p7s").path
        let exported = try ok(["export", "case", number, "--out", own, "--basis", "dpa-s1-p18", "--reason", "court order"], as: Self.police)
        XCTAssertTrue(exported.output.hasPrefix("export of case \(number) (1 document) written to \(own)"), exported.output)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: own)[.posixPermissions] as? Int, 0o600)
        let stock = try Subprocess.run(openssl, ["cms", "-verify", "-binary", "-inform", "DER", "-in", own, "-CAfile", signers])
        XCTAssertEqual(stock.status, 0, stock.stderr)
        let content = try XCTUnwrap(try JSONSerialization.jsonObject(with: stock.stdout) as? [String: Any])
        XCTAssertEqual(content["type"] as? String, "export-case")
        let encoded = try XCTUnwrap((content["files"] as? [String: String])?.first { $0.key.hasPrefix("documents/") }?.value)
        XCTAssertEqual(Data(base64Encoded: encoded), Data(try RepositoryFixtures.bytes("valid/referral-police.json")), "the form as police sent it")
        let verified = try maracctl(["verify", own, "--cert", signers])
        XCTAssertEqual(verified.status, 0, verified.stderr)
        XCTAssertTrue(verified.output.hasPrefix("verified: export-case of case \(number), created "), verified.output)
        XCTAssertEqual(try ctl(["export", "case", number, "--out", own, "--basis", "dpa-s1-p18", "--reason", "again"], as: Self.police).status, 69,
                       "an export never replaces a file")

        // A flipped byte anywhere: refused, nothing printed.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: own)))
        for offset in [bytes.count / 2, bytes.count - 2] {
            bytes[offset] ^= 0x20
            let flipped = exports.appendingPathComponent("flipped-\(offset).p7s")
            try Data(bytes).write(to: flipped)
            bytes[offset] ^= 0x20
            let result = try maracctl(["verify", flipped.path, "--cert", signers])
            XCTAssertEqual(result.status, 65, result.stderr)
            XCTAssertEqual(result.stdout, Data())
            XCTAssertNotEqual(try Subprocess.run(openssl, ["cms", "-verify", "-binary", "-inform", "DER", "-in", flipped.path, "-CAfile", signers]).status, 0)
        }
        // The SignedData version altered outside the signature (stock openssl still verifies it).
        let versionAt = try XCTUnwrap((0..<(bytes.count - 3)).first { bytes[$0] == 0x02 && bytes[$0 + 1] == 0x01 && bytes[$0 + 2] == 0x01 })
        bytes[versionAt + 2] = 0x03
        let version3 = exports.appendingPathComponent("version-3.p7s")
        try Data(bytes).write(to: version3)
        bytes[versionAt + 2] = 0x01
        let refusedVersion = try maracctl(["verify", version3.path, "--cert", signers])
        XCTAssertEqual(refusedVersion.status, 65, refusedVersion.stderr)
        XCTAssertTrue(refusedVersion.stderr.contains("SignedData version is not 1"), refusedVersion.stderr)
        XCTAssertEqual(refusedVersion.stdout, Data())
        let stranger = try Certificate.selfSigned(commonName: "not the daemon", key: try PrivateKey.generateP256())
        let strangerFile = exports.appendingPathComponent("stranger.pem")
        try Data(stranger.pemRepresentation.utf8).write(to: strangerFile)
        XCTAssertEqual(try maracctl(["verify", own, "--cert", strangerFile.path]).status, 65, "another trust anchor")

        // The coordinator's export holds police's referral: it waits for police's approval.
        let theirs = exports.appendingPathComponent("coordinator-case.p7s").path
        let waiting = try ctl(["export", "case", number, "--out", theirs, "--basis", "dpa-s1-p18", "--reason", "review"])
        XCTAssertEqual(waiting.status, 75, waiting.stderr)
        let request = try XCTUnwrap(waiting.stderr.range(of: #"exp_[0-9a-f]{16}"#, options: .regularExpression).map { String(waiting.stderr[$0]) })
        XCTAssertEqual(waiting.stderr, "maracctl: the export holds other agencies' documents: request \(request) waits for the approval of police "
                       + "(a principal of each checks it with maracctl export show \(request), then runs: maracctl export approve \(request)); "
                       + "then run this again\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: theirs))
        // Police sees what it is asked to approve before it does (issue 24): the case, who,
        // the bases and reason, each document; health, not involved, sees nothing of it.
        let shown = try ok(["export", "show", request, "--json"], as: Self.police)
        let view = try XCTUnwrap(try JSONSerialization.jsonObject(with: shown.stdout) as? [String: Any])
        let createdAt = try XCTUnwrap(view["createdAt"] as? String)
        let documents = try XCTUnwrap(view["documents"] as? [[String: Any]])
        XCTAssertEqual(documents.count, 1)
        let referralID = try XCTUnwrap(documents.first?["document"] as? String)
        XCTAssertEqual(try ok(["export", "show", request], as: Self.police).output, """
            export request \(request) for case \(number)
              requested by Coordinator (idva) at \(createdAt)
              bases:  dpa-s1-p18
              reason: review
              documents:
                \(referralID)  referral  from police
              approvals:
                police: waiting (a principal of police runs: maracctl export approve \(request))

            """)
        let listed = try ok(["export", "list"], as: Self.police).output.split(separator: "\n")
        XCTAssertEqual(listed.count, 2, listed.joined(separator: "\n"))
        XCTAssertTrue(listed[0].hasPrefix("REQUEST"), String(listed[0]))
        XCTAssertEqual(listed[1].split(separator: " ", omittingEmptySubsequences: true).map(String.init),
                       [request, number, "Coordinator", "idva", String(createdAt.prefix(10)), "police", "-"])
        let notTheirs = try ctl(["export", "show", request], as: Self.health)
        XCTAssertEqual(notTheirs.status, 65)
        XCTAssertEqual(notTheirs.stderr, "maracctl: no export request \(request)\n", "as for one that does not exist")
        XCTAssertEqual(try ok(["export", "list"], as: Self.health).output, "no export requests for your agency\n")
        // Asked again for another purpose, it is another request: police approved this one's.
        let other = try ctl(["export", "case", number, "--out", theirs, "--basis", "dpa-s1-p18", "--reason", "another purpose"])
        XCTAssertEqual(other.status, 75)
        XCTAssertFalse(other.stderr.contains(request), other.stderr)
        XCTAssertEqual(try ctl(["export", "approve", request], as: Self.health).status, 77, "health gave nothing to approve")
        XCTAssertEqual(try ok(["export", "approve", request], as: Self.police).output, "export request \(request) approved; it may now be exported\n")
        try ok(["export", "case", number, "--out", theirs, "--basis", "dpa-s1-p18", "--reason", "review"])
        XCTAssertEqual(try maracctl(["verify", theirs, "--cert", signers]).status, 0)
        XCTAssertEqual(try logEntries("consent").count, 3, "the two requests and police's approval of the first")
        XCTAssertTrue(try ok(["export", "show", request], as: Self.police).output.contains("  exported at "), "a request is used once")

        // The IG officer's audit export: every entry proved in a signed checkpoint.
        let audit = exports.appendingPathComponent("audit.p7s").path
        try ok(["export", "audit", "--out", audit, "--reason", "quarterly review"], as: Self.ig)
        let checked = try maracctl(["verify", audit, "--cert", signers, "--json"])
        XCTAssertEqual(checked.status, 0, checked.stderr)
        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: checked.stdout) as? [String: Any])
        XCTAssertEqual(summary["files"] as? [String], ["log/entries.jsonl", "log/proofs.json", "log/checkpoint.txt"])
        XCTAssertEqual(try Subprocess.run(openssl, ["cms", "-verify", "-binary", "-inform", "DER", "-in", audit, "-CAfile", signers, "-out", "/dev/null"]).status, 0)
        XCTAssertEqual(try ctl(["export", "audit", "--out", exports.appendingPathComponent("no.p7s").path], as: Self.police).status, 77)
    }
}
