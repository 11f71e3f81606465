import Foundation

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

    /// The entry for case `record` from its referral `form` (validated at intake).
    static func json(_ record: CaseRecord, form: JSONValue) throws -> JSONValue {
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
