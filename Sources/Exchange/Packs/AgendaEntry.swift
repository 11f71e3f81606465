import Foundation
import Vault

/// One case on an agenda pack (`docs/packs.md`, "Agenda pack"): the identifying details an
/// agency needs to search its own records before the meeting, and nothing of the risk
/// (no Dash answer, no narrative, no contact or safety detail). A field the referral did
/// not give is absent, never empty.
enum AgendaEntry {
    /// The referral criteria, as the agenda names them, from the form's `reasons` members.
    static let criteria: KeyValuePairs<String, String> = [
        "visibleHighRisk": "visible-high-risk", "potentialEscalation": "potential-escalation",
        "professionalJudgement": "professional-judgement", "repeat": "repeat",
    ]

    /// What the agenda says of a case's past: its still-open actions from earlier meetings
    /// (the "incomplete actions" item) and the date of its last Marac (its own, or that of
    /// the case it repeats).
    struct History {
        var openActions: [ActionRecord]
        var lastMarac: CalendarDate?

        static func load(_ tx: VaultTransaction, _ record: CaseRecord) throws -> History {
            let actions = try tx.rows("SELECT \(ActionsOrder.columns) FROM x_action WHERE case_number = ? AND status IN ('open', 'in-progress') ORDER BY due, id",
                                      [.text(record.number.description)]).map(ActionsOrder.record)
            let earlier = try record.repeatOf.map { try CaseBook.get(tx, $0).latestMeeting } ?? nil
            return History(openActions: actions, lastMarac: [record.latestMeeting, earlier].compactMap { $0 }.max())
        }
    }

    /// SafeLives' suggested agenda order: cases with children in the household first,
    /// then adult-only cases, each group in case-number order (a stable sort).
    static func ordered(_ entries: [JSONValue]) -> [JSONValue] {
        entries.filter { !($0["children"]?.array ?? []).isEmpty } + entries.filter { ($0["children"]?.array ?? []).isEmpty }
    }

    /// The entry for case `record` from its referral `form` (validated at intake), with its
    /// `history` as of a meeting on `meetingDate`: `openActions` ([{"id", "meeting", "owner",
    /// "due", "status"}], facts only), `lastMarac` and `twelveMonthsSinceLastMarac` (more than
    /// 12 months from the last Marac to this one) when it was heard before.
    static func json(_ record: CaseRecord, form: JSONValue, history: History, meetingDate: CalendarDate) throws -> JSONValue {
        guard let victim = form["victim"], let name = victim["name"]?.string else {
            throw ExchangeError.corruptRow("referral \(record.referral) has no victim name")
        }
        var person = JSONObject(["name": .string(name)])
        copy(["dob", "address"], from: victim, to: &person)
        if let aliases = victim["aliases"]?.array, !aliases.isEmpty { person.set("aliases", .array(aliases)) }

        var entry = JSONObject()
        entry.set("case", .string(record.number.description))
        entry.set("referringAgency", .string(record.referringAgency))
        // The daemon's own finding where it could check; the referrer's tick otherwise.
        entry.set("repeat", .bool(record.repeatChecked ? record.isRepeat : record.referrerTickedRepeat))
        entry.set("criteria", .array(criteria.compactMap { key, label in form["reasons"]?[key]?.bool == true ? .string(label) : nil }))
        entry.set("victim", .object(person))
        entry.set("perpetrators", .array(people(form["perpetrators"])))
        entry.set("children", .array(people(form["children"])))
        entry.set("openActions", .array(history.openActions.map { action in
            .object(JSONObject(["id": .string(action.id), "meeting": .string(action.meeting), "owner": .string(action.owner),
                                "due": .string(action.due.description), "status": .string(action.status.rawValue)]))
        }))
        if let last = history.lastMarac {
            entry.set("lastMarac", .string(last.description))
            entry.set("twelveMonthsSinceLastMarac", .bool(last.adding(months: 12) < meetingDate))
        }
        return .object(entry)
    }

    /// Name and date of birth of each person in `list`.
    private static func people(_ list: JSONValue?) -> [JSONValue] {
        (list?.array ?? []).compactMap { item in
            guard let name = item["name"]?.string else { return nil }
            var person = JSONObject(["name": .string(name)])
            copy(["dob"], from: item, to: &person)
            return .object(person)
        }
    }

    private static func copy(_ keys: [String], from source: JSONValue, to target: inout JSONObject) {
        for key in keys { if let value = source[key]?.string, !value.isEmpty { target.set(key, .string(value)) } }
    }
}
