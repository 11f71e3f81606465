@testable import Exchange
import Foundation
import XCTest

/// Who may call which verb, and which log entries an IG officer sees: each one table or
/// function in Exchange (`docs/access.md`), which the daemon asks and `docs/access.md` shows.
final class ControlPolicyTests: XCTestCase {
    let coordinator = Principal(uid: 1, name: "Coordinator", agency: "idva", roles: [.coordinator])
    let chair = Principal(uid: 2, name: "Chair", agency: "police", roles: [.chair])
    let custodian = Principal(uid: 3, name: "Custodian", agency: "idva", roles: [.keyCustodian])
    let policeIG = Principal(uid: 4, name: "Police IG", agency: "police", roles: [.igOfficer])
    let maracIG = Principal(uid: 5, name: "Marac IG", agency: "housing", roles: [.igOfficer], scope: .marac)
    let health = Principal(uid: 6, name: "Health rep", agency: "health", roles: [.representative])

    func testEveryVerbHasOneRowAndTheRowDecides() throws {
        XCTAssertEqual(Set(ControlPolicy.table.map(\.verb)).count, ControlPolicy.table.count, "one row per verb")
        for (verb, allowed, refused) in [
            ("meeting.create", coordinator, chair), ("meeting.advance", chair, health), ("meeting.send-packs", coordinator, custodian),
            ("key.rotate", custodian, coordinator), ("audit.log", policeIG, coordinator), ("case.hold", maracIG, health),
            ("retention.run", coordinator, chair), ("subject.search", maracIG, coordinator),
        ] {
            XCTAssertNoThrow(try ControlPolicy.require(verb, allowed), verb)
            XCTAssertThrowsError(try ControlPolicy.require(verb, refused), verb)
        }
        XCTAssertThrowsError(try ControlPolicy.require("meeting.advance", health)) {
            XCTAssertEqual($0 as? ExchangeError, .notPermitted("only the coordinator or the chair may move a meeting"))
        }
        XCTAssertThrowsError(try ControlPolicy.require("case.hold", health)) {
            XCTAssertEqual($0 as? ExchangeError, .notPermitted("only an IG officer or the coordinator may place a legal hold"))
        }
        for verb in ["status", "doc.read", "case.list", "export.case", "export.approve", "meeting.declare"] {
            XCTAssertNoThrow(try ControlPolicy.require(verb, health), "\(verb) is decided further on the facts")
        }
        XCTAssertNil(ControlPolicy.row(for: "launch-missiles"))
    }

    func testTheAuditScopeIsOneFunctionThatFailsClosed() throws {
        func entry(_ json: String) -> Data { Data(json.utf8) }
        let export = entry(#"{"operation":"disclosure","actor":{"agency":"idva","person":"Coordinator"},"recipients":["idva"],"details":{"export":"case","owners":"health,police"}}"#)
        XCTAssertTrue(AuditScope.admits(export, policeIG), "the owning agency's officer sees an export of its documents (details.owners)")
        let read = entry(#"{"operation":"consultation","actor":{"agency":"health","person":"Health rep"},"recipients":[],"details":{"owner":"health"}}"#)
        XCTAssertFalse(AuditScope.admits(read, policeIG))
        XCTAssertTrue(AuditScope.admits(read, maracIG))
        XCTAssertTrue(AuditScope.admits(entry(#"{"op":"key-rotate","agency":"police","actor":"vault"}"#), policeIG), "an old key event of its agency")
        for undecodable in [entry("not json"), entry("[]"), Data([0xff, 0xfe])] {
            XCTAssertFalse(AuditScope.admits(undecodable, policeIG), "an agency's officer never sees an entry the scope cannot read")
            XCTAssertTrue(AuditScope.admits(undecodable, maracIG), "the Marac-wide officer sees every entry")
        }
        XCTAssertFalse(AuditScope.admits(read, coordinator), "not an IG officer")
    }

    /// `docs/access.md` shows the tables the code decides by, exactly.
    func testTheAccessDocumentShowsTheTables() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/access.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        XCTAssertTrue(text.contains(ControlPolicy.markdown), "docs/access.md must hold ControlPolicy.markdown:\n\(ControlPolicy.markdown)")
        XCTAssertTrue(text.contains(AccessPolicy.markdown), "docs/access.md must hold AccessPolicy.markdown:\n\(AccessPolicy.markdown)")
        XCTAssertTrue(text.contains(FactRules.markdown), "docs/access.md must hold FactRules.markdown:\n\(FactRules.markdown)")
        XCTAssertTrue(text.contains(CaseVisibility.markdown), "docs/access.md must hold CaseVisibility.markdown:\n\(CaseVisibility.markdown)")
    }

    /// Every column of every fact row is evaluated, and a refusal says why.
    func testTheFactRulesDecideDeclarationsAndApprovals() throws {
        let rep = Principal(uid: 1, name: "Rep", agency: "health", roles: [.representative])
        let chair = Principal(uid: 2, name: "Chair", agency: "police", roles: [.chair])
        func facts(_ person: String, _ agency: String, invited: Bool = false, waits: Bool = false, waiting: [String] = []) -> FactRules.Facts {
            var facts = FactRules.Facts(target: "MTG-2026-12-10", person: person, agency: agency)
            facts.agencyInvited = invited
            facts.requestWaitsForAgency = waits
            facts.ownersWaiting = waiting
            return facts
        }
        func refusal(_ verb: String, _ principal: Principal, _ f: FactRules.Facts) -> String {
            do { return "allowed \(try FactRules.decide(verb, principal, f))" } catch { return "\(error)" }
        }
        XCTAssertEqual(try FactRules.decide("meeting.declare", rep, facts("Rep", "health", invited: true)), .allow(rule: "declares-for-themselves"))
        XCTAssertEqual(refusal("meeting.declare", rep, facts("Rep", "health")), "not permitted: agency health is not invited to MTG-2026-12-10")
        XCTAssertEqual(refusal("meeting.declare", rep, facts("Other", "health", invited: true)),
                       "not permitted: only the chair records a declaration for someone else")
        XCTAssertEqual(refusal("meeting.declare", rep, facts("Rep", "police", invited: true)),
                       "not permitted: only the chair records a declaration for someone else")
        XCTAssertEqual(try FactRules.decide("meeting.declare", chair, facts("Rep", "health", invited: true)), .allow(rule: "chair-records"))
        XCTAssertEqual(refusal("meeting.declare", chair, facts("Rep", "health")), "not permitted: agency health is not invited to MTG-2026-12-10")
        XCTAssertEqual(try FactRules.decide("export.approve", rep, facts("Rep", "health", waits: true)), .allow(rule: "owning-agency-approves"))
        XCTAssertEqual(refusal("export.approve", rep, facts("Rep", "police", waits: true)),
                       "not permitted: export request MTG-2026-12-10 does not wait for agency police")
        XCTAssertEqual(refusal("export.approve", rep, facts("Rep", "health")),
                       "not permitted: export request MTG-2026-12-10 does not wait for agency health")
        XCTAssertEqual(try FactRules.decide("export.case", rep, facts("Rep", "health", waiting: ["police"])), .waitsFor(["police"]))
        XCTAssertEqual(try FactRules.decide("export.case", rep, facts("Rep", "health")), .allow(rule: "owners-approved"))
    }
}
