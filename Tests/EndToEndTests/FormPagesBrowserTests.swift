import Foundation
import TestSupport
import XCTest

/// The form pages agencies fill in a browser (docs/forms.md, "Forms agencies fill in"),
/// driven in headless Chromium through Selenium (`Tests/Browser/fill_form.py`), as a
/// practitioner would, field by field: every valid fixture entered through its agency's
/// page is the fixture exactly, saves under a random name, and the saved file dropped into
/// the running daemon's inbox gets a receipt; every invalid fixture the page can represent
/// is refused by the page and by the daemon with the same JSON paths; the page keeps
/// nothing in the browser and logs no error (its content security policy loads nothing).
final class FormPagesBrowserTests: XCTestCase {
    var daemon: DaemonHarness!
    override func setUpWithError() throws { daemon = try DaemonHarness() }
    override func tearDown() { daemon.cleanUp() }

    struct Job: Encodable { let page: String, form: String, save: Bool }

    /// Runs the filler over `jobs` in one browser; its results.
    func fill(_ jobs: [Job], downloads: URL) throws -> [[String: Any]] {
        let root = daemon.state.deletingLastPathComponent()
        let file = root.appendingPathComponent("jobs-\(UUID().uuidString.prefix(8)).json")
        try JSONEncoder().encode(jobs).write(to: file)
        // The python3 on PATH: the one scripts/install-deps.sh gave Selenium to.
        let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"),
                                        ["python3", DaemonHarness.repository.appendingPathComponent("Tests/Browser/fill_form.py").path, file.path, downloads.path])
        XCTAssertEqual(result.status, 0, "fill_form.py (python3-selenium, chromium and chromedriver come from scripts/install-deps.sh): \(result.stderr)")
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]], result.output)
    }

    func page(_ kind: String, for agency: String) -> String { daemon.state.appendingPathComponent("outbox/\(agency)/forms/\(kind).html").path }

    func kind(of name: String) -> String {
        ["referral", "research", "iswc", "action-update"].first { (name as NSString).lastPathComponent.hasPrefix($0) } ?? "referral"
    }

    /// A fixture as a file the filler reads, with the first case's number made ours.
    func fixture(_ name: String, caseNumber: String? = nil) throws -> String {
        var text = String(decoding: try RepositoryFixtures.bytes(name), as: UTF8.self)
        if let caseNumber { text = text.replacingOccurrences(of: "M-2026-0001", with: caseNumber) }
        let file = daemon.state.deletingLastPathComponent().appendingPathComponent("fixture-" + (name as NSString).lastPathComponent)
        try Data(text.utf8).write(to: file)
        return file.path
    }

    func testEveryFixtureFilledInTheBrowserIsWhatTheDaemonTakesOrRefusesAtTheSamePaths() throws {
        try daemon.registerRecipients(["police", "health"])
        try daemon.start()
        let downloads = daemon.state.deletingLastPathComponent().appendingPathComponent("downloads")
        try FileManager.default.createDirectory(at: downloads, withIntermediateDirectories: true)

        // Every outbox holds the four pages, which load nothing from anywhere.
        for agency in ["police", "health"] {
            for kind in ["referral", "research", "iswc", "action-update"] {
                let html = try String(contentsOfFile: page(kind, for: agency), encoding: .utf8)
                XCTAssertTrue(html.contains("content=\"default-src 'none'; script-src 'sha256-"), kind)
                for forbidden in ["<script src", "<link", "<img", "<iframe", "url(", "@import", "localStorage", "sessionStorage", "indexedDB",
                                  "document.cookie =", "fetch(", "XMLHttpRequest", "WebSocket"] {
                    XCTAssertFalse(html.contains(forbidden), "\(forbidden) in \(agency)'s \(kind) page")
                }
                XCTAssertTrue(html.contains("\"agency\":\"\(agency)\""), "the page is \(agency)'s")
            }
        }

        // The two referrals, entered through police's and health's pages, and every
        // invalid fixture through its agency's page.
        let referrals = ["valid/referral-police.json", "valid/referral-health-professional-judgement-no-consent.json"]
        let invalid = try RepositoryFixtures.files("invalid").filter { (try? JSONSerialization.jsonObject(with: Data(RepositoryFixtures.bytes($0)))) != nil }
        XCTAssertEqual(invalid.count, 13, "not-json and not-utf8 are not forms anyone can type")
        var results = try fill(referrals.map { Job(page: page("referral", for: RepositoryFixtures.agency(for: $0)), form: try fixture($0), save: true) }
                               + invalid.map { Job(page: page(kind(of: $0), for: RepositoryFixtures.agency(for: $0)), form: try fixture($0), save: false) },
                               downloads: downloads)
        for (name, result) in zip(referrals, results.prefix(2)) { try assertSavedAndReceipted(name, result) }

        // Invalid: what the page can enter, it refuses; the daemon refuses the same JSON at the same paths.
        var unrepresentable: [String] = []
        for (name, result) in zip(invalid, results.dropFirst(2)) {
            guard result["filled"] as? Bool == true else { unrepresentable.append((name as NSString).lastPathComponent); continue }
            let paths = Set(try XCTUnwrap(result["problems"] as? [String]))
            XCTAssertFalse(paths.isEmpty, "\(name): the page refuses it")
            XCTAssertEqual(result["saveEnabled"] as? Bool, false, "\(name): nothing to save")
            let bytes = [UInt8](try JSONSerialization.data(withJSONObject: try XCTUnwrap(result["json"]), options: [.sortedKeys]))
            let agency = RepositoryFixtures.agency(for: name)
            try daemon.drop(bytes, as: "page-\((name as NSString).lastPathComponent)", agency: agency)
            try daemon.waitFor("\(name)'s report") { FileManager.default.fileExists(atPath: daemon.report(for: bytes, agency: agency).path) }
            let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: daemon.report(for: bytes, agency: agency))) as? [String: Any])
            let daemonPaths = Set(try XCTUnwrap(report["problems"] as? [[String: Any]]).compactMap { $0["path"] as? String })
            XCTAssertEqual(paths, daemonPaths, "\(name): the page and the daemon name the same paths")
        }
        // What a page cannot produce: another agency's id, a field the form does not have,
        // a code this deployment does not register, a status there is no such option for.
        XCTAssertEqual(unrepresentable, ["action-update-unknown-status.json", "referral-unknown-field.json",
                                         "referral-unknown-legal-basis.json", "referral-wrong-agency.json"])

        // Research, iswc and the action update need the case, a meeting and its actions.
        let cases = try XCTUnwrap(try JSONSerialization.jsonObject(with: try daemon.ask(["case", "list", "--json"]).stdout) as? [[String: Any]])
        let number = try XCTUnwrap(cases.first { $0["referringAgency"] as? String == "police" }?["case"] as? String)
        let meeting = String(try daemon.ask(["meeting", "create", "--date", PrincipalsTestCase.day(in: 0)]).output.prefix { $0 != " " })
        try daemon.ask(["meeting", "invite", meeting, "police,health"])
        try daemon.ask(["meeting", "add-case", meeting, number])
        try daemon.ask(["meeting", "send-agenda", meeting])
        try daemon.ask(["meeting", "open", meeting])
        let text = daemon.state.deletingLastPathComponent().appendingPathComponent("action.txt")
        try Data("Review the case".utf8).write(to: text)
        for _ in 1...2 {
            try daemon.ask(["action", "add", meeting, number, "--owner", "police", "--due", PrincipalsTestCase.day(in: 14), "--risk", "victim",
                            "--text-file", text.path])
        }
        let later = ["valid/research-health-for-first-case.json", "valid/iswc-health.json", "valid/action-update-police.json"]
        results = try fill(later.map { Job(page: page(kind(of: $0), for: RepositoryFixtures.agency(for: $0)), form: try fixture($0, caseNumber: number), save: true) },
                           downloads: downloads)
        for (name, result) in zip(later, results) { try assertSavedAndReceipted(name, result, caseNumber: number) }
        XCTAssertEqual(daemon.stop(), 0)
    }

    /// The page entered the fixture exactly, showed no problem, saved it under a random
    /// name, kept nothing and logged no error; the daemon gave the saved file a receipt.
    func assertSavedAndReceipted(_ name: String, _ result: [String: Any], caseNumber: String? = nil) throws {
        XCTAssertEqual(result["filled"] as? Bool, true, "\(name): \(result["missing"] ?? "")")
        XCTAssertEqual(result["problems"] as? [String], [], "\(name): \(result["messages"] ?? "")")
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: try fixture(name, caseNumber: caseNumber))))
        XCTAssertEqual(try XCTUnwrap(result["json"]) as? NSDictionary, expected as? NSDictionary, "\(name): the page holds the fixture exactly")
        let saved = URL(fileURLWithPath: try XCTUnwrap(result["saved"] as? String, "\(name) was saved"))
        XCTAssertNotNil(saved.lastPathComponent.range(of: #"^\#(kind(of: name))-[0-9a-f]{32}\.json$"#, options: .regularExpression),
                        "\(name): a random name, never a person's: \(saved.lastPathComponent)")
        let savedJSON = try JSONSerialization.jsonObject(with: Data(contentsOf: saved))
        XCTAssertEqual(savedJSON as? NSDictionary, expected as? NSDictionary, "\(name): the file saved is the form")
        let storage = try XCTUnwrap(result["storage"] as? [Any])
        XCTAssertEqual(storage.first as? Int, 0, "\(name): nothing in the browser's storage")
        XCTAssertEqual(storage.last as? String, "", "\(name): no cookie")
        XCTAssertEqual(result["console"] as? [String], [], "\(name): no error, no blocked load")
        if name.contains("referral-police") {
            XCTAssertEqual(result["dash"] as? String, "Dash: 16 \"yes\" answers of 24; visible high risk is 14 or more (reached).", "counted as the daemon counts")
        }
        let bytes = [UInt8](try Data(contentsOf: saved))
        let agency = RepositoryFixtures.agency(for: name)
        try daemon.drop(bytes, as: saved.lastPathComponent, agency: agency)
        try daemon.waitFor("\(name)'s receipt or report") {
            FileManager.default.fileExists(atPath: daemon.receipt(for: bytes, agency: agency).path)
                || FileManager.default.fileExists(atPath: daemon.report(for: bytes, agency: agency).path)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: daemon.receipt(for: bytes, agency: agency).path),
                      "\(name): a receipt, not \((try? String(contentsOf: daemon.report(for: bytes, agency: agency), encoding: .utf8)) ?? "")")
    }
}
