import Foundation
import TestSupport
import Vault
import XCTest

/// `maracctl agency add`, `set-cert` and `list` as a key custodian runs them offline: each
/// certificate's fingerprint is the one `openssl x509 -fingerprint -sha256` prints, its
/// expiry is shown, one expiring within 30 days is warned about, and a refused
/// certificate changes nothing.
final class AgencyCommandTests: XCTestCase {
    var state = ""
    var work = ""

    override func setUpWithError() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("maracd-agencycmd-\(UUID().uuidString)").path
        state = base + "/state"
        work = base + "/work"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: state).deletingLastPathComponent().path) }

    private func maracctl(_ arguments: [String]) throws -> Subprocess {
        try Subprocess.run(CLITests.products.appendingPathComponent("maracctl"), arguments)
    }

    private func openssl(_ arguments: [String]) throws -> Subprocess {
        let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/openssl"), arguments)
        XCTAssertEqual(result.status, 0, result.stderr)
        return result
    }

    /// A self-signed certificate made by the CLI: `key` is `ec` (P-256) or `rsa:BITS`.
    private func certificate(_ name: String, key: String, days: Int) throws -> String {
        let keyOptions = key == "ec" ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] : ["-newkey", key]
        _ = try openssl(["req", "-x509", "-nodes", "-subj", "/CN=\(name) secure mail", "-days", "\(days)",
                         "-keyout", "\(work)/\(name).key", "-out", "\(work)/\(name).pem"] + keyOptions)
        return "\(work)/\(name).pem"
    }

    private func fingerprint(_ path: String) throws -> String {
        let printed = try openssl(["x509", "-noout", "-fingerprint", "-sha256", "-in", path]).output
        return String(try XCTUnwrap(printed.split(separator: "=", maxSplits: 1).last)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testListShowsFingerprintsAndExpiryAndWarnsAheadOfIt() throws {
        XCTAssertEqual(try maracctl(["init", "--state", state, "--name", "agency test"]).status, 0)
        let police = try certificate("police", key: "ec", days: 10)
        let health = try certificate("health", key: "rsa:2048", days: 400)
        for (id, kind, path) in [("police", "police", police), ("health", "health", health)] {
            let added = try maracctl(["agency", "add", id, "--name", "Test \(id)", "--kind", kind, "--cert", path, "--state", state])
            XCTAssertEqual(added.status, 0, added.stderr)
        }
        let idva = try maracctl(["agency", "add", "idva", "--name", "Test Idva", "--kind", "idva", "--state", state])
        XCTAssertEqual(idva.status, 0, idva.stderr)

        let listed = try maracctl(["agency", "list", "--state", state, "--json"])
        XCTAssertEqual(listed.status, 0, listed.stderr)
        let rows = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [[String: Any]])
        let byID = Dictionary(uniqueKeysWithValues: rows.map { ($0["id"] as? String ?? "", $0) })
        XCTAssertEqual(byID["police"]?["fingerprintSHA256"] as? String, try fingerprint(police))
        XCTAssertEqual(byID["health"]?["fingerprintSHA256"] as? String, try fingerprint(health))
        XCTAssertEqual(byID["police"]?["daysLeft"] as? Int, 9, "10 days less the seconds since it was made")
        XCTAssertEqual(byID["police"]?["needsRenewal"] as? Bool, true)
        XCTAssertEqual(byID["health"]?["needsRenewal"] as? Bool, false)
        XCTAssertEqual(byID["idva"]?["certificate"] as? Bool, false)
        XCTAssertNil(byID["idva"]?["fingerprintSHA256"])
        XCTAssertEqual(listed.stderr, "warning: agency police's certificate expires in 9 days (\(byID["police"]?["notAfter"] as? String ?? "?")): "
                       + "replace it with maracctl agency set-cert\n")

        let table = try maracctl(["agency", "list", "--state", state])
        XCTAssertEqual(table.status, 0, table.stderr)
        let policeLine = try XCTUnwrap(table.output.split(separator: "\n").first { $0.hasPrefix("police\t") })
        XCTAssertTrue(policeLine.contains("(9 days)\t\(try fingerprint(police))\tTest police"), String(policeLine))
        XCTAssertTrue(table.output.contains("idva\tidva\tactive\tno certificate\t-\tTest Idva"), table.output)

        // Replaced with a certificate good for a year: no warning any more.
        let renewed = try certificate("police-2027", key: "ec", days: 365)
        let replaced = try maracctl(["agency", "set-cert", "police", "--cert", renewed, "--state", state])
        XCTAssertEqual(replaced.status, 0, replaced.stderr)
        XCTAssertEqual(replaced.output, "agency police: certificate replaced\n")
        let after = try maracctl(["agency", "list", "--state", state])
        XCTAssertEqual(after.stderr, "")
        XCTAssertTrue(after.output.contains(try fingerprint(renewed)), after.output)
    }

    func testARefusedCertificateChangesNothing() throws {
        XCTAssertEqual(try maracctl(["init", "--state", state, "--name", "agency test"]).status, 0)
        let good = try certificate("police", key: "ec", days: 365)
        XCTAssertEqual(try maracctl(["agency", "add", "police", "--name", "Police", "--kind", "police", "--cert", good, "--state", state]).status, 0)
        let weak = try certificate("weak", key: "rsa:1024", days: 365)
        let refused = try maracctl(["agency", "set-cert", "police", "--cert", weak, "--state", state])
        XCTAssertEqual(refused.status, 65)
        XCTAssertEqual(refused.stderr, "maracctl: agency certificate: RSA 1024 keys are not accepted; use RSA 2048+ or EC P-256\n")
        let notACertificate = try maracctl(["agency", "set-cert", "police", "--cert", "\(work)/police.key", "--state", state])
        XCTAssertEqual(notACertificate.status, 65)
        XCTAssertEqual(notACertificate.stderr, "maracctl: \(work)/police.key: not a PEM or DER X.509 certificate\n")
        // A file that is not there, or cannot be read, says so (66), not that it is no certificate.
        for verb in [["set-cert", "police"], ["add", "health", "--name", "Health", "--kind", "health"]] {
            let missing = try maracctl(["agency"] + verb + ["--cert", "\(work)/no-such.pem", "--state", state])
            XCTAssertEqual(missing.status, 66, missing.stderr)
            XCTAssertEqual(missing.stderr, "maracctl: \(work)/no-such.pem: cannot be read\n")
        }
        let unreadable = try maracctl(["agency", "set-cert", "police", "--cert", work, "--state", state])
        XCTAssertEqual(unreadable.status, 66, "a directory is not readable as a file: \(unreadable.stderr)")
        let listed = try maracctl(["agency", "list", "--state", state])
        XCTAssertTrue(listed.output.contains(try fingerprint(good)), "the registered certificate is still the first one")
    }

    /// The daemon says at start (and daily) which agency's certificate needs replacing.
    func testTheDaemonWarnsOfACertificateAboutToExpire() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanUp() }
        let police = try certificate("police", key: "ec", days: 10)
        let health = try certificate("health", key: "ec", days: 400)
        try DaemonHarness.ctl(["agency", "set-cert", "police", "--cert", police, "--state", daemon.state.path])
        try DaemonHarness.ctl(["agency", "set-cert", "health", "--cert", health, "--state", daemon.state.path])
        try daemon.start()
        try daemon.waitFor("the certificate warning", timeout: 30) { daemon.log.contains("agency.certificate_expiring") }
        XCTAssertEqual(daemon.stop(), 0)
        let warnings = daemon.log.split(separator: "\n").filter { $0.contains("agency.certificate_") }
        XCTAssertEqual(warnings.count, 1, warnings.joined(separator: "\n"))
        XCTAssertTrue(warnings[0].contains("warning agency.certificate_expiring agency=police days_left=9 not_after="), String(warnings[0]))
    }

    /// `agency keygen` makes a recipient key pair that works: the stock CLI and our own
    /// CMS encrypt to the certificate and the key opens it; the key never lands in a
    /// state directory and nothing existing is overwritten.
    func testKeygenMakesAWorkingRecipientKeyOutsideTheStateDirectory() throws {
        let ec = work + "/police-keys"
        let made = try maracctl(["agency", "keygen", "--out", ec, "--name", "Police secure mail", "--organization", "Example Police"])
        XCTAssertEqual(made.status, 0, made.stderr)
        XCTAssertEqual(made.output, "private key: \(ec)/recipient.key (keep it with the agency; it opens the agency's packs)\n"
                       + "certificate: \(ec)/recipient.pem (register it: maracctl agency add ID ... --cert \(ec)/recipient.pem)\n")
        // Paths only: no line of the private key reaches the output.
        let keyLines = try String(contentsOfFile: ec + "/recipient.key", encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("-----") }
        XCTAssertFalse(keyLines.isEmpty)
        for line in keyLines { XCTAssertFalse((made.output + made.stderr).contains(line), "a line of the private key was printed") }
        let keyMode = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: ec + "/recipient.key")[.posixPermissions] as? Int)
        XCTAssertEqual(keyMode, 0o600)
        let text = try openssl(["x509", "-in", ec + "/recipient.pem", "-noout", "-text"]).output
        for expected in ["prime256v1", "Key Agreement", "E-mail Protection", "CA:FALSE", "Subject: CN = Police secure mail, O = Example Police"] {
            XCTAssertTrue(text.contains(expected), expected)
        }
        // Packs are encrypted to it: by the stock CLI and by the daemon's own CMS code.
        let content = Array("{\"meeting\":\"M-1\"}".utf8)
        try Data(content).write(to: URL(fileURLWithPath: work + "/content.json"))
        _ = try openssl(["cms", "-encrypt", "-binary", "-aes-256-gcm", "-in", work + "/content.json", "-outform", "DER",
                         "-out", work + "/by-openssl.p7m", "-recip", ec + "/recipient.pem", "-keyopt", "ecdh_kdf_md:sha256"])
        let certificate = try Certificate(contentsOfFile: ec + "/recipient.pem")
        try Data(try CMS.encrypt(content, to: [certificate])).write(to: URL(fileURLWithPath: work + "/by-us.p7m"))
        for pack in ["by-openssl", "by-us"] {
            _ = try openssl(["cms", "-decrypt", "-binary", "-inform", "DER", "-in", "\(work)/\(pack).p7m", "-recip", ec + "/recipient.pem",
                             "-inkey", ec + "/recipient.key", "-out", "\(work)/\(pack).out"])
            XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(work)/\(pack).out"))), content, pack)
        }
        XCTAssertEqual(try maracctl(["init", "--state", state, "--name", "agency test"]).status, 0)
        let added = try maracctl(["agency", "add", "police", "--name", "Police", "--kind", "police", "--cert", ec + "/recipient.pem", "--state", state])
        XCTAssertEqual(added.status, 0, added.stderr)

        // RSA, as a request for the agency's CA.
        let rsa = work + "/health-keys"
        XCTAssertEqual(try maracctl(["agency", "keygen", "--out", rsa, "--name", "Health secure mail", "--kind", "rsa", "--csr"]).status, 0)
        let request = try openssl(["req", "-in", rsa + "/recipient.csr", "-noout", "-verify", "-subject", "-text"])
        XCTAssertTrue(request.output.contains("subject=CN = Health secure mail"), request.output)
        XCTAssertTrue(request.output.contains("Public-Key: (3072 bit)"), request.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: rsa + "/recipient.pem"))

        // Nothing existing is overwritten; nothing is made inside a state directory.
        let before = try Data(contentsOf: URL(fileURLWithPath: ec + "/recipient.key"))
        let again = try maracctl(["agency", "keygen", "--out", ec, "--name", "Again"])
        XCTAssertEqual(again.status, 65)
        XCTAssertEqual(again.stderr, "maracctl: \(ec)/recipient.key: File exists\n")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: ec + "/recipient.key")), before)
        let inside = try maracctl(["agency", "keygen", "--out", state + "/outbox/keys", "--name", "Misplaced"])
        XCTAssertEqual(inside.status, 65)
        XCTAssertEqual(inside.stderr, "maracctl: \(state)/outbox/keys is inside a maracd state directory (\(state)): "
                       + "an agency's private key never goes there\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: state + "/outbox/keys"))
    }

    /// While the daemon runs, `agency add`, `set-cert` and `list` go through it: only a key
    /// custodian changes the registry, the change is logged under their name, and the
    /// daemon watches the new agency's inbox without a restart.
    func testWhileTheDaemonRunsTheRegistryChangesThroughItByAKeyCustodianOnly() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanUp() }
        try daemon.start()
        let mentalHealth = try certificate("mental-health", key: "ec", days: 365)
        let add = ["agency", "add", "mental-health", "--name", "Test mental health trust", "--kind", "mental-health",
                   "--cert", mentalHealth, "--state", daemon.state.path]

        // The harness's principal is the coordinator: refused (offline there are no roles,
        // so this answer came from the daemon).
        let refused = try maracctl(add)
        XCTAssertEqual(refused.status, 77)
        XCTAssertEqual(refused.stderr, "maracctl: not permitted: only a key custodian may register agencies\n")

        try daemon.useKeyCustodian()
        kill(try XCTUnwrap(daemon.process).processIdentifier, SIGHUP)
        try daemon.waitFor("the reload") { daemon.log.contains("config.reloaded") }
        let added = try maracctl(add)
        XCTAssertEqual(added.status, 0, added.stderr)
        XCTAssertEqual(added.output, "agency mental-health (mental-health) registered\n")
        let health = try certificate("health", key: "rsa:2048", days: 365)
        let replaced = try maracctl(["agency", "set-cert", "health", "--cert", health, "--state", daemon.state.path])
        XCTAssertEqual(replaced.status, 0, replaced.stderr)

        let listed = try maracctl(["agency", "list", "--json", "--state", daemon.state.path])
        XCTAssertEqual(listed.status, 0, listed.stderr)
        let rows = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [[String: Any]])
        let byID = Dictionary(uniqueKeysWithValues: rows.map { ($0["id"] as? String ?? "", $0) })
        XCTAssertEqual(byID["mental-health"]?["fingerprintSHA256"] as? String, try fingerprint(mentalHealth))
        XCTAssertEqual(byID["health"]?["fingerprintSHA256"] as? String, try fingerprint(health))
        try daemon.waitFor("the new inbox watched") { daemon.log.contains("inbox.watching agency=mental-health") }
        XCTAssertEqual(daemon.stop(), 0)

        let entries = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [daemon.state.appendingPathComponent("vault.db").path,
            "SELECT CAST(entry AS TEXT) FROM log_entry WHERE CAST(entry AS TEXT) LIKE '%Test custodian%' ORDER BY seq"]).output
        let lines = entries.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, entries)
        XCTAssertTrue(lines[0].contains(#""justification":"agency mental-health registered (mental-health)""#), String(lines[0]))
        XCTAssertTrue(lines[1].contains(#""justification":"agency health's recipient certificate replaced""#), String(lines[1]))
        XCTAssertTrue(lines.allSatisfy { $0.contains(#""operation":"registry""#) })
    }

    /// A daemon listening somewhere other than `<state>/run/maracd.sock` still holds the
    /// vault: an offline change is refused (75) and nothing is registered; with `--socket`
    /// it goes through the daemon.
    func testAnOfflineChangeIsRefusedWhileTheDaemonHoldsTheVault() throws {
        let daemon = try DaemonHarness()
        defer { daemon.cleanUp() }
        let socketDirectory = DaemonHarness.socketDirectory(group: getgid())
        defer { try? FileManager.default.removeItem(at: socketDirectory) }
        let socket = socketDirectory.appendingPathComponent("maracd.sock").path
        try daemon.useKeyCustodian()
        try daemon.writeConfig(#""principalsFile": "\#(daemon.principalsPath.path)", "control": {"socketPath": "\#(socket)"}"#)
        try daemon.start()
        let add = ["agency", "add", "education", "--name", "Test schools", "--kind", "education"]
        let refused = try maracctl(add + ["--state", daemon.state.path])
        XCTAssertEqual(refused.status, 75)
        XCTAssertEqual(refused.stderr, "maracctl: the daemon holds \(daemon.state.path) but is not listening at "
                       + "\(daemon.state.path)/run/maracd.sock: give its socket with --socket (agencies are changed through it while it runs)\n")
        let listed = try maracctl(["agency", "list", "--json", "--socket", socket])
        XCTAssertEqual(listed.status, 0, listed.stderr)
        XCTAssertFalse(listed.output.contains("education"), "nothing was registered")
        let added = try maracctl(add + ["--socket", socket])
        XCTAssertEqual(added.status, 0, added.stderr)
        XCTAssertEqual(daemon.stop(), 0)
    }
}
