import Foundation
import TestSupport
import XCTest

/// `maracctl data return` on the real binaries (`docs/data-return.md`): two referrals
/// heard at a meeting in session today give the quarter's figures as text, JSON and CSV;
/// a representative is refused; a quarter that is not `YYYYQn` is a usage error; the
/// computation is one logged entry that names no one.
final class DataReturnEndToEndTests: PrincipalsTestCase {
    static let representative: UInt32 = 4_731

    override func setUpWithError() throws {
        try setUpDaemon(group: 4_730, principals: """
            {"uid": 0, "name": "Coordinator", "agency": "idva", "roles": ["coordinator", "chair"]},
            {"uid": \(Self.representative), "name": "Police representative", "agency": "police", "roles": ["representative"]}
            """)
        try daemon.writeConfig(#""principalsFile": "\#(daemon.principalsPath.path)", "control": {"socketPath": "\#(socket)", "socketGroup": 4730}, "#
                               + #""marac": {"adultFemalePopulation": 100000}"#)
    }

    /// The quarter `day` (`YYYY-MM-DD`) is in.
    static func quarter(of day: String) -> String {
        "\(day.prefix(4))Q\((Int(day.dropFirst(5).prefix(2))! - 1) / 3 + 1)"
    }

    func testTheQuartersFiguresComeAsTextJSONAndCSVForTheCoordinatorOnly() throws {
        try daemon.registerRecipients(["police", "health"])
        try daemon.start()
        try dropTheTwoReferrals()
        let cases = try JSONSerialization.jsonObject(with: try ok(["case", "list", "--json"]).stdout) as? [[String: Any]] ?? []
        let today = Self.day(in: 0), quarter = Self.quarter(of: today)
        let meeting = try self.meeting(in: 0, inviting: "police,health", cases: cases.compactMap { $0["case"] as? String })
        try ok(["meeting", "send-agenda", meeting])
        // Not yet held: the agenda is out, the meeting has not sat.
        let before = try ok(["data", "return", "--quarter", quarter, "--json"])
        let unheld = try XCTUnwrap(try JSONSerialization.jsonObject(with: before.stdout) as? [String: Any])
        XCTAssertEqual((unheld["figures"] as? [String: Int])?["casesHeard"], 0)
        try ok(["meeting", "open", meeting])

        let csv = try ok(["data", "return", "--quarter", quarter, "--csv"]).output
        let from = "\(today.prefix(5))\(String(format: "%02d", (Int(quarter.suffix(1))! - 1) * 3 + 1))-01"
        XCTAssertTrue(csv.hasPrefix("figure,detail,value\r\nquarter,\(from) to "), csv)
        for row in ["meeting,\(meeting) \(today),2", "meetingsHeld,meetings held,1", "casesHeard,cases heard,2", "repeatCases,repeat cases,0",
                    "policeReferrals,referrals by the police,1", "partnerReferrals,referrals by partner agencies,1",
                    "victimsRaciallyMinoritised,\"victims Black, Asian or racially minoritised\",1", "victimsLGBT,victims LGBT+,0",
                    "victimsMale,victims male,0", "childrenInHouseholds,children in the households,2",
                    "perpetratorsAged17OrUnder,cases with a perpetrator aged 17 or under,0",
                    "referralsByAgencyKind,health,1", "referralsByAgencyKind,police,1",
                    "adultFemalePopulation,women aged 16 and over (configured),100000",
                    "casesPer10000AdultWomen,a year at this quarter's rate; SafeLives recommends 40,0.8"] {
            XCTAssertTrue(csv.contains("\r\n" + row + "\r\n"), "\(row) in \(csv)")
        }
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: try ok(["data", "return", "--quarter", quarter, "--json"]).stdout) as? [String: Any])
        XCTAssertEqual(json["quarter"] as? String, quarter)
        XCTAssertEqual((json["figures"] as? [String: Int])?["casesHeard"], 2)
        XCTAssertEqual(json["casesPer10000AdultWomen"] as? Double, 0.8)
        let text = try ok(["data", "return", "--quarter", quarter]).output
        XCTAssertTrue(text.contains("\n  \(meeting)  \(today)  2 cases heard\n"), text)
        XCTAssertTrue(text.contains("\ncases heard: 2\n"), text)
        XCTAssertTrue(text.contains("cases per 10,000 women aged 16+, a year at this rate: 0.8 (SafeLives recommends 40)"), text)

        // Counts only: no name, date of birth or case number in any output.
        for output in [csv, text, String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self)] {
            for secret in ["Tamsin", "Quinn", "1993-11-13"] + cases.compactMap({ $0["case"] as? String }) {
                XCTAssertFalse(output.contains(secret), "the return holds \(secret)")
            }
        }

        // A representative is refused, and a quarter must be YYYYQn.
        let refused = try ctl(["data", "return", "--quarter", quarter], as: Self.representative)
        XCTAssertEqual(refused.status, 77)
        XCTAssertEqual(refused.stderr, "maracctl: not permitted: only the coordinator or an IG officer may compile the quarterly data return\n")
        let bad = try ctl(["data", "return", "--quarter", "2026-Q4"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.hasPrefix("maracctl: --quarter takes YYYYQn, as 2026Q4\n"), bad.stderr)

        // Each computation is one consultation entry naming the quarter and the counts.
        let entries = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [daemon.state.appendingPathComponent("vault.db").path,
            "SELECT CAST(entry AS TEXT) FROM log_entry WHERE CAST(entry AS TEXT) LIKE '%\"data-return\"%' ORDER BY seq"]).output
            .split(separator: "\n")
        XCTAssertEqual(entries.count, 4, "one entry for each return computed")
        XCTAssertTrue(entries.last!.contains(#""operation":"consultation""#) && entries.last!.contains(#""quarter":"\#(quarter)""#)
                      && entries.last!.contains(#""cases":"2""#), String(entries.last!))

        // A case closed by the coordinator with a reason (issue 24): once, and logged.
        let number = try XCTUnwrap(cases.first?["case"] as? String)
        XCTAssertEqual(try ctl(["case", "close", number, "--reason", "victim moved away"], as: Self.representative).status, 77)
        XCTAssertEqual(try ok(["case", "close", number, "--reason", "victim moved away"]).output,
                       "case \(number) closed: it takes no more research or iswc forms (logged with the reason)\n")
        let again = try ctl(["case", "close", number, "--reason", "again"])
        XCTAssertEqual(again.status, 65)
        XCTAssertEqual(again.stderr, "maracctl: case \(number) is closed already\n")
        XCTAssertEqual(try ctl(["case", "close", number]).status, 64, "a reason is required")
    }
}
