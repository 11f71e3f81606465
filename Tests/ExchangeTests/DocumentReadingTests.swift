import Exchange
import Foundation
import TestSupport
import Vault
import XCTest

/// `Marac.read` through a real vault with the Marac's policy installed: the plaintext
/// only on an allow, the exact entry committed before it, a refusal logged, and nothing
/// disclosed when the log cannot be written (a full disk, not a mock).
final class DocumentReadingTests: XCTestCase {
    var fixture: MaracFixture!
    var referral: AcceptedForm!, research: AcceptedForm!, meeting: Meeting!
    let coordinator = Principal(uid: 1001, name: "Coordinator", agency: "housing", roles: [.coordinator])
    let health = Principal(uid: 1003, name: "Health rep", agency: "health", roles: [.representative])
    let police = Principal(uid: 1002, name: "Police rep", agency: "police", roles: [.representative])
    let ig = Principal(uid: 1004, name: "IG officer", agency: "housing", roles: [.igOfficer], scope: .marac)

    override func setUpWithError() throws {
        fixture = try MaracFixture(policy: MaracAccessPolicy(registry: .builtIn))
        referral = try fixture.accept(fixture.fixture("valid/referral-police.json"))
        meeting = try fixture.schedule(referral.caseNumber, inviting: ["health"])
        research = try fixture.accept(fixture.fixture("valid/research-health-for-first-case.json"))
    }
    override func tearDown() { fixture.cleanUp() }

    private var logSize: Int { (try? fixture.vault.treeHead().size) ?? -1 }

    private func assertRefused(_ id: String, by principal: Principal, bases: [String] = ["dpa-s1-p18"], rule: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        let before = logSize
        XCTAssertThrowsError(try fixture.marac.read(id, by: principal, bases: bases, reason: "check"), file: file, line: line) {
            XCTAssertEqual($0 as? VaultError, .accessDenied(document: id, reason: rule), file: file, line: line)
        }
        XCTAssertEqual(logSize, before + 1, "the refusal is logged", file: file, line: line)
        let entry = try? fixture.logEntry(logSize - 1)
        XCTAssertEqual(entry?.operation, .refusal, file: file, line: line)
        XCTAssertEqual(entry?.details["rule"], rule, file: file, line: line)
    }

    func testTheMeetingLifecycleOpensAndClosesHealthsViewOfPoliceResearch() throws {
        // A second police case, on no meeting yet: health may not read its referral.
        let second = try fixture.accept(fixture.referral(name: "Second Person", dob: "1985-05-05"))
        let number = try XCTUnwrap(second.caseNumber)
        let coordinator = MaracFixture.coordinator
        assertRefused(second.document, by: health, rule: "case-not-on-an-agenda")
        let meeting = try fixture.marac.meetings.create(date: CalendarDate("2026-12-11")!, by: coordinator)
        _ = try fixture.marac.meetings.addCase(meeting.id, number, by: coordinator)
        assertRefused(second.document, by: health, rule: "agency-not-invited")
        _ = try fixture.marac.meetings.invite(meeting.id, agencies: ["health", "police"], by: coordinator)
        // Police, now invited, sends research for it.
        var form = try FormEdit("valid/research-health-for-first-case.json")
        form.set("agency", "police")
        form.set("caseNumber", number.description)
        let policeResearch = try fixture.accept(Submission(bytes: form.bytes, agency: "police"))
        assertRefused(second.document, by: health, rule: "declaration-not-made")
        assertRefused(policeResearch.document, by: health, rule: "declaration-not-made")
        _ = try fixture.marac.meetings.declare(meeting.id, person: health.name, agency: "health", statement: Array("I agree".utf8), by: health)
        XCTAssertThrowsError(try fixture.marac.meetings.declare(meeting.id, person: health.name, agency: "health", statement: [1], by: health)) {
            XCTAssertEqual($0 as? ExchangeError, .conflict("this declaration for \(meeting.id) was already made"))
        }
        assertRefused(policeResearch.document, by: health, rule: "meeting-not-in-session")
        let chair = Principal(uid: 1005, name: "Chair", agency: "police", roles: [.chair])
        XCTAssertThrowsError(try fixture.marac.meetings.advance(meeting.id, to: .inSession, by: chair)) {
            XCTAssertEqual($0 as? ExchangeError, .conflict("meeting \(meeting.id) is scheduled; it can move only to agenda-issued"))
        }
        _ = try fixture.marac.meetings.advance(meeting.id, to: .agendaIssued, by: coordinator)
        _ = try fixture.marac.meetings.advance(meeting.id, to: .inSession, by: chair)

        XCTAssertThrowsError(try fixture.marac.read(policeResearch.document, by: health, bases: [], reason: " ")) {
            XCTAssertEqual($0 as? VaultError, .accessDenied(document: policeResearch.document, reason: "reason-required"), "in session, a reason still")
        }
        let read = try fixture.marac.read(policeResearch.document, by: health, bases: [], reason: "safety planning at the meeting")
        XCTAssertTrue(String(decoding: read.content.withUnsafeBytes { Array($0) }, as: UTF8.self).contains("\"form\""))
        XCTAssertEqual(read.entry.operation, .disclosure)
        XCTAssertEqual(read.entry.recipients, ["health"])
        XCTAssertEqual(read.entry.bases, ["marac-isp"])
        XCTAssertEqual(read.entry.meeting, meeting.id)
        XCTAssertEqual(read.entry.actor, LogEntry.Actor(person: "Health rep", agency: "health"))
        XCTAssertEqual(read.entry.details["rule"], "in-session")
        XCTAssertEqual(read.entry.justification, "safety planning at the meeting", "the reader's own reason, not words made up for it")
        XCTAssertEqual(try fixture.logEntry(logSize - 1), read.entry, "the entry returned is the one committed")

        _ = try fixture.marac.meetings.advance(meeting.id, to: .closed, by: chair)
        assertRefused(policeResearch.document, by: health, rule: "meeting-not-in-session")
        XCTAssertEqual(try fixture.marac.cases.get(number).latestMeeting, CalendarDate("2026-12-11"))
        _ = second
    }

    func testOwnersConsultTheIdvaAndCoordinatorReceiveReferralsAndIGAudits() throws {
        let own = try fixture.marac.read(referral.document, by: police, bases: ["dpa-s1-p18"], reason: "checking our referral")
        XCTAssertEqual(own.entry.operation, .consultation)
        XCTAssertEqual(own.entry.recipients, [])
        let idva = Principal(uid: 1006, name: "Idva", agency: "idva", roles: [.representative])
        XCTAssertThrowsError(try fixture.marac.read(referral.document, by: idva, bases: [], reason: "")) {
            XCTAssertEqual($0 as? VaultError, .accessDenied(document: referral.document, reason: "reason-required"), "the Idva gives a reason too")
        }
        let idvaRead = try fixture.marac.read(referral.document, by: idva, bases: [], reason: "first contact with the victim")
        XCTAssertEqual(idvaRead.entry.operation, .disclosure)
        XCTAssertEqual(idvaRead.entry.justification, "first contact with the victim")
        XCTAssertEqual(idvaRead.entry.bases, ["consent"], "the referral's own basis")
        XCTAssertEqual(try fixture.marac.read(referral.document, by: coordinator, bases: ["marac-isp"], reason: "agenda").entry.recipients, ["housing"])
        assertRefused(referral.document, by: coordinator, bases: [], rule: "basis-required")
        assertRefused(research.document, by: coordinator, rule: "agency-not-invited")
        assertRefused(referral.document, by: ig, bases: ["dpa-s1-p18"], rule: "audit-basis-required")
        XCTAssertEqual(try fixture.marac.read(research.document, by: ig, bases: ["audit"], reason: "quarterly audit").entry.bases, ["audit"])
        let agencyIG = Principal(uid: 1007, name: "Housing IG", agency: "housing", roles: [.igOfficer])
        assertRefused(research.document, by: agencyIG, bases: ["audit"], rule: "agency-not-invited")
    }

    /// Reads answered together (the control socket's group commit) are decided one by
    /// one exactly as alone: results in order, one committed entry per decision in that
    /// order, and a missing document fails alone without an entry or a hole in the rest.
    func testReadsTogetherAreEachDecidedAndLoggedInOrder() throws {
        let before = logSize
        let idva = Principal(uid: 1006, name: "Idva", agency: "idva", roles: [.representative])
        let missing = "doc_" + String(repeating: "0", count: 32)
        let results = try fixture.marac.read([
            ReadRequest(document: referral.document, principal: police, bases: ["dpa-s1-p18"], reason: "checking our referral"),
            ReadRequest(document: research.document, principal: coordinator, bases: ["dpa-s1-p18"], reason: "check"),
            ReadRequest(document: missing, principal: police, bases: ["dpa-s1-p18"], reason: "check"),
            ReadRequest(document: referral.document, principal: idva, bases: [], reason: "first contact"),
        ])
        XCTAssertEqual(results.count, 4)
        XCTAssertEqual(try results[0].get().entry.operation, .consultation)
        XCTAssertThrowsError(try results[1].get()) {
            XCTAssertEqual($0 as? VaultError, .accessDenied(document: research.document, reason: "agency-not-invited"))
        }
        XCTAssertThrowsError(try results[2].get()) { XCTAssertEqual($0 as? VaultError, .notFound(missing)) }
        let idvaRead = try results[3].get()
        XCTAssertEqual(idvaRead.entry.operation, .disclosure)
        XCTAssertTrue(String(decoding: idvaRead.content.withUnsafeBytes { Array($0) }, as: UTF8.self).contains("\"form\""))
        XCTAssertEqual(logSize, before + 3, "three decisions, three entries; the missing document none")
        XCTAssertEqual(try fixture.logEntry(before), try results[0].get().entry)
        XCTAssertEqual(try fixture.logEntry(before + 1).details["rule"], "agency-not-invited")
        XCTAssertEqual(try fixture.logEntry(before + 2), idvaRead.entry)
    }

    func testAReadWithoutTheMaracsFactsIsRefusedAndLogged() throws {
        let before = logSize
        XCTAssertThrowsError(try fixture.vault.read(referral.document, as: AccessRequest(actor: "x", agency: "police", bases: ["audit"], reason: "x"))) {
            XCTAssertEqual($0 as? VaultError, .accessDenied(document: referral.document, reason: "no-facts"))
        }
        XCTAssertEqual(logSize, before + 1)
    }

    /// Fail closed: with the disk full the log entry cannot be written, and nothing is read.
    func testNothingIsDisclosedWhenTheLogCannotBeWritten() throws {
        try XCTSkipUnless(geteuid() == 0, "needs root to mount a small tmpfs")
        let mount = FileManager.default.temporaryDirectory.appendingPathComponent("maracd-full-\(UUID().uuidString)").path
        XCTAssertEqual(mkdir(mount, 0o700), 0)
        let mounted = try Subprocess.run(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", mount])
        try XCTSkipUnless(mounted.status == 0, "cannot mount a tmpfs here: \(mounted.stderr)")
        defer { _ = try? Subprocess.run(URL(fileURLWithPath: "/bin/umount"), [mount]); rmdir(mount) }
        let state = mount + "/state"
        let clock = fixture.clock
        var vault: Vault? = try Vault.create(stateDirectory: state, signingName: "full disk", policy: MaracAccessPolicy(registry: .builtIn),
                                             clock: { clock.now })
        let marac = try Marac(vault: vault!)
        try marac.agencies.add(Agency(id: "police", name: "Police", kind: .police))
        try marac.agencies.add(Agency(id: "idva", name: "Idva", kind: .idva))
        guard case let .accepted(form) = try marac.submit(try fixture.fixture("valid/referral-police.json")) else { return XCTFail() }
        let size = try vault!.treeHead().size
        // Fill the filesystem.
        let filler = open(mount + "/filler", O_WRONLY | O_CREAT, 0o600)
        let block = [UInt8](repeating: 0, count: 4096)
        while block.withUnsafeBytes({ write(filler, $0.baseAddress, $0.count) }) > 0 {}
        close(filler)
        XCTAssertThrowsError(try marac.read(form.document, by: police, bases: ["dpa-s1-p18"], reason: "check")) { error in
            XCTAssertFalse(error is VaultError && (error as? VaultError).map { if case .accessDenied = $0 { true } else { false } } == true)
        }
        // A group of reads fails as a whole: no reader in it gets anything.
        let idva = Principal(uid: 1006, name: "Idva", agency: "idva", roles: [.representative])
        XCTAssertThrowsError(try marac.read([ReadRequest(document: form.document, principal: police, bases: ["dpa-s1-p18"], reason: "check"),
                                             ReadRequest(document: form.document, principal: idva, bases: [], reason: "check")]))
        unlink(mount + "/filler")
        vault = nil
        let reopened = try Vault.open(stateDirectory: state, policy: MaracAccessPolicy(registry: .builtIn))
        XCTAssertEqual(try reopened.treeHead().size, size, "no entry, so no read")
    }
}
