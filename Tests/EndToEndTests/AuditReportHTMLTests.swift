import Foundation
import TestSupport
import XCTest

/// The IG report as one HTML file, opened in headless Chromium, over a log whose right
/// figures are known (issue 24): each disclosure counted once with its bases joined; pack
/// sends labelled as such and never flagged, even at night; people's reads at night
/// flagged; the refusal's rule; totals; a key to the basis codes; agency names; the
/// Marac's name, the period, the log's size and root and the checkpoint it was proved
/// consistent with. It refers to nothing outside itself.
final class AuditReportHTMLTests: XCTestCase {
    var daemon: DaemonHarness!
    override func setUpWithError() throws {
        daemon = try DaemonHarness()
        try daemon.useMaracWideIGOfficer()
        try daemon.writeConfig(#""principalsFile": "\#(daemon.principalsPath.path)", "marac": {"name": "Northshire Marac"}"#)
    }
    override func tearDown() { daemon.cleanUp() }

    /// Seconds from now to the next 23:00 UTC: the daemon's clock is set there, so every
    /// read and pack send of the test happens "at night" whenever the suite runs.
    func secondsToElevenPM() -> Int {
        let now = Int(Date().timeIntervalSince1970), day = 86_400
        let target = now - now % day + 23 * 3_600
        return target > now ? target - now : target + day - now
    }

    func testTheHTMLReportCountsEachDisclosureOnceAndLabelsPackSendsInChromium() throws {
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let browser = try XCTUnwrap(chromium, "chromium is installed by scripts/install-deps.sh")
        let root = daemon.state.deletingLastPathComponent()
        let offset = root.appendingPathComponent("clock-offset")
        try Data(String(secondsToElevenPM()).utf8).write(to: offset)
        daemon.environment = ["LD_PRELOAD": try daemon.faultLibrary("EIO", trigger: root.appendingPathComponent("no-fault"), clockOffset: offset).path]
        try daemon.registerRecipients(["police", "health"])
        try daemon.start()

        // Two referrals: police's under consent, health's under two without-consent codes.
        let police = try RepositoryFixtures.bytes("valid/referral-police.json")
        let health = try RepositoryFixtures.bytes("valid/referral-health-professional-judgement-no-consent.json")
        try daemon.drop(police, as: "a.json", agency: "police")
        try daemon.waitFor("police's receipt") { FileManager.default.fileExists(atPath: daemon.receipt(for: police).path) }
        try daemon.drop(health, as: "b.json", agency: "health")
        try daemon.waitFor("health's receipt") { FileManager.default.fileExists(atPath: daemon.receipt(for: health, agency: "health").path) }
        let cases = try XCTUnwrap(try JSONSerialization.jsonObject(with: try daemon.ask(["case", "list", "--json"]).stdout) as? [[String: Any]])
        let numbers = cases.compactMap { $0["case"] as? String }
        XCTAssertEqual(numbers.count, 2)
        func referral(_ number: String) throws -> String {
            let shown = try JSONSerialization.jsonObject(with: try daemon.ask(["case", "show", number, "--json"]).stdout) as? [String: Any]
            return try XCTUnwrap((shown?["documents"] as? [[String: String]])?.first?["document"])
        }
        // The Idva (this principal's agency) reads both: two disclosures, one with two bases.
        for number in numbers { try daemon.ask(["doc", "read", try referral(number), "--reason", "first contact with the victim"]) }
        // A read without a reason is refused: one refusal, rule reason-required.
        let refused = try Subprocess.run(CLITests.products.appendingPathComponent("maracctl"),
                                         ["doc", "read", try referral(numbers[0]), "--reason", " ", "--state", daemon.state.path])
        XCTAssertEqual(refused.status, 77, refused.stderr)
        // The agenda: each agency's pack carries both referrals, four pack sends.
        let meeting = String(try daemon.ask(["meeting", "create", "--date", PrincipalsTestCase.day(in: 7)]).output.prefix { $0 != " " })
        try daemon.ask(["meeting", "invite", meeting, "police,health"])
        for number in numbers { try daemon.ask(["meeting", "add-case", meeting, number]) }
        try daemon.ask(["meeting", "send-agenda", meeting])
        let witness = daemon.state.appendingPathComponent("witness")
        try daemon.waitFor("a checkpoint in the witness") {
            ((try? FileManager.default.contentsOfDirectory(atPath: witness.path)) ?? []).contains { $0.hasPrefix("checkpoint-") }
        }

        let report = root.appendingPathComponent("report.html")
        try daemon.ask(["audit", "report", "--html", report.path])
        let agencies = try XCTUnwrap(try JSONSerialization.jsonObject(with: try daemon.ask(["agency", "list", "--json"]).stdout) as? [[String: Any]])
        XCTAssertEqual(daemon.stop(), 0)
        // The report's own entry: the log it was computed over is every entry before it.
        let reportEntry = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [daemon.state.appendingPathComponent("vault.db").path,
            "SELECT seq FROM log_entry WHERE CAST(entry AS TEXT) LIKE '%\"what\":\"report\"%'"]).output
        let size = try XCTUnwrap(Int(reportEntry.trimmingCharacters(in: .whitespacesAndNewlines)), reportEntry)

        let html = try String(contentsOf: report, encoding: .utf8)
        for forbidden in ["<script", "src=", "href=", "url(", "@import", "<link", "<iframe", "<img"] {
            XCTAssertFalse(html.lowercased().contains(forbidden), "\(forbidden) in the report")
        }
        XCTAssertEqual(html.components(separatedBy: "://").count - 1, html.components(separatedBy: "xmlns=\"http://www.w3.org/2000/svg\"").count - 1,
                       "the only URL is the SVG namespace")
        let profile = root.appendingPathComponent("chromium-profile").path
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile)", "--no-first-run"]
        let dump = try Subprocess.run(URL(fileURLWithPath: browser), flags + ["--dump-dom", report.path])
        XCTAssertEqual(dump.status, 0, dump.stderr)
        let dom = dump.output
        func row(_ cells: [String]) -> String { "<tr>" + cells.map { "<td>\($0)</td>" }.joined() + "</tr>" }
        func name(_ id: String) throws -> String {
            let name = try XCTUnwrap(agencies.first { $0["id"] as? String == id }?["name"] as? String, id)
            XCTAssertNotEqual(name, id, "a name, not the id")
            return name
        }
        let police_ = try name("police"), health_ = try name("health"), idva = try name("idva")

        XCTAssertTrue(dom.contains("<h1>IG report: Northshire Marac</h1>"), dom)
        // Totals: 2 reads, a case list and 4 pack sends are 7 disclosures; 1 refusal; the 3 reads at night.
        // The coordinator's case list read both referrals: one more disclosure, at night too.
        for (label, count) in [("disclosures", 7), ("by people reading", 3), ("by packs sent", 4), ("consultations", 0),
                               ("refusals", 1), ("reads out of pattern", 3)] {
            XCTAssertTrue(dom.contains(row([label, String(count)])), "\(label) \(count)\n\(dom)")
        }
        // Each disclosure once, its bases joined; the reads by people, the packs as pack sends.
        XCTAssertTrue(dom.contains(row([health_, idva, "dpa-s1-p18 + ukgdpr-6-1-e", "read", "1"])), dom)
        XCTAssertTrue(dom.contains(row([police_, idva, "consent", "read", "1"])), dom)
        XCTAssertTrue(dom.contains(row(["\(health_), \(police_)", idva, "consent + dpa-s1-p18 + ukgdpr-6-1-e", "read", "1"]))
                      || dom.contains(row(["\(health_), \(police_)", idva, "dpa-s1-p18 + ukgdpr-6-1-e + consent", "read", "1"])), "the case list\n\(dom)")
        for (from, bases) in [(police_, "marac-isp + consent"), (health_, "marac-isp + dpa-s1-p18 + ukgdpr-6-1-e")] {
            for to in [police_, health_] { XCTAssertTrue(dom.contains(row([from, to, bases, "pack send", "1"])), "\(from) → \(to)\n\(dom)") }
        }
        XCTAssertFalse(dom.contains("<td>dpa-s1-p18</td><td>read</td>"), "no disclosure is split by basis")
        XCTAssertTrue(dom.contains("<tfoot><tr><th>total</th><th></th><th></th><th></th><th>7</th></tr></tfoot>"), dom)
        // The key to every code cited.
        for code in ["consent", "marac-isp", "dpa-s1-p18", "ukgdpr-6-1-e"] { XCTAssertTrue(dom.contains("<tr><td>\(code)</td><td>"), code) }
        XCTAssertFalse(dom.contains("not in this deployment's registry"))
        // The refusal names its rule; the flags are the two people's reads, not the packs.
        XCTAssertTrue(dom.contains(row(["Governance IG officer", idva, "reason-required", "1"])), dom)
        XCTAssertEqual(dom.components(separatedBy: "<td>read at night</td>").count - 1, 3, dom)
        // What it stands on: the period, the log's size and root, the checkpoint.
        let provenance = try XCTUnwrap(dom.range(of: #"log of (\d+) entries, root ([A-Za-z0-9+/]{43}=); proved consistent with the published checkpoint of (\d+) entries"#,
                                                  options: .regularExpression).map { String(dom[$0]) }, dom)
        let figures = provenance.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        XCTAssertEqual(figures.first, size, provenance)
        let checked = try XCTUnwrap(figures.last)
        XCTAssertTrue(try FileManager.default.contentsOfDirectory(atPath: witness.path).contains { $0.hasPrefix(String(format: "checkpoint-%012d", checked)) },
                      "the checkpoint named is one in the witness")
        XCTAssertTrue(dom.contains("Period: the start of the log to now: "), dom)

        let screenshot = root.appendingPathComponent("report.png")
        let shot = try Subprocess.run(URL(fileURLWithPath: browser), flags + ["--screenshot=\(screenshot.path)", "--window-size=1100,2200", report.path])
        XCTAssertEqual(shot.status, 0, shot.stderr)
        XCTAssertGreaterThan((try? Data(contentsOf: screenshot))?.count ?? 0, 10_000, "a page was painted")
        if let keep = ProcessInfo.processInfo.environment["MARACD_KEEP_REPORT"] { try? FileManager.default.copyItem(at: screenshot, to: URL(fileURLWithPath: keep)) }
    }
}
