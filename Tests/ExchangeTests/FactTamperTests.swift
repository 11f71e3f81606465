@testable import Exchange
import Foundation
import TestSupport
import Vault
import XCTest

/// Every fact behind an access decision is authenticated and bound to the log
/// (`docs/vault-format.md`, "Authenticated facts"): for each fact table, a row inserted,
/// updated, deleted, or two rows swapped with the `sqlite3` CLI while the vault is open
/// makes the next read fail, decrypting and logging nothing, and `verifyFacts` (what
/// `maracctl audit verify` runs) names the row. Put back, everything reads again.
final class FactTamperTests: XCTestCase {
    var fixture: MaracFixture!
    var first: AcceptedForm!
    let coordinator = MaracFixture.coordinator
    let chair = Principal(uid: 1005, name: "Chair", agency: "police", roles: [.chair])
    let police = Principal(uid: 1002, name: "Police rep", agency: "police", roles: [.representative])
    let health = Principal(uid: 1003, name: "Health rep", agency: "health", roles: [.representative])

    override func setUpWithError() throws {
        fixture = try MaracFixture(policy: MaracAccessPolicy(registry: .builtIn))
    }
    override func tearDown() { fixture.cleanUp() }

    private var database: String { fixture.directory + "/vault.db" }

    @discardableResult
    private func sql(_ statement: String) throws -> String {
        let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [database, statement])
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private var entries: Int { (try? fixture.vault.logEntries(0..<Int.max).count) ?? -1 }

    /// Two rows in every fact table, each written the way the daemon writes it.
    private func populateEveryFactTable() throws {
        first = try fixture.accept(fixture.fixture("valid/referral-police.json"))
        let second = try fixture.accept(fixture.referral(name: "Second Victim", dob: "1990-01-02"))
        for agency in ["police", "health", "children"] {
            let key = try PrivateKey.generateP256()
            let certificate = try Certificate.selfSigned(commonName: "\(agency) recipient", key: key, validityDays: 365,
                                                         notBefore: fixture.clock.now - 3_600, usage: .recipient)
            try fixture.marac.agencies.setCertificate(agency, certificate.derRepresentation)
        }
        _ = try fixture.marac.meetings.create(date: CalendarDate("2027-01-14")!, by: coordinator)
        let meeting = try fixture.schedule(first.caseNumber, inviting: ["police", "health", "children"])
        _ = try fixture.marac.meetings.addCase(meeting.id, try XCTUnwrap(second.caseNumber), by: coordinator)
        _ = try fixture.marac.sendAgenda(meeting.id, by: coordinator)
        _ = try fixture.marac.meetings.declare(meeting.id, person: health.name, agency: "health", statement: [1], by: health)
        _ = try fixture.marac.meetings.declare(meeting.id, person: police.name, agency: "police", statement: [1], by: police)
        _ = try fixture.marac.meetings.advance(meeting.id, to: .inSession, by: chair)
        // The action plan and the attendance (docs/actions.md).
        for owner in ["police", "health"] {
            _ = try fixture.marac.addAction(NewAction(meeting: meeting.id, caseNumber: try XCTUnwrap(first.caseNumber), owner: owner,
                                                      due: CalendarDate("2027-01-31")!, risk: .victim, text: "An action"), by: chair)
        }
        _ = try fixture.marac.recordAttendance(meeting.id, agency: "children", role: .apology, researchSent: true, by: chair)
        _ = try fixture.marac.recordAttendance(meeting.id, agency: "health", person: "Observer", role: .observer, declared: true, by: chair)
        let packs = try fixture.marac.meetingPacks(meeting.id, by: chair).packs
        try fixture.marac.packsWritten(packs.map { ($0, Array(repeating: 7, count: 32)) })
        for number in [first.caseNumber!, second.caseNumber!] {
            guard case .needsApproval = try fixture.marac.exportCase(number, by: coordinator, bases: ["dpa-s1-p18"], reason: "review") else {
                return XCTFail("police's referral waits for police's approval")
            }
            try fixture.marac.hold(number, reason: "litigation", by: coordinator)
        }
        // A second meeting, closed: its outbox work is recorded for both its agencies.
        let closing = try fixture.marac.meetings.create(date: CalendarDate("2027-01-21")!, by: coordinator)
        _ = try fixture.marac.meetings.invite(closing.id, agencies: ["police", "health"], by: coordinator)
        let third = try fixture.accept(fixture.referral(name: "Third Victim", dob: "1991-02-03"))
        _ = try fixture.marac.meetings.addCase(closing.id, try XCTUnwrap(third.caseNumber), by: coordinator)
        _ = try fixture.marac.sendAgenda(closing.id, by: coordinator)
        _ = try fixture.marac.meetings.advance(closing.id, to: .inSession, by: chair)
        _ = try fixture.marac.meetings.advance(closing.id, to: .closed, by: chair)
        _ = try fixture.accept(fixture.referral(edits: [("victim.address", "9 Corrected Road"), ("supersedes", first.document)]))
        _ = try fixture.accept(fixture.referral(name: "Second Victim", dob: "1990-01-02",
                                                edits: [("victim.address", "3 Corrected Road"), ("supersedes", second.document)]))
        // Two meetings cancelled (docs/access.md, "Corrections").
        for date in ["2027-02-04", "2027-02-11"] {
            let mistaken = try fixture.marac.meetings.create(date: CalendarDate(date)!, by: coordinator)
            _ = try fixture.marac.meetings.cancel(mistaken.id, reason: "created by mistake", by: coordinator)
        }
        for table in ExchangeSchema.facts {
            XCTAssertGreaterThanOrEqual(Int(try sql("SELECT count(*) FROM \(table.name)")) ?? 0, 2, table.name)
        }
    }

    /// The read every case below makes: police reading its own referral, allowed and
    /// logged while the facts verify.
    private func read() throws -> DocumentRead {
        try fixture.marac.read(first.document, by: police, bases: ["ukgdpr-6-1-e"], reason: "record check")
    }

    /// The name of the row the insert below makes: the first row's, its first key value
    /// suffixed `-x`.
    private func inserted(_ name: String, _ table: FactTable) -> String {
        var parts = name.dropFirst(table.name.count + 1).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        parts[0] += "-x"
        return table.name + "/" + parts.joined(separator: "/")
    }

    func testEveryInsertUpdateDeleteAndSwapOfEveryFactTableIsRefusedAndNamed() throws {
        try populateEveryFactTable()
        XCTAssertNoThrow(try read())
        XCTAssertEqual(try fixture.marac.verifyFacts().rows, try ExchangeSchema.facts.reduce(0) { $0 + (Int(try sql("SELECT count(*) FROM \($1.name)")) ?? 0) })

        for table in ExchangeSchema.facts {
            let keys = table.key.joined(separator: ", "), tuple = "(\(keys))"
            let firstKey = "(SELECT \(keys) FROM \(table.name) ORDER BY \(keys) LIMIT 1)"
            // The rows as the vault names them (a person's name only as a keyed pseudonym).
            let names = try fixture.vault.factRows().filter { $0.table == table.name }.prefix(2).map { "\(table.name)/\($0.key)" }
            let column = table.columns.last!  // a time or state column: changed by one
            // The copy's first key value is suffixed, and so is a column that must be unique.
            let otherColumns = table.columns.dropFirst().map { $0 == "new" ? "new || '-x'" : $0 }.joined(separator: ", ")
            let mutations: [(name: String, sql: String, refused: String, named: String)] = [
                ("update", "UPDATE \(table.name) SET \(column) = CASE typeof(\(column)) WHEN 'integer' THEN \(column) + 1 "
                    + "WHEN 'text' THEN \(column) || 'x' WHEN 'null' THEN 1 ELSE X'00' END WHERE \(tuple) = \(firstKey)",
                 names[0], "\(names[0]): fact"),
                ("insert", "INSERT INTO \(table.name) (\(table.columns.joined(separator: ", ")), entry, mac) SELECT \(table.columns[0]) || '-x'"
                    + (otherColumns.isEmpty ? "" : ", " + otherColumns) + ", entry, mac FROM \(table.name) ORDER BY \(keys) LIMIT 1",
                 inserted(names[0], table), "\(inserted(names[0], table)): inserted"),
                ("delete", "DELETE FROM \(table.name) WHERE \(tuple) = \(firstKey)", "facts", "\(names[0]): deleted"),
                ("swap", """
                    UPDATE \(table.name) SET entry = (SELECT entry FROM \(table.name) ORDER BY \(keys) LIMIT 1 OFFSET 1),
                        mac = (SELECT mac FROM \(table.name) ORDER BY \(keys) LIMIT 1 OFFSET 1) WHERE \(tuple) = \(firstKey);
                    UPDATE \(table.name) SET entry = (SELECT entry FROM bak ORDER BY \(keys) LIMIT 1),
                        mac = (SELECT mac FROM bak ORDER BY \(keys) LIMIT 1)
                        WHERE \(tuple) = (SELECT \(keys) FROM \(table.name) ORDER BY \(keys) LIMIT 1 OFFSET 1)
                    """, names[0], "\(names[0]): changed"),
            ]
            for mutation in mutations {
                let what = "\(mutation.name) \(table.name)"
                try sql("CREATE TABLE bak AS SELECT * FROM \(table.name); " + mutation.sql)
                let before = entries
                XCTAssertThrowsError(try read(), what) {
                    XCTAssertEqual($0 as? VaultError, .tampered(subject: mutation.refused, part: .fact), what)
                }
                XCTAssertEqual(entries, before, "\(what): nothing read, nothing logged")
                XCTAssertThrowsError(try fixture.marac.verifyFacts(), what) { error in
                    let text = "\(error)"
                    XCTAssertTrue(text.contains(mutation.named), "\(what): \(text)")
                }
                try sql("DELETE FROM \(table.name); INSERT INTO \(table.name) SELECT * FROM bak; DROP TABLE bak")
                XCTAssertNoThrow(try read(), "\(what), put back")
            }
        }
        XCTAssertNoThrow(try fixture.marac.verifyFacts())
    }

    /// A change made through a transaction that no entry records is rolled back.
    func testAFactChangedWithoutItsLogEntryIsRolledBack() throws {
        XCTAssertThrowsError(try fixture.vault.transaction { tx in
            try tx.changeFact("x_agency", [.text("police")], "UPDATE x_agency SET name = 'Renamed' WHERE id = 'police'", [])
        }) { XCTAssertEqual($0 as? VaultError, .unloggedFact("x_agency/police")) }
        XCTAssertEqual(try sql("SELECT name FROM x_agency WHERE id = 'police'"), "Demo police")
        XCTAssertNoThrow(try fixture.marac.verifyFacts())
    }

    /// The whole fact state put back as it was (the rows and the digest row of an earlier
    /// moment): the digest names a log size the log has passed.
    func testAnEarlierCopyOfEveryFactIsRefused() throws {
        try populateEveryFactTable()
        try sql("CREATE TABLE old_state AS SELECT * FROM vault_fact_state; CREATE TABLE old_hold AS SELECT * FROM x_hold")
        try fixture.marac.release(first.caseNumber!, by: coordinator)
        XCTAssertNoThrow(try read())
        try sql("DELETE FROM vault_fact_state; INSERT INTO vault_fact_state SELECT * FROM old_state; "
                + "DELETE FROM x_hold; INSERT INTO x_hold SELECT * FROM old_hold")
        XCTAssertThrowsError(try read()) { XCTAssertEqual($0 as? VaultError, .tampered(subject: "vault_fact_state", part: .fact)) }
        XCTAssertThrowsError(try fixture.marac.verifyFacts()) {
            XCTAssertTrue("\($0)".contains("x_hold/\(self.first.caseNumber!): put back"), "\($0)")
        }
    }

    /// One key opening two agencies' packs is refused at registration.
    func testOneKeyCannotBeRegisteredToTwoAgencies() throws {
        let key = try PrivateKey.generateP256()
        let certificate = try Certificate.selfSigned(commonName: "shared", key: key, validityDays: 365,
                                                     notBefore: fixture.clock.now - 3_600, usage: .recipient)
        try fixture.marac.agencies.setCertificate("police", certificate.derRepresentation)
        let again = try Certificate.selfSigned(commonName: "another name, the same key", key: key, validityDays: 365,
                                               notBefore: fixture.clock.now - 3_600, usage: .recipient)
        for der in [certificate.derRepresentation, again.derRepresentation] {
            XCTAssertThrowsError(try fixture.marac.agencies.setCertificate("health", der)) {
                XCTAssertEqual($0 as? ExchangeError, .invalidAgency(field: "certificate",
                                                                     reason: "holds the same public key as agency police's; each agency needs its own key"))
            }
        }
        XCTAssertThrowsError(try fixture.marac.agencies.add(Agency(id: "mental-health", name: "MH", kind: .mentalHealth,
                                                                   certificate: certificate.derRepresentation)))
        XCTAssertEqual(try sql("SELECT count(*) FROM x_agency WHERE certificate IS NOT NULL"), "1")
    }
}
