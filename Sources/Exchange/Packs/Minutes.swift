import Foundation
import Vault

/// What sending the minutes did (`docs/packs.md`, "Minutes pack").
public struct MinutesIssue: Sendable {
    /// The meeting (closed).
    public let meeting: Meeting
    /// The version sent (a resend counts up).
    public let version: Int
    /// One pack per agency that attended or owns an action.
    public let packs: [PreparedPack]
    /// Working days (Monday to Friday) from the meeting's date to the day sent.
    public let workingDaysAfter: Int
}

/// The words every minutes pack carries about itself.
public enum MinutesRules {
    /// The rule on copying, after SafeLives' minutes template.
    public static let copying = "These minutes are confidential. They are not copied or shared, in whole or in part, "
        + "without the agreement of the agencies concerned."
}

extension Marac {
    /// Sends minutes version N+1 of meeting `id` (the coordinator, once it is closed) to
    /// every agency that attended it (someone of it declared) or owns one of its actions:
    /// records each pack, then reads every case's current plan parts and the meeting's
    /// actions through the access policy for each agency (a `disclosure` each, committed
    /// before anything is decrypted) and returns the packs to write. The header carries
    /// `maracName`, the chair, the attendance and `statement`; each case its still-open
    /// actions from earlier meetings (ids, owners, dates and statuses only).
    public func sendMinutes(_ id: String, maracName: String, statement: String, by principal: Principal) throws -> MinutesIssue {
        try ControlPolicy.require("meeting.send-minutes", principal)
        let (meeting, version, certificates, attendance) = try vault.transaction { tx -> (Meeting, Int, [String: Certificate], [AttendanceRecord]) in
            let meeting = try MeetingBook.get(tx, id)
            guard meeting.state == .closed else {
                throw ExchangeError.conflict("meeting \(id) is \(meeting.state.rawValue); the minutes go out once it is closed")
            }
            let owners = try tx.rows("SELECT DISTINCT owner FROM x_action WHERE meeting = ?", [.text(id)]).map { try $0.text(0, "x_action") }
            let recipients = Set(meeting.declarations.map(\.agency) + owners).sorted()
            guard !recipients.isEmpty else { throw ExchangeError.conflict("meeting \(id) had no attendees and no actions: no minutes to send") }
            let certificates = try Self.recipientCertificates(tx, recipients)
            let last = try tx.rows("SELECT max(version) FROM x_pack WHERE meeting = ? AND kind = 'minutes'", [.text(id)]).first?.first?.integer
            let version = Int(last ?? 0) + 1
            try Self.record(tx, .minutes, meeting: id, agencies: recipients, version: version, by: principal)
            try tx.append(.meeting(id, by: principal.actor, recipients: recipients, at: tx.now, justification: "minutes version \(version) sent",
                                   details: ["action": "send-minutes", "version": String(version), "cases": String(meeting.agenda.count),
                                             "certificates": Self.fingerprints(certificates)]))
            return (meeting, version, certificates, try Self.attendance(tx, id))
        }
        // Each case's current plan parts (the latest of each) and this meeting's actions;
        // its open actions from earlier meetings, facts only.
        let cases = try vault.reading { tx in try meeting.agenda.map { try MinutesCase.load(tx, meeting: id, case: $0) } }
        let ids = cases.flatMap(\.documents)
        let contents = try readForPacks(.minutes, meeting: meeting, version: version, certificates: certificates, by: principal,
                                        documents: Dictionary(uniqueKeysWithValues: certificates.keys.map { ($0, ids) }))
        let issuedAt = LogEntry.timestamp(vault.currentTime)
        let header = MinutesCase.header(meeting, maracName: maracName, statement: statement, attendance: attendance)
        let packs = certificates.keys.sorted().map { agency -> PreparedPack in
            var forms = (contents[agency] ?? []).makeIterator()
            var content = header
            content.set("version", .number(Double(version)))
            content.set("issuedAt", .string(issuedAt))
            content.set("recipient", .string(agency))
            content.set("cases", .array(cases.map { $0.json(reading: &forms) }))
            return PreparedPack(kind: .minutes, meeting: id, agency: agency, version: version, certificate: certificates[agency]!,
                                fileName: PackRead.fileName(.minutes, meeting: id, version: version),
                                content: JSONValue.object(content).canonicalBytes, documents: ids)
        }
        let today = CalendarDate(vault.currentTime)
        return MinutesIssue(meeting: meeting, version: version, packs: packs,
                            workingDaysAfter: MinutesCase.workingDays(from: meeting.date, to: today))
    }
}

/// One case of the minutes: the documents to read for it, in order, and its facts.
struct MinutesCase {
    let number: String
    /// The latest `risks`, `idva` and `links` parts recorded (by the log entry that recorded
    /// each, an authenticated fact), in that order, where recorded.
    let parts: [(part: String, document: String)]
    /// The meeting's actions on the case, by id number.
    let actions: [ActionRecord]
    /// Its open actions from earlier meetings.
    let earlier: [ActionRecord]
    /// Those of the documents above that retention has erased: not read, their texts absent.
    let erased: Set<String>

    var documents: [String] { (parts.map(\.document) + actions.map(\.document)).filter { !erased.contains($0) } }

    static func load(_ tx: VaultTransaction, meeting: String, case number: CaseNumber) throws -> MinutesCase {
        let text = number.description
        var parts: [(part: String, document: String)] = []
        for part in ["risks", "idva", "links"] {
            if let row = try tx.rows("""
                SELECT document FROM x_minute WHERE meeting = ? AND case_number = ? AND kind = 'plan' AND part = ?
                ORDER BY entry DESC LIMIT 1
                """, [.text(meeting), .text(text), .text(part)]).first {
                parts.append((part, try row.text(0, "x_minute")))
            }
        }
        let all = try tx.rows("SELECT \(ActionsOrder.columns) FROM x_action WHERE case_number = ?", [.text(text)]).map(ActionsOrder.record)
        func order(_ a: ActionRecord, _ b: ActionRecord) -> Bool {
            (Int(a.id.split(separator: "A").last ?? "") ?? 0) < (Int(b.id.split(separator: "A").last ?? "") ?? 0)
        }
        let actions = all.filter { $0.meeting == meeting }.sorted(by: order)
        let erased = Set(try (parts.map(\.document) + actions.map(\.document)).filter { try tx.record($0).erasedAt != nil })
        return MinutesCase(number: text, parts: parts.filter { !erased.contains($0.document) }, actions: actions,
                           earlier: all.filter { $0.meeting != meeting && $0.status.isOpen }.sorted(by: order), erased: erased)
    }

    /// The case's entry, taking its documents' parsed contents from `forms` in `documents`' order.
    func json(reading forms: inout IndexingIterator<[JSONValue]>) -> JSONValue {
        var entry = JSONObject()
        entry.set("case", .string(number))
        for (part, _) in parts {
            let form = forms.next() ?? .null
            switch part {
            case "risks": entry.set("risks", form["risks"] ?? .object(JSONObject()))
            case "idva":
                var idva = JSONObject(["safeAsPossible": form["safeAsPossible"] ?? .null])
                if let why = form["why"] { idva.set("why", why) }
                entry.set("idva", .object(idva))
            default: entry.set("links", form["links"] ?? .array([]))
            }
        }
        entry.set("actions", .array(actions.map { action in
            let form = erased.contains(action.document) ? .null : forms.next() ?? .null
            return .object(JSONObject(["id": .string(action.id), "owner": .string(action.owner), "due": .string(action.due.description),
                                       "risk": .string(action.risk.rawValue), "status": .string(action.status.rawValue),
                                       "text": form["text"] ?? .null]))
        }))
        entry.set("openActionsFromEarlierMeetings", .array(earlier.map { action in
            .object(JSONObject(["id": .string(action.id), "meeting": .string(action.meeting), "owner": .string(action.owner),
                                "due": .string(action.due.description), "status": .string(action.status.rawValue)]))
        }))
        return .object(entry)
    }

    /// The header every agency's minutes share.
    static func header(_ meeting: Meeting, maracName: String, statement: String, attendance: [AttendanceRecord]) -> JSONObject {
        var content = JSONObject()
        content.set("v", 1)
        content.set("type", "minutes")
        content.set("marac", .string(maracName))
        content.set("meeting", .string(meeting.id))
        content.set("date", .string(meeting.date.description))
        AttendanceRecord.set(meeting, attendance, into: &content)
        content.set("confidentiality", .string(statement))
        content.set("copying", .string(MinutesRules.copying))
        return content
    }

    /// Monday-to-Friday days after `from`, up to and including `to` (0 on the day itself).
    static func workingDays(from: CalendarDate, to: CalendarDate) -> Int {
        guard to > from else { return 0 }
        // 1970-01-01 was a Thursday: (dayNumber + 3) % 7 is 0 on a Monday.
        return ((from.dayNumber + 1)...to.dayNumber).filter { (($0 % 7 + 7 + 3) % 7) < 5 }.count
    }
}
