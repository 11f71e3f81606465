import Foundation
import TestSupport
import XCTest

/// The coordinator's case list says who each case is about (issue 24): the victim's name
/// and date of birth from each case's referral, read through the access policy and logged
/// as one entry per listing; a representative's list shows no one. The coordinator of a
/// housing association (not the Idva) reads under the coordinator's row and marac-isp.
final class CaseListEndToEndTests: PrincipalsTestCase {
    static let police: UInt32 = 4_761

    override func setUpWithError() throws {
        try setUpDaemon(group: 4_760, principals: """
            {"uid": 0, "name": "Coordinator", "agency": "idva", "roles": ["coordinator"]},
            {"uid": \(Self.police), "name": "Police representative", "agency": "police", "roles": ["representative"]}
            """)
    }

    func listings() throws -> [Substring] {
        try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [daemon.state.appendingPathComponent("vault.db").path,
            "SELECT CAST(entry AS TEXT) FROM log_entry WHERE CAST(entry AS TEXT) LIKE '%\"what\":\"case-list\"%' ORDER BY seq"]).output
            .split(separator: "\n")
    }

    func testTheCoordinatorsListNamesWhoEachCaseIsAboutInOneLoggedRead() throws {
        try daemon.start()
        _ = try dropTheTwoReferrals()
        let listed = try ok(["case", "list"]).output.split(separator: "\n")
        XCTAssertEqual(listed.count, 2)
        // Each case with its referring agency's victim (the two arrive in either order).
        XCTAssertEqual(Set(listed.map { line in String(line.split(separator: " ", omittingEmptySubsequences: true)[5]) + " " + line.components(separatedBy: "  about: ")[1] }),
                       ["police Tamsin Quinn, born 1993-11-13", "health Nadia Yilmaz, born 1998-03-09"], listed.joined(separator: "\n"))
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: try ok(["case", "list", "--json"]).stdout) as? [[String: Any]])
        XCTAssertEqual(Set(json.compactMap { ($0["victim"] as? [String: String])?["dob"] }), ["1993-11-13", "1998-03-09"])

        // Each listing is one entry naming both referrals read, under marac-isp.
        let entries = try listings()
        XCTAssertEqual(entries.count, 2, "one entry per listing, not one per referral")
        let entry = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(entries[0].utf8)) as? [String: Any])
        XCTAssertEqual(entry["operation"] as? String, "disclosure")
        XCTAssertEqual((entry["records"] as? [String])?.count, 2)
        XCTAssertEqual(entry["recipients"] as? [String], ["idva"])
        // The coordinator works for the Idva here: the Idva's row admits them first, under each referral's own bases.
        XCTAssertEqual(Set(entry["bases"] as? [String] ?? []), ["consent", "dpa-s1-p18", "ukgdpr-6-1-e"])
        XCTAssertEqual((entry["details"] as? [String: String])?["rule"], "idva-referral")
        XCTAssertEqual(entry["justification"] as? String, "the case list: who each case is about")
        XCTAssertEqual((entry["details"] as? [String: String])?["owners"], "health,police")
        XCTAssertFalse(entries[0].contains("Tamsin") || entries[0].contains("Quinn"), "the entry names no one")

        // A representative sees what case visibility allows, and no one's name.
        let theirs = try ok(["case", "list"], as: Self.police).output
        XCTAssertFalse(theirs.contains("about:"), theirs)
        XCTAssertFalse(theirs.isEmpty)
        XCTAssertEqual(try listings().count, 2, "nothing read for them")
        XCTAssertEqual(daemon.stop(), 0)
    }

    func testACoordinatorOutsideTheIdvaReadsTheListUnderTheMaracProtocol() throws {
        try Data(#"{"version": 1, "principals": [{"uid": 0, "name": "Coordinator", "agency": "housing", "roles": ["coordinator"]}]}"#.utf8)
            .write(to: daemon.principalsPath)
        try daemon.start()
        _ = try dropTheTwoReferrals()
        XCTAssertEqual(try ok(["case", "list"]).output.components(separatedBy: "  about: ").count, 3)
        let entry = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try XCTUnwrap(try listings().first).utf8)) as? [String: Any])
        XCTAssertEqual(entry["bases"] as? [String], ["marac-isp"])
        XCTAssertEqual(entry["recipients"] as? [String], ["housing"])
        XCTAssertEqual((entry["details"] as? [String: String])?["rule"], "coordinator")
        XCTAssertEqual(daemon.stop(), 0)
    }
}
