import Foundation
import TestSupport
import XCTest

/// The governance verbs through the real daemon: `retention run` and `case hold/release`
/// (the coordinator's or an IG officer's, each change logged; when documents go is tested
/// with an injected clock in `RetentionTests`, the daemon's clock being the real one), and
/// `subject search/export` (an IG officer's, the person read from a file).
final class GovernanceCommandTests: XCTestCase {
    var daemon: DaemonHarness!
    override func setUpWithError() throws { daemon = try DaemonHarness() }
    override func tearDown() { daemon?.cleanUp() }

    func testHoldReleaseAndADryRunThroughTheDaemon() throws {
        try daemon.writeConfig(#""retention": {"caseDocumentDays": {"referral": 2192, "research": 365, "iswc": 30}}"#)
        try daemon.start()
        let referral = try RepositoryFixtures.bytes("valid/referral-police.json")
        try daemon.drop(referral, as: "r.json", agency: "police")
        try daemon.waitFor("the receipt") { FileManager.default.fileExists(atPath: daemon.receipt(for: referral).path) }

        let dry = try daemon.ask(["retention", "run", "--dry-run"])
        XCTAssertEqual(dry.output, "0 documents would be erased (dry run: nothing changed)\n")
        let held = try daemon.ask(["case", "hold", "M-2026-0001", "--reason", "civil claim"])
        XCTAssertEqual(held.output, "case M-2026-0001 is on legal hold: retention erases none of its documents until it is released\n")
        let again = try Subprocess.run(CLITests.products.appendingPathComponent("maracctl"),
                                       ["case", "hold", "M-2026-0001", "--reason", "x", "--state", daemon.state.path])
        XCTAssertEqual(again.status, 65)
        XCTAssertEqual(again.stderr, "maracctl: case M-2026-0001 is already on hold\n")
        XCTAssertEqual(try daemon.ask(["case", "release", "M-2026-0001"]).output, "case M-2026-0001 released from legal hold\n")
        let entries = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [daemon.state.appendingPathComponent("vault.db").path,
                                         "SELECT CAST(entry AS TEXT) FROM log_entry WHERE CAST(entry AS TEXT) LIKE '%legal hold%'"]).output
        XCTAssertEqual(entries.split(separator: "\n").count, 2, entries)
        XCTAssertTrue(entries.contains(#""justification":"legal hold placed: civil claim""#), entries)

        let bad = try Subprocess.run(CLITests.products.appendingPathComponent("maracd"), ["--check-config", daemon.configPath.path])
        XCTAssertEqual(bad.status, 0, bad.stderr)
    }

    func testAnUnknownKindInTheScheduleIsAConfigurationError() throws {
        try daemon.writeConfig(#""retention": {"caseDocumentDays": {"referal": 30}}"#)
        let checked = try Subprocess.run(CLITests.products.appendingPathComponent("maracd"), ["--check-config", daemon.configPath.path])
        XCTAssertNotEqual(checked.status, 0)
        XCTAssertTrue(checked.stderr.contains("$.retention.caseDocumentDays.referal: unknown key"), checked.stderr)
    }

    func testSubjectSearchReadsThePersonFromAFileNeverTheCommandLine() throws {
        try daemon.useMaracWideIGOfficer()
        try daemon.start()
        let referral = try RepositoryFixtures.bytes("valid/referral-police.json")
        try daemon.drop(referral, as: "r.json", agency: "police")
        try daemon.waitFor("the receipt") { FileManager.default.fileExists(atPath: daemon.receipt(for: referral).path) }
        let person = daemon.state.deletingLastPathComponent().appendingPathComponent("person.txt")
        try Data("1993-11-13\n  tamsin QUINN \n".utf8).write(to: person)
        let found = try daemon.ask(["subject", "search", "--subject-file", person.path, "--reason", "subject access request"])
        XCTAssertTrue(found.output.hasPrefix("M-2026-0001  referral  doc_"), found.output)
        XCTAssertTrue(found.output.hasSuffix("1 document about this person (the search is logged, the names are not)\n"), found.output)
        let export = daemon.state.deletingLastPathComponent().appendingPathComponent("subject.p7s").path
        let exported = try daemon.ask(["subject", "export", "--subject-file", person.path, "--reason", "subject access request", "--out", export])
        XCTAssertTrue(exported.output.hasPrefix("subject access export (1 document) written to \(export)"), exported.output)
        XCTAssertEqual(try Subprocess.run(CLITests.products.appendingPathComponent("maracctl"), [
            "verify", export, "--cert", daemon.state.appendingPathComponent("outbox/police/signing-certificates.pem").path]).status, 0)
        let noFile = try Subprocess.run(CLITests.products.appendingPathComponent("maracctl"),
                                        ["subject", "search", "--reason", "x", "--state", daemon.state.path])
        XCTAssertEqual(noFile.status, 64, "no names on a command line, no prompt without a terminal")
        XCTAssertTrue(noFile.stderr.hasPrefix("maracctl: give --subject-file FILE (or -), or run on a terminal to be asked\n"), noFile.stderr)
    }

    func testEveryOutboxHoldsTheDeploymentsSchemasAsSchemaExportWritesThem() throws {
        try daemon.start()
        let exported = daemon.state.deletingLastPathComponent().appendingPathComponent("schemas")
        XCTAssertEqual(try DaemonHarness.ctl(["schema", "export", "--out", exported.path, "--agency", "police"]).output,
                       "referral, research, iswc and action-update schemas with 22 legal basis codes written to \(exported.path), "
                       + "and a form page for each in \(exported.path)/forms/\n")
        for agency in ["police", "health"] {
            let published = daemon.state.appendingPathComponent("outbox/\(agency)/schemas")
            XCTAssertEqual(daemon.names(published), ["action-update.schema.json", "iswc.schema.json", "referral.schema.json", "research.schema.json"])
            for name in daemon.names(published) {
                XCTAssertEqual(try Data(contentsOf: published.appendingPathComponent(name)), try Data(contentsOf: exported.appendingPathComponent(name)), name)
            }
            // The form pages beside them, each the agency's own (docs/forms.md, "Forms agencies fill in").
            let forms = daemon.state.appendingPathComponent("outbox/\(agency)/forms")
            XCTAssertEqual(daemon.names(forms), ["action-update.html", "iswc.html", "referral.html", "research.html"])
            for name in daemon.names(forms) {
                let page = try Data(contentsOf: forms.appendingPathComponent(name)), police = try Data(contentsOf: exported.appendingPathComponent("forms/" + name))
                XCTAssertEqual(page == police, agency == "police", "\(agency)'s \(name): the same page as schema export --agency police writes only for police")
            }
        }
        let bad = try Subprocess.run(CLITests.products.appendingPathComponent("maracctl"), ["schema", "export", "--out", exported.path, "--agency", "Police Force"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.hasPrefix("maracctl: --agency takes an agency id (1 to 64 lower-case letters, digits and hyphens)\n"), bad.stderr)
    }
}
