import Foundation
import TestSupport
import Vault
import XCTest

/// The real `maracd` on a temporary state directory: forms in, receipts and reports out,
/// nothing left in the inbox, no plaintext anywhere else.
final class DaemonTests: XCTestCase {
    var daemon: DaemonHarness!
    override func setUpWithError() throws { daemon = try DaemonHarness() }
    override func tearDown() { daemon.cleanUp() }

    static let plaintextMarkers = ["Tamsin Quinn", "Nadia Yilmaz", "Mill Lane", "Kyle Carter", "Zofia Lambert", "Oakfield Academy"]

    func sqlite(_ query: String) throws -> String {
        let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [daemon.state.appendingPathComponent("vault.db").path, query])
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Every shared fixture, dropped by rename or written slowly in place: the valid ones
    /// get signed receipts that openssl verifies, the invalid ones reports naming the
    /// expected paths, the inboxes end empty, and no form's content is anywhere but in
    /// encrypted form.
    func testEveryFixtureIsReceiptedOrReportedAndTheInboxEmpties() throws {
        try daemon.start()
        let police = try RepositoryFixtures.bytes("valid/referral-police.json")
        try daemon.drop(police, as: "referral-police.json", agency: "police")
        let firstReceipt = daemon.receipt(for: police)
        try daemon.waitFor("the first receipt") { FileManager.default.fileExists(atPath: firstReceipt.path) }
        let content = try verifiedReceipt(firstReceipt)
        XCTAssertEqual(content["sha256"] as? String, Hex.encode(SHA256.hash(police)))
        let caseNumber = try XCTUnwrap(content["case"] as? String)
        XCTAssertTrue(caseNumber.hasPrefix("M-") && caseNumber.hasSuffix("-0001"), caseNumber)

        // Research is taken only from agencies invited to a meeting with the case on its agenda.
        let meeting = try XCTUnwrap(try daemon.ask(["meeting", "create", "--date", PrincipalsTestCase.day(in: 3)]).output.split(separator: " ").first)
        try daemon.ask(["meeting", "add-case", String(meeting), caseNumber])
        try daemon.ask(["meeting", "invite", String(meeting), "health,police"])
        // The research fixture names the first case: as its README says, use ours.
        var research = try RepositoryFixtures.bytes("valid/research-health-for-first-case.json")
        research = Array(String(decoding: research, as: UTF8.self).replacingOccurrences(of: "M-2026-0001", with: caseNumber).utf8)
        var expectedReceipts = ["police": [police], "health": [[UInt8]]()]
        var expectedReports: [String: [[UInt8]]] = ["police": [], "health": []]
        var slow = false
        for name in try RepositoryFixtures.files("valid") + RepositoryFixtures.files("invalid") where name != "valid/referral-police.json" {
            let agency = RepositoryFixtures.agency(for: name)
            let file = (name as NSString).lastPathComponent
            let bytes = name.contains("research") ? research : try RepositoryFixtures.bytes(name)
            if slow { try daemon.slowWrite(bytes, as: file, agency: agency, chunks: 3, pause: 0.15) } else { try daemon.drop(bytes, as: file, agency: agency) }
            slow.toggle()
            // The valid action update names an action this fresh vault does not have: reported.
            if name.hasPrefix("valid/") && !name.contains("action-update") { expectedReceipts[agency]!.append(bytes) } else { expectedReports[agency]!.append(bytes) }
        }
        try daemon.waitFor("every receipt and report", timeout: 30) {
            ["police", "health"].allSatisfy {
                daemon.names(daemon.receipts($0)).count == expectedReceipts[$0]!.count
                    && daemon.names(daemon.rejected($0)).count == expectedReports[$0]!.count
            }
        }
        XCTAssertEqual(daemon.stop(), 0)

        for agency in ["police", "health"] {
            XCTAssertEqual(daemon.names(daemon.inbox(agency)), [], "\(agency) inbox is empty")
            XCTAssertEqual(daemon.names(daemon.receipts(agency)), expectedReceipts[agency]!.map { daemon.receipt(for: $0, agency: agency).lastPathComponent }.sorted())
            XCTAssertEqual(daemon.names(daemon.rejected(agency)), expectedReports[agency]!.map { daemon.report(for: $0, agency: agency).lastPathComponent }.sorted())
            for bytes in expectedReceipts[agency]! {
                let receipt = try verifiedReceipt(daemon.receipt(for: bytes, agency: agency))
                XCTAssertEqual(receipt["agency"] as? String, agency)
                XCTAssertEqual(receipt["sha256"] as? String, Hex.encode(SHA256.hash(bytes)))
            }
        }
        // Each report names the path EXPECTED.tsv gives; unparseable files a syntax error.
        let expected = try String(contentsOf: RepositoryFixtures.directory.appendingPathComponent("EXPECTED.tsv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: "\t").map(String.init) }
        var paths: [String: String] = [:]
        for row in expected { paths[(row[0] as NSString).lastPathComponent] = row[1] }
        for name in try RepositoryFixtures.files("invalid") {
            let file = (name as NSString).lastPathComponent
            let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: daemon.report(
                for: try RepositoryFixtures.bytes(name), agency: RepositoryFixtures.agency(for: name)))) as? [String: Any])
            XCTAssertEqual(report["fileNameSHA256"] as? String, Hex.encode(SHA256.hash(Array(file.utf8))))
            let problems = try XCTUnwrap(report["problems"] as? [[String: String]])
            XCTAssertEqual(report["disposition"] as? String, "quarantined")
            if let path = paths[file] {
                XCTAssertTrue(problems.contains { $0["path"] == path }, "\(file): \(problems)")
            } else {
                XCTAssertEqual(problems.map { $0["rule"] }, ["syntax"], file)
            }
        }
        let unknownAction = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: daemon.report(
            for: try RepositoryFixtures.bytes("valid/action-update-police.json")))) as? [String: Any])
        XCTAssertEqual((unknownAction["problems"] as? [[String: String]])?.map { $0["path"]! + " " + $0["rule"]! }, ["$.action unknown-action"])
        XCTAssertEqual(try sqlite("SELECT kind || '=' || count(*) FROM document GROUP BY kind ORDER BY kind"),
                       "iswc=1\nquarantine=16\nreferral=2\nresearch=1")
        for (name, bytes) in try daemon.filesOutsideInboxes() {
            for marker in Self.plaintextMarkers {
                XCTAssertNil(Data(bytes).range(of: Data(marker.utf8)), "\(marker) in \(name)")
            }
        }
        XCTAssertFalse(Self.plaintextMarkers.contains { daemon.log.contains($0) }, "no name in the log")
    }

    /// The same file dropped again is the same document: the same receipt (same
    /// document, same time of receipt) under the same name, no second copy.
    func testResubmittingIsIdempotent() throws {
        try daemon.start()
        let police = try RepositoryFixtures.bytes("valid/referral-police.json")
        try daemon.drop(police, as: "first.json", agency: "police")
        try daemon.waitFor("the first receipt") { daemon.names(daemon.receipts("police")).count == 1 }
        let first = try verifiedReceipt(daemon.receipt(for: police))
        try daemon.drop(police, as: "again.json", agency: "police")
        try daemon.waitFor("the second file to be taken") { daemon.log.contains("ingest.duplicate") && daemon.names(daemon.inbox("police")).isEmpty }
        let again = try verifiedReceipt(daemon.receipt(for: police))
        XCTAssertEqual(daemon.names(daemon.receipts("police")).count, 1)
        XCTAssertEqual(first["document"] as? String, again["document"] as? String)
        XCTAssertEqual(first["receivedAt"] as? String, again["receivedAt"] as? String)
        XCTAssertEqual(again["fileNameSHA256"] as? String, Hex.encode(SHA256.hash(Array("again.json".utf8))))
        XCTAssertEqual(daemon.stop(), 0)
        XCTAssertEqual(try sqlite("SELECT count(*) FROM document"), "1")
    }

    /// A repeat is recorded for the coordinator, but the referring agency's receipt does
    /// not say so: that would disclose another agency's earlier referral.
    func testARepeatIsRecordedButNotDisclosedInTheReceipt() throws {
        try daemon.start()
        let first = try RepositoryFixtures.bytes("valid/referral-police.json")
        let second = Array(String(decoding: first, as: UTF8.self).replacingOccurrences(of: "Works as a security guard.", with: "Unemployed.").utf8)
        try daemon.drop(first, as: "first.json", agency: "police")
        try daemon.waitFor("the first receipt") { daemon.names(daemon.receipts("police")).count == 1 }
        try daemon.drop(second, as: "second.json", agency: "police")
        try daemon.waitFor("the second receipt") { daemon.names(daemon.receipts("police")).count == 2 }
        let receipt = try verifiedReceipt(daemon.receipt(for: second))
        XCTAssertEqual(Set(receipt.keys), ["agency", "case", "document", "fileNameSHA256", "kind", "receivedAt", "sha256", "v"])
        XCTAssertEqual(daemon.stop(), 0)
        XCTAssertEqual(try sqlite("SELECT number || '>' || repeat_of FROM x_case WHERE repeat_of IS NOT NULL"),
                       "\(receipt["case"] as? String ?? "?")>" + (try verifiedReceipt(daemon.receipt(for: first))["case"] as? String ?? "?"))
    }

    /// SIGHUP with a broken configuration keeps the old one and keeps working; a good one
    /// is applied; SIGTERM stops with status 0.
    func testReloadKeepsTheOldConfigurationOnErrorAndTermStopsCleanly() throws {
        try daemon.start()
        let pid = try XCTUnwrap(daemon.process?.processIdentifier)
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        XCTAssertTrue(status.contains("Umask:\t0077"), "umask 077")
        let limits = try String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)
        let core = try XCTUnwrap(limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") })
        XCTAssertEqual(core.split(separator: " ").filter { !$0.isEmpty }.dropFirst(4).prefix(2), ["0", "0"], "no core dumps")

        try Data(#"{"stateDirectory": "/nowhere", "inbox": {"colour": "red"}}"#.utf8).write(to: daemon.configPath)
        kill(pid, SIGHUP)
        try daemon.waitFor("the reload to fail") { daemon.log.contains("config.reload_failed") }
        try daemon.drop(try RepositoryFixtures.bytes("valid/iswc-health.json"), as: "iswc.json", agency: "health")
        try daemon.waitFor("a receipt after the failed reload") { daemon.names(daemon.receipts("health")).count == 1 }

        try daemon.writeConfig(#""log": {"level": "debug"}"#)
        kill(pid, SIGHUP)
        try daemon.waitFor("the reload") { daemon.log.contains("config.reloaded") }
        XCTAssertEqual(daemon.stop(SIGTERM), 0)
        XCTAssertTrue(daemon.log.contains("daemon.stopped"))
    }

    /// Receipts and reports older than the outbox retention are removed by the sweep at
    /// start (and hourly); newer ones stay.
    func testOldReceiptsAreRemovedAfterTheOutboxRetention() throws {
        try daemon.writeConfig(#""ingest": {"outboxRetentionDays": 30}"#)
        try daemon.start()
        let police = try RepositoryFixtures.bytes("valid/referral-police.json")
        let fresh = daemon.receipt(for: police).lastPathComponent
        try daemon.drop(police, as: "new.json", agency: "police")
        try daemon.waitFor("the receipt") { daemon.names(daemon.receipts("police")) == [fresh] }
        XCTAssertEqual(daemon.stop(), 0)
        let old = daemon.receipts("police").appendingPathComponent("0123456789abcdef0123456789abcdef.receipt")
        try Data("old".utf8).write(to: old)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-31 * 86_400)], ofItemAtPath: old.path)
        try daemon.start()
        try daemon.waitFor("the old receipt to go") { daemon.names(daemon.receipts("police")) == [fresh] }
        XCTAssertEqual(daemon.stop(), 0)
        XCTAssertTrue(daemon.log.contains("outbox.pruned count=1"))
    }

    /// The shipped example configuration, legal bases and principals are valid as they stand.
    func testTheShippedExampleConfigurationIsValid() throws {
        let repository = RepositoryFixtures.directory.deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        var text = try String(contentsOf: repository.appendingPathComponent("config/maracd.example.json"), encoding: .utf8)
        text = text.replacingOccurrences(of: "/etc/maracd/legal-bases.json", with: repository.appendingPathComponent("config/legal-bases.json").path)
            .replacingOccurrences(of: "/etc/maracd/principals.json", with: repository.appendingPathComponent("config/principals.example.json").path)
        try Data(text.utf8).write(to: daemon.configPath)
        let result = try Subprocess.run(CLITests.products.appendingPathComponent("maracd"), ["--check-config", daemon.configPath.path])
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    func testCheckConfigAndRootRefusal() throws {
        let maracd = CLITests.products.appendingPathComponent("maracd")
        let good = try Subprocess.run(maracd, ["--check-config", daemon.configPath.path])
        XCTAssertEqual(good.status, 0, good.stderr)
        XCTAssertEqual(good.output, "maracd: configuration \(daemon.configPath.path) is valid\n")

        try Data(#"{"stateDirectory": "s", "inbox": {"colour": "red", "maxFileBytes": "big"}, "logg": {}}"#.utf8).write(to: daemon.configPath)
        let bad = try Subprocess.run(maracd, ["--check-config", daemon.configPath.path])
        XCTAssertEqual(bad.status, 78)
        XCTAssertEqual(bad.stderr, "maracd: configuration: \(daemon.configPath.path): $.logg: unknown key; $.inbox.colour: unknown key; "
                       + "$.inbox.maxFileBytes: must be an integer from 1024 to 16777216\n")

        try daemon.writeConfig("")
        if geteuid() == 0 {
            let root = try Subprocess.run(maracd, ["--config", daemon.configPath.path])
            XCTAssertEqual(root.status, 77)
            XCTAssertEqual(root.stderr, "maracd: refusing to run as root (use a dedicated user, or --allow-root)\n")
        }
    }

    /// The receipt's content, after `openssl cms -verify` against the published certificates.
    func verifiedReceipt(_ url: URL) throws -> [String: Any] {
        let certificates = url.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("signing-certificates.pem")
        let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/openssl"),
                                        ["cms", "-verify", "-inform", "DER", "-in", url.path, "-CAfile", certificates.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("Verification successful"), result.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
    }
}


/// The daemon as it runs in production: an unprivileged user, and agencies' SFTP groups
/// on their own inbox and outbox.
final class UnprivilegedDaemonTests: XCTestCase {
    var daemon: DaemonHarness!
    override func setUpWithError() throws {
        try XCTSkipUnless(geteuid() == 0, "needs root to hand the state directory to another uid")
        daemon = try DaemonHarness(extraConfig: #""inbox": {"agencyAccess": "group", "rescanIntervalSeconds": 0.5}"#)
    }
    override func tearDown() { daemon?.cleanUp() }

    let daemonUID: UInt32 = 65_534, agencyGroup: UInt32 = 100

    /// The administrator's set-up (deploy/README.md): the agency's directories carry its
    /// group, set-group-ID; everything else belongs to the daemon's user.
    private func prepareStateForTheDaemonUser() throws {
        for (path, mode) in [("inbox", 0o700), ("outbox", 0o700), ("inbox/police", 0o2770), ("outbox/police", 0o2750)] {
            let url = daemon.state.appendingPathComponent(path)
            XCTAssertEqual(mkdir(url.path, 0o700), 0)
            XCTAssertEqual(chown(url.path, daemonUID, path.contains("police") ? agencyGroup : daemonUID), 0)
            XCTAssertEqual(chmod(url.path, mode_t(mode)), 0)
        }
        let root = daemon.state.deletingLastPathComponent()
        let chown = try Subprocess.run(URL(fileURLWithPath: "/bin/chown"), ["-R", "--from=0:0", "\(daemonUID):\(daemonUID)", root.path])
        XCTAssertEqual(chown.status, 0, chown.stderr)
    }

    /// A file the SFTP client left 0600 for its own user: reported once, left in place,
    /// and taken as soon as the agency makes it readable.
    func testAnUnreadableFileIsReportedOnceAndTakenWhenMadeReadable() throws {
        try prepareStateForTheDaemonUser()
        try daemon.start(asUser: Int(daemonUID))
        let police = try RepositoryFixtures.bytes("valid/referral-police.json")
        let path = daemon.inbox("police").appendingPathComponent("locked.json").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(police), attributes: [.posixPermissions: 0o600]))
        XCTAssertEqual(chown(path, 1234, 1234), 0)
        try daemon.waitFor("the report") { daemon.names(daemon.rejected("police")).count == 1 }
        let report = try XCTUnwrap(try daemon.report(aboutFileNamed: Array("locked.json".utf8)))
        XCTAssertEqual((report["problems"] as? [[String: String]])?.map { $0["rule"] }, ["unreadable"])
        XCTAssertEqual(report["disposition"] as? String, "left in the inbox")
        try daemon.waitForRescans(4)
        XCTAssertEqual(daemon.names(daemon.rejected("police")).count, 1, "reported once, not at every rescan")
        XCTAssertEqual(daemon.log.components(separatedBy: "inbox.unreadable").count - 1, 1)
        XCTAssertEqual(daemon.names(daemon.inbox("police")), ["locked.json"], "left where the agency put it, unread")

        XCTAssertEqual(chmod(path, 0o644), 0)
        try daemon.waitFor("the receipt") { FileManager.default.fileExists(atPath: daemon.receipt(for: police).path) }
        XCTAssertEqual(daemon.stop(), 0)
        XCTAssertEqual(daemon.names(daemon.inbox("police")), [])
    }

    func testRunsAsItsOwnUserAndSharesOnlyWithTheAgencysGroup() throws {
        try prepareStateForTheDaemonUser()
        try daemon.start(asUser: Int(daemonUID))
        let pid = try XCTUnwrap(daemon.process?.processIdentifier)
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        XCTAssertTrue(status.contains("Uid:\t65534\t65534\t65534\t65534"), status)
        // Not dumpable (PR_SET_DUMPABLE 0): the kernel then gives the process's /proc
        // files to root, so its own uid cannot ptrace it or read its memory.
        var proc = stat()
        XCTAssertEqual(stat("/proc/\(pid)/mem", &proc), 0)
        XCTAssertEqual(proc.st_uid, 0, "a dumpable process's /proc files belong to its own uid")

        let police = try RepositoryFixtures.bytes("valid/referral-police.json")
        try daemon.drop(police, as: "referral.json", agency: "police")
        let receipt = daemon.receipt(for: police)
        try daemon.waitFor("the receipt") { FileManager.default.fileExists(atPath: receipt.path) }
        XCTAssertEqual(daemon.stop(), 0)

        var info = stat()
        XCTAssertEqual(stat(receipt.path, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o640, "readable by the agency's group, nobody else")
        XCTAssertEqual(info.st_gid, agencyGroup, "the group comes from the set-group-ID directory")
        XCTAssertEqual(info.st_uid, daemonUID)
        XCTAssertEqual(stat(daemon.receipts("police").path, &info), 0)
        XCTAssertEqual(info.st_gid, agencyGroup)
        XCTAssertEqual(info.st_mode & 0o7777, 0o2750)
        XCTAssertEqual(stat(daemon.state.appendingPathComponent("vault.db").path, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
    }
}

/// Receipts keep verifying across a signing-key rotation done through the running daemon.
final class SigningRotationWhileRunningTests: XCTestCase {
    var daemon: DaemonHarness!
    override func setUpWithError() throws {
        daemon = try DaemonHarness()
        try daemon.useKeyCustodian()
    }
    override func tearDown() { daemon.cleanUp() }

    func testReceiptsAfterARotationVerifyWithTheRepublishedCertificates() throws {
        try daemon.start()
        let entriesBefore = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"),
                                               [daemon.state.appendingPathComponent("vault.db").path, "SELECT count(*) FROM log_entry"]).output
        try DaemonHarness.ctl(["key", "rotate", "--signing", "--state", daemon.state.path])
        // One entry for the operation, in the log's one schema, naming the key custodian
        // (there was a second, unnamed one in the vault's own format).
        let rotation = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [daemon.state.appendingPathComponent("vault.db").path,
            "SELECT CAST(entry AS TEXT) FROM log_entry WHERE seq >= \(entriesBefore.trimmingCharacters(in: .whitespacesAndNewlines)) ORDER BY seq"])
            .output.split(separator: "\n").filter { $0.contains("signing-rotate") || $0.contains("rotated") }
        XCTAssertEqual(rotation.count, 1, rotation.joined(separator: "\n"))
        for field in [#""operation":"registry""#, #""action":"signing-rotate""#, #""actor":{"agency":"idva","person":"Test custodian"}"#] {
            XCTAssertTrue(rotation.first?.contains(field) == true, "\(field) in \(rotation)")
        }
        let pem = daemon.state.appendingPathComponent("outbox/police/signing-certificates.pem")
        try daemon.waitFor("the certificates to be republished") {
            ((try? String(contentsOf: pem, encoding: .utf8)) ?? "").components(separatedBy: "BEGIN CERTIFICATE").count - 1 == 2
        }
        let police = try RepositoryFixtures.bytes("valid/referral-police.json")
        try daemon.drop(police, as: "after.json", agency: "police")
        let receipt = daemon.receipt(for: police)
        try daemon.waitFor("the receipt") { FileManager.default.fileExists(atPath: receipt.path) }
        XCTAssertEqual(daemon.stop(), 0)
        let verify = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/openssl"),
                                        ["cms", "-verify", "-inform", "DER", "-in", receipt.path, "-CAfile", pem.path, "-out", "/dev/null"])
        XCTAssertEqual(verify.status, 0, verify.stderr)
        // Signed with the new key: it verifies against the new certificate alone, not the old.
        let blocks = try String(contentsOf: pem, encoding: .utf8).components(separatedBy: "-----END CERTIFICATE-----\n")
            .filter { !$0.isEmpty }.map { $0 + "-----END CERTIFICATE-----\n" }
        XCTAssertEqual(blocks.count, 2)
        for (index, block) in blocks.enumerated() {
            let single = daemon.state.deletingLastPathComponent().appendingPathComponent("cert-\(index).pem")
            try Data(block.utf8).write(to: single)
            let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/openssl"),
                                            ["cms", "-verify", "-inform", "DER", "-in", receipt.path, "-CAfile", single.path, "-out", "/dev/null"])
            XCTAssertEqual(result.status == 0, index == 1, "certificate \(index): \(result.stderr)")
        }
    }
}

/// Nothing secret or personal reaches any output: every maracctl verb this build has, and
/// the daemon's log over a run that takes and refuses forms.
final class OutputHygieneTests: XCTestCase {
    var daemon: DaemonHarness!
    override func setUpWithError() throws { daemon = try DaemonHarness() }
    override func tearDown() { daemon.cleanUp() }

    func testNoKeyNoNameAndNoContentInAnyOutput() throws {
        let maracctl = CLITests.products.appendingPathComponent("maracctl")
        var outputs: [String] = []
        func run(_ arguments: [String]) throws {
            let result = try Subprocess.run(maracctl, arguments)
            outputs += [result.output, result.stderr]
        }
        let state = daemon.state.path
        let firstKey = try Data(contentsOf: daemon.state.appendingPathComponent("master.key"))  // before the root rotation
        try run(["agency", "list", "--state", state])
        try run(["agency", "list", "--state", state, "--json", "--all"])
        try run(["agency", "add", "Tamsin Quinn", "--kind", "health", "--name", "GP", "--state", state])
        try run(["agency", "add", "gp", "--kind", "health", "--name", "", "--state", state])
        try run(["agency", "add", "gp", "--kind", "Tamsin Quinn", "--name", "GP", "--state", state])
        try run(["key", "status", "--state", state])
        try run(["key", "rotate", "--agency", "police", "--state", state])
        try run(["key", "rotate", "--signing", "--state", state])
        try run(["key", "rotate", "--root", "--state", state])

        // The daemon's verbs too: root is a Marac-wide IG officer and the coordinator; the
        // socket is where another uid can reach it (with the control group).
        let socketDirectory = DaemonHarness.socketDirectory(group: 4_700)
        defer { try? FileManager.default.removeItem(at: socketDirectory) }
        let socket = socketDirectory.appendingPathComponent("maracd.sock").path
        try daemon.useMaracWideIGOfficer()
        try daemon.writeConfig(#""principalsFile": "\#(daemon.principalsPath.path)", "control": {"socketPath": "\#(socket)", "socketGroup": 4700}"#)
        try daemon.registerRecipients(["police", "health", "idva"])
        try daemon.start()
        for name in try RepositoryFixtures.files("valid") + RepositoryFixtures.files("invalid") where !name.contains("research") {
            try daemon.drop(try RepositoryFixtures.bytes(name), as: (name as NSString).lastPathComponent, agency: RepositoryFixtures.agency(for: name))
        }
        try daemon.waitFor("every file to be taken") {
            ["police", "health"].allSatisfy { daemon.names(daemon.inbox($0)).isEmpty }
        }
        // A file leaves the inbox when it is claimed, before its batch commits: wait for the case itself.
        var cases: [[String: Any]]?
        try daemon.waitFor("the first case stored") {
            cases = (try? Subprocess.run(maracctl, ["case", "list", "--json", "--socket", socket]).stdout)
                .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [[String: Any]] }
            return !(cases ?? []).isEmpty
        }
        let number = try XCTUnwrap(cases?.first?["case"] as? String)
        let meeting = String(try Subprocess.run(maracctl, ["meeting", "create", "--date", PrincipalsTestCase.day(in: 3), "--socket", socket]).output.prefix { $0 != " " })
        for arguments in [["status"], ["meeting", "invite", meeting, "police,health,idva"], ["meeting", "add-case", meeting, number],
                          ["meeting", "send-agenda", meeting], ["meeting", "open", meeting], ["meeting", "declare", meeting, "--yes"],
                          ["meeting", "show", meeting], ["meeting", "list", "--json"], ["case", "show", number],
                          ["case", "show", number, "--json"], ["audit", "log"], ["audit", "log", "--json"], ["audit", "report"],
                          ["audit", "report", "--json"], ["audit", "checkpoint"], ["audit", "prove", "0"], ["audit", "verify"],
                          ["meeting", "close", meeting]] {
            try run(arguments + ["--socket", socket])
        }
        // The governance verbs: the person searched for is in a file, never on the command
        // line, and never in any output.
        let person = daemon.state.deletingLastPathComponent().appendingPathComponent("person.txt")
        try Data("1993-11-13\nTamsin Quinn\nNadia Yilmaz\n".utf8).write(to: person)
        let export = daemon.state.deletingLastPathComponent().appendingPathComponent("subject.p7s").path
        for arguments in [["subject", "search", "--subject-file", person.path, "--reason", "subject access request"],
                          ["subject", "export", "--subject-file", person.path, "--reason", "subject access request", "--out", export],
                          ["retention", "run", "--dry-run"], ["case", "hold", number, "--reason", "civil claim"], ["case", "release", number],
                          ["export", "audit", "--out", export + ".audit", "--reason", "review"], ["key", "status"]] {
            try run(arguments + ["--socket", socket])
        }
        try run(["verify", export, "--cert", daemon.state.appendingPathComponent("outbox/police/signing-certificates.pem").path])
        // A read: the form itself goes to standard output (that is the disclosure, which
        // proves the needles below would be found); everything else it prints is checked.
        let shown = try JSONSerialization.jsonObject(with: try Subprocess.run(maracctl, ["case", "show", number, "--json", "--socket", socket]).stdout) as? [String: Any]
        let referral = try XCTUnwrap((shown?["documents"] as? [[String: String]])?.first?["document"])
        let read = try Subprocess.run(maracctl, ["doc", "read", referral, "--reason", "first contact", "--socket", socket])
        XCTAssertTrue(read.output.contains("Tamsin Quinn") || read.output.contains("Nadia Yilmaz"), "the read returns the form: \(read.stderr)")
        outputs.append(read.stderr)
        // The coordinator's case list says who each case is about: a disclosure too, logged
        // as one read of the referrals; its stdout is that, its stderr is checked.
        let listed = try Subprocess.run(maracctl, ["case", "list", "--socket", socket])
        XCTAssertEqual(listed.status, 0, listed.stderr)
        XCTAssertTrue(listed.output.contains("about: Tamsin Quinn, born 1993-11-13"), "the list names the victim: \(listed.stderr)")
        outputs.append(listed.stderr)
        // A uid no principal has, sending a name as its verb and as an unknown member.
        let raw = """
            import json, socket, struct, sys
            for body in ({"v": 1, "verb": "Tamsin Quinn", "args": {}}, {"v": 1, "verb": "status", "Tamsin Quinn": 1}):
                s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); b = json.dumps(body).encode()
                s.sendall(struct.pack(">I", len(b)) + b); print(s.recv(65536)[4:].decode())
            """
        let stranger = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/setpriv"),
                                          ["--reuid=4799", "--regid=4700", "--clear-groups", "/usr/bin/python3", "-c", raw, socket])
        XCTAssertTrue(stranger.output.contains("unknown-principal") && stranger.output.contains("bad-request"), stranger.output + stranger.stderr)
        outputs += [stranger.output, stranger.stderr]
        XCTAssertEqual(daemon.stop(), 0)
        outputs.append(daemon.log)
        let log = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [daemon.state.appendingPathComponent("vault.db").path,
                                     "SELECT CAST(entry AS TEXT) FROM log_entry"])
        XCTAssertTrue(log.output.contains(#""verb":"(unknown)""#), "the stranger's refusal is logged, without its verb")
        outputs.append(log.output)

        var forbidden: [String] = []
        for key in [firstKey, try Data(contentsOf: daemon.state.appendingPathComponent("master.key"))] {
            forbidden += [Hex.encode(key), Hex.encode(key).uppercased(), key.base64EncodedString()].map { String($0.prefix(16)) }
        }
        forbidden += ["PRIVATE KEY", "Tamsin Quinn", "Nadia Yilmaz", "Mill Lane", "Disclosed during home visit", "1993-11-13"]
        for output in outputs {
            for needle in forbidden { XCTAssertFalse(output.contains(needle), "\(needle) reached an output") }
        }
        XCTAssertTrue(outputs.contains { $0.contains("ingest.accepted") } && outputs.contains { $0.contains("ingest.rejected") },
                      "the run did take and refuse forms")
    }
}
