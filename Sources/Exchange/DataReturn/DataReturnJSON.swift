import Foundation

/// The data return as the `data.return` verb answers it, and as `maracctl data return`
/// prints it from that answer: JSON, CSV or text (`docs/data-return.md`, "Output").
public enum DataReturnJSON {
    /// The counted figures, in the order the CSV and the text give them: JSON member and
    /// the words the text uses.
    public static let figures: [(key: String, label: String)] = [
        ("meetingsHeld", "meetings held"),
        ("casesHeard", "cases heard"),
        ("repeatCases", "repeat cases"),
        ("policeReferrals", "referrals by the police"),
        ("partnerReferrals", "referrals by partner agencies"),
        ("victimsRaciallyMinoritised", "victims Black, Asian or racially minoritised"),
        ("victimsLGBT", "victims LGBT+"),
        ("victimsDisabled", "victims disabled"),
        ("victimsMale", "victims male"),
        ("victimsAged16to17", "victims aged 16-17"),
        ("childrenInHouseholds", "children in the households"),
        ("perpetratorsAged17OrUnder", "cases with a perpetrator aged 17 or under"),
        ("casesWithoutEqualityFacts", "cases whose equality facts were erased"),
        ("casesWithoutPerpetratorAge", "cases stored before the perpetrator's age was recorded"),
    ]

    /// `{"quarter", "from", "to", "meetings": [{"meeting", "date", "cases"}], "figures": {...},
    /// "referralsByAgencyKind": {kind: count}, "recommendedPer10000AdultWomen"}`, with
    /// `"adultFemalePopulation"` and `"casesPer10000AdultWomen"` when the population is configured.
    public static func json(_ figures: DataReturn) -> JSONValue {
        var counts = JSONObject()
        let values: [String: Int] = [
            "meetingsHeld": figures.meetings.count, "casesHeard": figures.casesHeard, "repeatCases": figures.repeatCases,
            "policeReferrals": figures.policeReferrals, "partnerReferrals": figures.partnerReferrals,
            "victimsRaciallyMinoritised": figures.victimsRaciallyMinoritised, "victimsLGBT": figures.victimsLGBT,
            "victimsDisabled": figures.victimsDisabled, "victimsMale": figures.victimsMale, "victimsAged16to17": figures.victimsAged16to17,
            "childrenInHouseholds": figures.childrenInHouseholds, "perpetratorsAged17OrUnder": figures.perpetratorsAged17OrUnder,
            "casesWithoutEqualityFacts": figures.casesWithoutEqualityFacts, "casesWithoutPerpetratorAge": figures.casesWithoutPerpetratorAge,
        ]
        for (key, _) in Self.figures { counts.set(key, .number(Double(values[key]!))) }
        var kinds = JSONObject()
        for kind in figures.referralsByAgencyKind.keys.sorted() { kinds.set(kind, .number(Double(figures.referralsByAgencyKind[kind]!))) }
        var object = JSONObject()
        object.set("quarter", .string(figures.quarter.description))
        object.set("from", .string(figures.quarter.first.description))
        object.set("to", .string(figures.quarter.last.description))
        object.set("meetings", .array(figures.meetings.map { meeting in
            .object(JSONObject(["meeting": .string(meeting.id), "date": .string(meeting.date.description), "cases": .number(Double(meeting.cases))]))
        }))
        object.set("figures", .object(counts))
        object.set("referralsByAgencyKind", .object(kinds))
        if let population = figures.adultFemalePopulation { object.set("adultFemalePopulation", .number(Double(population))) }
        if let rate = figures.casesPer10000AdultWomen { object.set("casesPer10000AdultWomen", .number(rate)) }
        object.set("recommendedPer10000AdultWomen", .number(Double(DataReturn.recommendedPer10000)))
        return .object(object)
    }

    /// RFC 4180 CSV of an answer: a `figure,detail,value` header, then the quarter, each
    /// meeting, each figure, each agency kind and the rate, one a line, CRLF-terminated.
    public static func csv(_ answer: JSONValue) -> String {
        var rows: [[String]] = [["figure", "detail", "value"]]
        rows.append(["quarter", "\(answer["from"]?.string ?? "") to \(answer["to"]?.string ?? "")", answer["quarter"]?.string ?? ""])
        for meeting in answer["meetings"]?.array ?? [] {
            rows.append(["meeting", "\(meeting["meeting"]?.string ?? "") \(meeting["date"]?.string ?? "")", number(meeting["cases"])])
        }
        for (key, label) in figures { rows.append([key, label, number(answer["figures"]?[key])]) }
        for (kind, count) in kinds(answer) { rows.append(["referralsByAgencyKind", kind, number(count)]) }
        rows.append(["adultFemalePopulation", "women aged 16 and over (configured)", number(answer["adultFemalePopulation"])])
        rows.append(["casesPer10000AdultWomen", "a year at this quarter's rate; SafeLives recommends "
                     + number(answer["recommendedPer10000AdultWomen"]), number(answer["casesPer10000AdultWomen"])])
        return rows.map { $0.map(field).joined(separator: ",") + "\r\n" }.joined()
    }

    /// The answer for a person to read.
    public static func text(_ answer: JSONValue) -> String {
        var lines = ["Marac data return \(answer["quarter"]?.string ?? "") (\(answer["from"]?.string ?? "") to \(answer["to"]?.string ?? ""))"]
        for meeting in answer["meetings"]?.array ?? [] {
            lines.append("  \(meeting["meeting"]?.string ?? "")  \(meeting["date"]?.string ?? "")  \(number(meeting["cases"])) cases heard")
        }
        for (key, label) in figures { lines.append("\(label): \(number(answer["figures"]?[key]))") }
        for (kind, count) in kinds(answer) { lines.append("  referred by \(kind): \(number(count))") }
        if let rate = answer["casesPer10000AdultWomen"] {
            lines.append("cases per 10,000 women aged 16+, a year at this rate: \(number(rate)) (SafeLives recommends "
                         + "\(number(answer["recommendedPer10000AdultWomen"])))")
        } else {
            lines.append("cases per 10,000 women aged 16+: not computed (set marac.adultFemalePopulation in the configuration)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The referrals by agency kind, in the answer's order.
    private static func kinds(_ answer: JSONValue) -> [(String, JSONValue?)] {
        guard let object = answer["referralsByAgencyKind"]?.object else { return [] }
        return object.keys.map { ($0, object[$0]) }
    }

    /// An integer as digits; another number with one decimal; absent as empty.
    private static func number(_ value: JSONValue?) -> String {
        guard case let .number(n)? = value else { return "" }
        return n == n.rounded() ? String(Int(n)) : String(format: "%.1f", n)
    }

    /// A CSV field, quoted when it holds a comma, a quote or a line break.
    private static func field(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
