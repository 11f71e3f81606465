import Foundation
import TestSupport
import XCTest

/// The IG report as one HTML file, opened in headless Chromium: its tables render with
/// the log's figures, and it refers to nothing outside itself (no script, no link, no
/// image or style from anywhere).
final class AuditReportHTMLTests: XCTestCase {
    var daemon: DaemonHarness!
    override func setUpWithError() throws {
        daemon = try DaemonHarness()
        try daemon.useMaracWideIGOfficer()
    }
    override func tearDown() { daemon.cleanUp() }

    func testTheHTMLReportRendersInChromiumAndReferencesNothingOutside() throws {
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let browser = try XCTUnwrap(chromium, "chromium is installed by scripts/install-deps.sh")
        try daemon.start()
        let police = try RepositoryFixtures.bytes("valid/referral-police.json")
        try daemon.drop(police, as: "a.json", agency: "police")
        try daemon.waitFor("a receipt") { FileManager.default.fileExists(atPath: daemon.receipt(for: police).path) }
        let caseNumber = try XCTUnwrap(try daemon.ask(["case", "list"]).output.split(separator: " ").first.map(String.init))
        // The Idva's copy of the referral (a disclosure under consent), and a refusal.
        let shown = try JSONSerialization.jsonObject(with: try daemon.ask(["case", "show", caseNumber, "--json"]).stdout) as? [String: Any]
        let referral = try XCTUnwrap((shown?["documents"] as? [[String: String]])?.first?["document"])
        XCTAssertEqual(try daemon.ask(["doc", "read", referral, "--reason", "first contact with the victim"]).stdout, Data(police))
        let report = daemon.state.deletingLastPathComponent().appendingPathComponent("report.html")
        try daemon.ask(["audit", "report", "--html", report.path])
        XCTAssertEqual(daemon.stop(), 0)

        let html = try String(contentsOf: report, encoding: .utf8)
        for forbidden in ["<script", "src=", "href=", "url(", "@import", "<link", "<iframe", "<img"] {
            XCTAssertFalse(html.lowercased().contains(forbidden), "\(forbidden) in the report")
        }
        XCTAssertEqual(html.components(separatedBy: "://").count - 1, html.components(separatedBy: "xmlns=\"http://www.w3.org/2000/svg\"").count - 1,
                       "the only URL is the SVG namespace")
        let profile = daemon.state.deletingLastPathComponent().appendingPathComponent("chromium-profile").path
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile)", "--no-first-run"]
        let dom = try Subprocess.run(URL(fileURLWithPath: browser), flags + ["--dump-dom", report.path])
        XCTAssertEqual(dom.status, 0, dom.stderr)
        XCTAssertTrue(dom.output.contains("<h2>Disclosures by agency pair and basis</h2>"), dom.output)
        XCTAssertTrue(dom.output.contains("<td>police</td><td>idva</td><td>consent</td><td>1</td>"), dom.output)
        XCTAssertTrue(dom.output.contains("<svg"), "the chart is rendered inline")
        let screenshot = daemon.state.deletingLastPathComponent().appendingPathComponent("report.png")
        let shot = try Subprocess.run(URL(fileURLWithPath: browser), flags + ["--screenshot=\(screenshot.path)", "--window-size=1000,900", report.path])
        XCTAssertEqual(shot.status, 0, shot.stderr)
        XCTAssertGreaterThan((try? Data(contentsOf: screenshot))?.count ?? 0, 10_000, "a page was painted")
        if let keep = ProcessInfo.processInfo.environment["MARACD_KEEP_REPORT"] { try? FileManager.default.copyItem(at: screenshot, to: URL(fileURLWithPath: keep)) }
    }
}
