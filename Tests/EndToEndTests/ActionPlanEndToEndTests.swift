import Foundation
import TestSupport
import XCTest

/// The action plan on the real binaries, each principal its own uid (`docs/actions.md`):
/// in session the chair records actions for housing and police from files, a declared
/// police representative only for police, the Idva confirms the plan; observers and
/// apologies show in `meeting show`; housing cannot update police's action (refused and
/// logged); police reports progress through its inbox (an invalid update gets a report
/// naming the JSON path, the valid one a receipt); the lists show each agency its own; after the close the minutes
/// go to the agencies that attended or own an action and open with stock OpenSSL for an
/// EC and an RSA agency, holding exactly what was recorded; no text reaches the log or the
/// database in the clear.
final class ActionPlanEndToEndTests: PrincipalsTestCase {
    static let chair: UInt32 = 4_741, police: UInt32 = 4_742, housing: UInt32 = 4_743, idva: UInt32 = 4_744

    override func setUpWithError() throws {
        try setUpDaemon(group: 4_740, principals: """
            {"uid": 0, "name": "Coordinator", "agency": "idva", "roles": ["coordinator"]},
            {"uid": \(Self.chair), "name": "Chair", "agency": "police", "roles": ["chair"]},
            {"uid": \(Self.police), "name": "Police representative", "agency": "police", "roles": ["representative"]},
            {"uid": \(Self.housing), "name": "Housing representative", "agency": "housing", "roles": ["representative"]},
            {"uid": \(Self.idva), "name": "Idva representative", "agency": "idva", "roles": ["representative"]}
            """)
    }

    /// A file every principal may read, holding `text`.
    func file(_ name: String, _ text: String) throws -> String {
        let url = socketDirectory.deletingLastPathComponent().appendingPathComponent("maracd-text-\(UUID().uuidString.prefix(8))-\(name)")
        try Data(text.utf8).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: url.path)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    func testTheChairRecordsThePlanInSessionAndOnlyTheOwnerUpdatesAnAction() throws {
        try daemon.registerRecipients(["police", "idva"])
        try daemon.registerRecipients(["housing", "probation"], kind: "rsa")
        try daemon.start()
        let referral = try RepositoryFixtures.bytes("valid/referral-police.json")
        try daemon.drop(referral, as: "a.json", agency: "police")
        try daemon.waitFor("the referral") { FileManager.default.fileExists(atPath: daemon.receipt(for: referral).path) }
        let cases = try JSONSerialization.jsonObject(with: try ok(["case", "list", "--json"]).stdout) as? [[String: Any]] ?? []
        let number = try XCTUnwrap(cases.first?["case"] as? String)
        let meeting = try self.meeting(in: 0, inviting: "police,housing,idva", cases: [number])
        try ok(["meeting", "send-agenda", meeting])
        let alarm = try file("alarm", "Fit a panic alarm at the victim's address")
        let due = Self.day(in: 14)

        // Not in session yet: refused. SMART: no owner or no due date is a usage error.
        let early = try ctl(["action", "add", meeting, number, "--owner", "housing", "--due", due, "--risk", "victim", "--text-file", alarm], as: Self.chair)
        XCTAssertEqual(early.status, 77, early.stderr)
        try ok(["meeting", "open", meeting], as: Self.chair)
        let vague = try ctl(["action", "add", meeting, number, "--owner", "housing", "--risk", "victim", "--text-file", alarm], as: Self.chair)
        XCTAssertEqual(vague.status, 64)
        XCTAssertTrue(vague.stderr.hasPrefix("maracctl: an action needs an owning agency and a due date: --owner AGENCY --due YYYY-MM-DD\n"), vague.stderr)

        let housingAction = try ok(["action", "add", meeting, number, "--owner", "housing", "--due", due, "--risk", "victim", "--text-file", alarm],
                                   as: Self.chair).output
        XCTAssertEqual(housingAction, "\(number)-A1  \(number)  \(meeting)  owner housing  due \(due)  risk victim  open (\(Self.day(in: 0)))\n")
        // A representative records for their own agency only, once declared.
        let cameras = try file("cameras", "Review the CCTV near the victim's workplace")
        XCTAssertEqual(try ctl(["action", "add", meeting, number, "--owner", "police", "--due", due, "--risk", "perpetrator", "--text-file", cameras],
                               as: Self.police).status, 77)
        try ok(["meeting", "declare", meeting, "--yes"], as: Self.police)
        try ok(["action", "add", meeting, number, "--owner", "police", "--due", due, "--risk", "perpetrator", "--text-file", cameras], as: Self.police)
        let notOwn = try ctl(["action", "add", meeting, number, "--owner", "housing", "--due", due, "--risk", "victim", "--text-file", cameras],
                             as: Self.police)
        XCTAssertEqual(notOwn.status, 77)
        XCTAssertEqual(notOwn.stderr, "maracctl: not permitted: only the chair, the coordinator, or a declared representative for their own agency records an action\n")

        // The plan: risks and links by the chair, the confirmation by the declared Idva.
        try ok(["plan", "risks", meeting, number, "--file", try file("risks.json", #"{"victim": "Stalking at her workplace"}"#)], as: Self.chair)
        try ok(["plan", "links", meeting, number, "child-protection,mappa"], as: Self.chair)
        XCTAssertEqual(try ctl(["plan", "idva", meeting, number, "--safe"], as: Self.idva).status, 77, "not declared yet")
        try ok(["meeting", "declare", meeting, "--yes"], as: Self.idva)
        XCTAssertEqual(try ok(["plan", "idva", meeting, number, "--safe"], as: Self.idva).output.hasPrefix("idva recorded for \(number) at \(meeting) (doc_"), true)

        // Observers and apologies, beside the declarations.
        try ok(["meeting", "observer", meeting, "--agency", "housing", "--name", "Student social worker", "--declared"], as: Self.chair)
        try ok(["meeting", "apology", meeting, "--agency", "health", "--research-sent"])
        let shown = try ok(["meeting", "show", meeting]).output
        // Who declared, for which agency, when: a row each under a header (issue 24).
        let declared = try JSONSerialization.jsonObject(with: try ok(["meeting", "show", meeting, "--json"]).stdout) as? [String: Any]
        // In the daemon's order (when, then agency): the JSON's order.
        let declarations = try XCTUnwrap(declared?["declarations"] as? [[String: String]])
        XCTAssertEqual(Set(declarations.map { "\($0["agency"] ?? "?")/\($0["person"] ?? "?")" }),
                       ["police/Police representative", "idva/Idva representative"])
        let times = declarations.map { $0["declaredAt"] ?? "?" }
        let rows = declarations.map { d -> String in
            let agency = (d["agency"] ?? "?").padding(toLength: 6, withPad: " ", startingAt: 0)
            let person = (d["person"] ?? "?").padding(toLength: 21, withPad: " ", startingAt: 0)
            return "  \(agency)  \(person)  \(d["declaredAt"] ?? "?")  -\n"
        }.joined()
        XCTAssertTrue(shown.hasSuffix("""
            chaired by: police
            attended: idva (1), police (1)
            declarations:
              AGENCY  DECLARED BY            AT\(String(repeating: " ", count: times[0].count - 2))  RECORDED BY

            """ + rows + """
            observers: housing (declared)
            apologies: health (research sent)

            """), shown)
        XCTAssertTrue(times.allSatisfy { $0.hasPrefix(Self.day(in: 0)) && $0.hasSuffix("Z") }, "\(times)")
        XCTAssertFalse(shown.contains("Student"), "observers' names only with --json")

        // Housing cannot update police's action: refused, and the refusal logged.
        let policeAction = "\(number)-A2"
        let refused = try ctl(["action", "update", policeAction, "--status", "done"], as: Self.housing)
        XCTAssertEqual(refused.status, 77)
        XCTAssertEqual(refused.stderr, "maracctl: not permitted: only agency police may update action \(policeAction)\n")
        let database = daemon.state.appendingPathComponent("vault.db").path
        let last = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [database, "SELECT CAST(entry AS TEXT) FROM log_entry ORDER BY seq DESC LIMIT 1"]).output
        XCTAssertTrue(last.contains(#""operation":"refusal""#) && last.contains(#""rule":"owning-agency-updates""#) && last.contains(policeAction), last)

        // Police reports progress through its inbox: an invalid update gets a report naming
        // the JSON path; the valid one a receipt, and the action is done.
        func update(_ status: String) -> [UInt8] {
            Array(#"{"form": "action-update", "formVersion": 1, "agency": "police", "action": "\#(policeAction)", "status": "\#(status)", "#
                  .utf8) + Array(#""date": "\#(Self.day(in: 0))", "note": "CCTV reviewed with the employer"}"#.utf8)
        }
        let invalid = update("finished"), valid = update("done")
        try daemon.drop(invalid, as: "update-1.json", agency: "police")
        try daemon.drop(valid, as: "update-2.json", agency: "police")
        try daemon.waitFor("the update's receipt and the report") {
            FileManager.default.fileExists(atPath: daemon.receipt(for: valid).path) && FileManager.default.fileExists(atPath: daemon.report(for: invalid).path)
        }
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: daemon.report(for: invalid))) as? [String: Any])
        XCTAssertEqual((report["problems"] as? [[String: String]])?.map { $0["path"]! }, ["$.status"])
        let receipt = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/openssl"), [
            "cms", "-verify", "-binary", "-inform", "DER", "-in", daemon.receipt(for: valid).path,
            "-CAfile", daemon.state.appendingPathComponent("outbox/police/signing-certificates.pem").path, "-out", "/dev/stdout"])
        XCTAssertEqual(receipt.status, 0, receipt.stderr)
        XCTAssertTrue(receipt.output.contains(#""kind":"action-update""#), receipt.output)
        let updated = try ok(["action", "list", "--agency", "police"], as: Self.police).output
        XCTAssertTrue(updated.hasPrefix("\(policeAction)  \(number)  \(meeting)  owner police  due \(due)  risk perpetrator  done ("), updated)

        // The lists: the coordinator sees both, housing its own, --open what is left.
        XCTAssertEqual(try ok(["action", "list"]).output.split(separator: "\n").last, "2 actions")
        let housingList = try ok(["action", "list"], as: Self.housing).output
        XCTAssertEqual(housingList, housingAction + "1 action\n")
        XCTAssertEqual(try ok(["action", "list", "--open"]).output, housingAction + "1 action\n")
        let json = try JSONSerialization.jsonObject(with: try ok(["action", "list", "--agency", "police", "--json"]).stdout) as? [[String: Any]]
        XCTAssertEqual(json?.compactMap { $0["status"] as? String }, ["done"])

        // After the close, the minutes: to police and the Idva (they attended) and housing
        // (it owns an action), opened with stock OpenSSL for an EC and an RSA agency; none
        // to probation, which neither attended nor owns an action.
        XCTAssertEqual(try ctl(["meeting", "send-minutes", meeting]).status, 65, "not before the close (conflict)")
        try ok(["meeting", "close", meeting], as: Self.chair)
        XCTAssertEqual(try ctl(["meeting", "send-minutes", meeting], as: Self.chair).status, 77, "the coordinator sends them")
        let sent = try ok(["meeting", "send-minutes", meeting]).output
        let name = "\(meeting)-minutes-v1.p7m"
        XCTAssertEqual(sent.split(separator: "\n").filter { $0.hasPrefix("sent ") }, ["housing", "idva", "police"].map {
            "sent outbox/\($0)/minutes/\(name) (5 documents)"[...]
        })
        for agency in ["probation", "health", "children"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: daemon.state.appendingPathComponent("outbox/\(agency)/minutes/\(name)").path))
        }
        for agency in ["police", "housing"] {
            let (opened, status) = try daemon.openWithOpenSSL(daemon.state.appendingPathComponent("outbox/\(agency)/minutes/\(name)"), as: agency)
            XCTAssertEqual(status, 0)
            let minutes = try XCTUnwrap(opened)
            XCTAssertEqual(minutes["type"] as? String, "minutes")
            XCTAssertEqual(minutes["recipient"] as? String, agency)
            XCTAssertEqual(minutes["chair"] as? [String: String], ["person": "Chair", "agency": "police"])
            XCTAssertEqual((minutes["attendees"] as? [[String: String]])?.map { $0["agency"]! }.sorted(), ["idva", "police"])
            XCTAssertEqual(minutes["observers"] as? [NSDictionary], [["agency": "housing", "person": "Student social worker", "declared": true]])
            XCTAssertEqual(minutes["apologies"] as? [NSDictionary], [["agency": "health", "researchSent": true]])
            let entry = try XCTUnwrap((minutes["cases"] as? [[String: Any]])?.first)
            XCTAssertEqual(entry["case"] as? String, number)
            let actions = try XCTUnwrap(entry["actions"] as? [[String: String]])
            XCTAssertEqual(actions.map { [$0["id"]!, $0["owner"]!, $0["due"]!, $0["status"]!, $0["text"]!] }, [
                ["\(number)-A1", "housing", due, "open", "Fit a panic alarm at the victim's address"],
                ["\(number)-A2", "police", due, "done", "Review the CCTV near the victim's workplace"]])
            XCTAssertEqual(entry["risks"] as? [String: String], ["victim": "Stalking at her workplace"])
            XCTAssertEqual(entry["links"] as? [String], ["child-protection", "mappa"])
            XCTAssertEqual(entry["idva"] as? [String: Bool], ["safeAsPossible": true])
        }
        let printed = try Subprocess.run(CLITests.products.appendingPathComponent("maracctl"), [
            "open", daemon.state.appendingPathComponent("outbox/housing/minutes/\(name)").path, "--agency", "housing",
            "--key", daemon.recipientKeys.appendingPathComponent("housing/recipient.key").path,
            "--cert", daemon.recipientKeys.appendingPathComponent("housing/recipient.pem").path])
        XCTAssertEqual(printed.status, 0, printed.stderr)
        XCTAssertTrue(printed.output.contains("\(number)-A1\thousing\t\(due)\tvictim\topen\tFit a panic alarm at the victim's address\n"), printed.output)

        // No text in the log, and none in the clear in the database or its WAL.
        XCTAssertEqual(daemon.stop(), 0)
        XCTAssertFalse(daemon.log.contains("CCTV"), "no text in the daemon's log")
        for path in [database, database + "-wal"] where FileManager.default.fileExists(atPath: path) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            // (An observer's name is a fact like a declarant's: in x_attendance, as x_declaration.)
            for text in ["panic alarm", "CCTV", "Stalking"] {
                XCTAssertNil(bytes.range(of: Data(text.utf8)), "\(text) in the clear in \(path)")
            }
        }

        // Twenty days on (the daemon's clock moved), housing's action is overdue: at start
        // the daemon writes housing a notice, ids and dates only; the list shows it; the
        // next meeting's agenda carries it.
        let root = daemon.state.deletingLastPathComponent()
        let offset = root.appendingPathComponent("clock-offset")
        try Data(String(20 * 86_400).utf8).write(to: offset)
        daemon.environment = ["LD_PRELOAD": try daemon.faultLibrary("EIO", trigger: root.appendingPathComponent("no-fault"), clockOffset: offset).path]
        try daemon.start()
        let notice = daemon.state.appendingPathComponent("outbox/housing/notices/overdue-\(Self.day(in: 20)).p7m")
        try daemon.waitFor("housing's overdue notice") { FileManager.default.fileExists(atPath: notice.path) && daemon.log.contains("actions.overdue") }
        let (overdue, status) = try daemon.openWithOpenSSL(notice, as: "housing")
        XCTAssertEqual(status, 0)
        XCTAssertEqual(overdue?["type"] as? String, "overdue-actions")
        XCTAssertEqual(overdue?["actions"] as? [[String: String]], [["id": "\(number)-A1", "case": number, "meeting": meeting, "due": due, "status": "open"]])
        for agency in ["police", "idva", "probation"] {
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: daemon.state.appendingPathComponent("outbox/\(agency)/notices").path), [],
                           "\(agency) has nothing overdue")
        }
        XCTAssertEqual(try ok(["action", "list", "--overdue"]).output, housingAction.replacingOccurrences(of: "\n", with: "  OVERDUE\n") + "1 action\n")
        let next = try self.meeting(in: 27, inviting: "police", cases: [number])
        try ok(["meeting", "send-agenda", next])
        let (agenda, _) = try daemon.openWithOpenSSL(daemon.state.appendingPathComponent("outbox/police/agenda/\(next)-v1.p7m"), as: "police")
        let listed = (agenda?["cases"] as? [[String: Any]])?.first?["openActions"] as? [[String: String]]
        XCTAssertEqual(listed, [["id": "\(number)-A1", "meeting": meeting, "owner": "housing", "due": due, "status": "open"]])
        XCTAssertEqual(daemon.stop(), 0)
    }
}
