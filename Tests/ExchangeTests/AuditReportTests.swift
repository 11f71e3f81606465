import Exchange
import Foundation
import XCTest

/// The IG report from log entries: disclosures by agency pair and basis, refusals by
/// principal, and reads out of pattern (at night, of a case on no agenda, many cases
/// outside any meeting), within the period asked.
final class AuditReportTests: XCTestCase {
    func entry(_ time: String, _ operation: String, person: String = "Reader", agency: String = "health", owner: String = "police",
               case number: String? = "M-2026-0001", meeting: String? = nil, bases: [String] = ["marac-isp"], rule: String = "in-session",
               action: String? = nil) -> JSONValue {
        var details: [(String, JSONValue)] = [("owner", .string(owner)), ("rule", .string(rule))]
        if let action { details = [("action", .string(action))] }
        var object = JSONObject()
        object.set("time", .string(time))
        object.set("operation", .string(operation))
        object.set("actor", JSONValue.object(["person": .string(person), "agency": .string(agency)]))
        object.set("records", .array(action == nil ? [.string("doc_1")] : []))
        if let number { object.set("case", .string(number)) }
        if let meeting { object.set("meeting", .string(meeting)) }
        object.set("recipients", .array(operation == "disclosure" ? [.string(agency)] : []))
        object.set("bases", .array(bases.map(JSONValue.string)))
        var detailObject = JSONObject()
        for (key, value) in details { detailObject.set(key, value) }
        object.set("details", .object(detailObject))
        return .object(object)
    }

    func testTheReportCountsFlowsRefusalsAndFlagsOutOfPatternReads() {
        var entries: [JSONValue] = [
            entry("2026-12-01T09:00:00Z", "meeting", person: "Coordinator", agency: "idva", action: "add-case"),
            entry("2026-12-10T10:00:00Z", "disclosure", meeting: "MTG-2026-12-10"),
            entry("2026-12-10T10:05:00Z", "disclosure", meeting: "MTG-2026-12-10"),
            entry("2026-12-10T10:06:00Z", "disclosure", person: "Idva", agency: "idva", bases: ["consent"], rule: "idva-referral"),
            entry("2026-12-10T23:30:00Z", "refusal", bases: [], rule: "meeting-not-in-session"),
            entry("2026-12-11T02:00:00Z", "disclosure", person: "Coordinator", agency: "housing", bases: ["dpa-s1-p18"], rule: "coordinator"),
        ]
        // Someone reading five unscheduled cases outside any meeting.
        for i in 2...6 {
            entries.append(entry("2026-12-12T11:0\(i):00Z", "disclosure", person: "Curious", agency: "probation", case: "M-2026-000\(i)",
                                 bases: ["dpa-s1-p18"], rule: "coordinator"))
        }
        entries.append(entry("2027-01-05T10:00:00Z", "disclosure", meeting: "MTG-2027-01-05"))  // after the period
        let report = AuditReport.build(entries.enumerated().map { ($0.offset, $0.element) }, since: "2026-12-01T00:00:00Z", until: "2027-01-01T00:00:00Z")
        XCTAssertEqual(report.entries, 11)
        XCTAssertEqual(report.disclosures.first, AuditReport.Flow(from: "police", to: "probation", basis: "dpa-s1-p18", count: 5), "most first")
        XCTAssertTrue(report.disclosures.contains(AuditReport.Flow(from: "police", to: "health", basis: "marac-isp", count: 2)))
        XCTAssertTrue(report.disclosures.contains(AuditReport.Flow(from: "police", to: "idva", basis: "consent", count: 1)))
        XCTAssertEqual(report.refusals, [AuditReport.Refusals(person: "Reader", agency: "health", rule: "meeting-not-in-session", count: 1)])
        let whys = report.flags.map { "\($0.seq) \($0.person) \($0.why)" }
        XCTAssertTrue(whys.contains("5 Coordinator read at night"), "\(whys)")
        XCTAssertTrue(whys.contains("7 Curious read of a case on no agenda"), "\(whys)")
        XCTAssertTrue(whys.contains("10 Curious read 5 cases outside any meeting"), "\(whys)")
        XCTAssertFalse(whys.contains { $0.hasPrefix("1 ") || $0.hasPrefix("2 ") }, "in-session reads of scheduled cases are in pattern: \(whys)")
        XCTAssertFalse(whys.contains { $0.hasPrefix("4 ") }, "a refusal is not a read")
        XCTAssertFalse(whys.contains { $0.hasPrefix("3 ") }, "the Idva's copy of a referral comes on receipt: in pattern")
    }

    /// A disclosure citing three bases is one disclosure; a pack sent at night is a pack
    /// send, never "read at night" (issue 24).
    func testADisclosureIsCountedOnceAndPackSendsAreNeverFlagged() {
        var pack = entry("2026-12-09T23:10:00Z", "disclosure", person: "Coordinator", agency: "health", meeting: "MTG-2026-12-10",
                         bases: ["marac-isp", "dpa-s1-p18", "ukgdpr-6-1-e"], rule: "agenda-pack")
        guard case var .object(object) = pack, case var .object(details) = object["details"] ?? .null else { return XCTFail("an object") }
        details.set("pack", .string("agenda-MTG-2026-12-10-v1.p7m"))
        object.set("details", .object(details))
        pack = .object(object)
        let read = entry("2026-12-09T23:20:00Z", "disclosure", bases: ["dpa-s1-p18", "ukgdpr-6-1-e"], rule: "coordinator")
        let report = AuditReport.build([(0, pack), (1, read)], since: nil, until: nil)
        XCTAssertEqual(report.disclosures, [
            AuditReport.Flow(from: "police", to: "health", basis: "dpa-s1-p18 + ukgdpr-6-1-e", via: .read, count: 1),
            AuditReport.Flow(from: "police", to: "health", basis: "marac-isp + dpa-s1-p18 + ukgdpr-6-1-e", via: .pack, count: 1),
        ])
        XCTAssertEqual(report.totals, AuditReport.Totals(disclosures: 2, packSends: 1, consultations: 0, refusals: 0, flags: 2))
        XCTAssertEqual(report.flags.map { "\($0.seq) \($0.why)" }, ["1 read at night", "1 read of a case on no agenda"],
                       "the pack send at 23:10 is not flagged; the person's read at 23:20 is")
        XCTAssertEqual(report.basesCited, ["dpa-s1-p18", "marac-isp", "ukgdpr-6-1-e"])
    }
}
