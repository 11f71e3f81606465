import Exchange
import Foundation
import Vault
import XCTest

/// A clock tests move by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(_ day: String) { current = TestClock.noon(day) }

    var now: Date { lock.lock(); defer { lock.unlock() }; return current }

    /// Sets the clock to noon UTC on `day`.
    func set(_ day: String) { lock.lock(); current = TestClock.noon(day); lock.unlock() }

    /// Moves the clock by whole days.
    func advance(days: Int) { lock.lock(); current += TimeInterval(days * 86_400); lock.unlock() }

    static func noon(_ day: String) -> Date {
        Date(timeIntervalSince1970: TimeInterval(CalendarDate(day)!.dayNumber * 86_400 + 43_200))
    }
}

/// Lets tests read documents back (every read logged), as the access policy will for
/// authorised principals.
struct ReadAllPolicy: DocumentAccessPolicy {
    func decide(_ request: AccessRequest, for document: DocumentRecord, reading tx: VaultTransaction) -> AccessDecision {
        .allow(logEntry: Data("{\"operation\":\"consultation\",\"records\":[\"\(document.id)\"]}".utf8))
    }
}

/// A vault and a Marac on it in a temporary state directory, with the six demo agencies.
final class MaracFixture {
    let directory: String
    let clock: TestClock
    var vault: Vault!
    var marac: Marac!
    /// Log entries the set-up made (one `registry` entry per agency registered).
    private(set) var setupEntries = 0

    init(today: String = "2026-11-20", settings: MaracSettings = MaracSettings(), idva: Bool = true,
         policy: any DocumentAccessPolicy = ReadAllPolicy()) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("maracd-exchange-\(UUID().uuidString)").path
        clock = TestClock(today)
        let clock = self.clock
        vault = try Vault.create(stateDirectory: directory, signingName: "maracd test", policy: policy, clock: { clock.now })
        marac = try Marac(vault: vault, settings: settings)
        for (id, kind) in [("police", AgencyKind.police), ("health", .health), ("children", .childrensServices),
                           ("housing", .housing), ("probation", .probation)] {
            try marac.agencies.add(Agency(id: id, name: "Demo \(id)", kind: kind))
        }
        if idva { try marac.agencies.add(Agency(id: "idva", name: "Demo Idva service", kind: .idva)) }
        setupEntries = try vault.treeHead().size
    }

    func cleanUp() {
        marac = nil
        vault = nil
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The police referral fixture for a victim, dated the day of receipt.
    func referral(name: String = "Tamsin Quinn", dob: String? = "1993-11-13", aliases: [String]? = nil, tickedRepeat: Bool = false,
                  edits: [(String, Any?)] = []) throws -> Submission {
        var form = try FormEdit("valid/referral-police.json")
        let today = CalendarDate(clock.now).description
        form.set("date", today)
        form.set("dash.signedDate", today)
        form.set("victim.name", name)
        form.set("victim.dob", dob)
        form.set("victim.aliases", aliases)
        form.set("reasons.repeat", tickedRepeat)
        for (path, value) in edits { form.set(path, value) }
        return Submission(bytes: form.bytes, agency: "police")
    }

    /// The coordinator tests act as.
    static let coordinator = Principal(uid: 1001, name: "Coordinator", agency: "idva", roles: [.coordinator])

    /// Puts case `number` on a new meeting on `date` with `agencies` invited (what must be
    /// true before an agency's research for the case is taken).
    @discardableResult
    func schedule(_ number: CaseNumber?, inviting agencies: [String] = ["police", "health"], on date: String = "2026-12-10") throws -> Meeting {
        let number = try XCTUnwrap(number)
        let meeting = try marac.meetings.create(date: CalendarDate(date)!, by: Self.coordinator)
        _ = try marac.meetings.addCase(meeting.id, number, by: Self.coordinator)
        return try marac.meetings.invite(meeting.id, agencies: agencies, by: Self.coordinator)
    }

    /// Submits and expects acceptance.
    @discardableResult
    func accept(_ submission: Submission, file: StaticString = #filePath, line: UInt = #line) throws -> AcceptedForm {
        switch try marac.submit(submission) {
        case let .accepted(form): return form
        case let .rejected(rejection, _):
            XCTFail("rejected: \(rejection.problems.map(\.description))", file: file, line: line)
            throw rejection
        }
    }

    /// The fixture `name` submitted through its inbox.
    func fixture(_ name: String) throws -> Submission {
        Submission(bytes: try FormFixtures.bytes(name), agency: FormFixtures.agency(for: name))
    }

    /// The decoded log entry at `index`.
    func logEntry(_ index: Int) throws -> LogEntry {
        try JSONDecoder().decode(LogEntry.self, from: vault.logEntry(index))
    }

    /// All bytes of every file under the state directory, by name.
    func filesOnDisk() throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            out[name] = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)))
        }
        return out
    }
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs in these bytes.
    func contains(bytes needle: [UInt8]) -> Bool {
        !needle.isEmpty && Data(self).range(of: Data(needle)) != nil
    }
}
