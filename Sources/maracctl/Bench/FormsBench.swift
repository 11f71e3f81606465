import Exchange
import Foundation

/// The `forms` area: validating a typical 10 KiB referral (target: under 1 ms), beside
/// the time to parse the same bytes alone, with our parser and with Foundation's.
struct FormsBench {
    let seconds: Double

    func run() throws -> BenchReport {
        var report = BenchReport(area: .forms)
        let bytes = try SampleForms.referral(bytes: 10 * 1024)
        let context = ValidationContext(agency: "police", received: CalendarDate("2026-11-20")!)
        guard case .success = FormValidator.validate(bytes, in: context) else {
            throw CommandError(code: .software, message: "the sample referral does not validate")
        }
        let data = Data(bytes)
        var validate = 0.0, parse = 0.0, foundation = 0.0
        for _ in 0..<3 {  // best of three interleaved rounds: a shared VM is noisy
            validate = max(validate, measureRate(seconds: seconds) { _ = FormValidator.validate(bytes, in: context) })
            parse = max(parse, try measureRate(seconds: seconds) { _ = try JSONParser().parse(bytes) })
            foundation = max(foundation, try measureRate(seconds: seconds) { _ = try JSONSerialization.jsonObject(with: data) })
        }
        report.figures += [
            ("referral_bytes", Double(bytes.count)),
            ("validate_us", 1e6 / validate),
            ("parse_only_us", 1e6 / parse),
            ("foundation_parse_only_us", 1e6 / foundation),
        ]
        report.ratios += [("validate_time_over_parse", parse / validate), ("validate_time_over_foundation_parse", foundation / validate)]
        report.notes.append("validate = parse + shape + cross-field rules + decoding into the model; target under 1000 us")
        report.notes.append("ratios are time(validate) / time(parse alone): 4 means validating costs four parses")
        return report
    }
}

/// Fictional forms of a chosen size, for benchmarks.
enum SampleForms {
    /// A referral with every section filled and its free text padded to about `bytes` bytes.
    static func referral(bytes target: Int, victim: String = "Sample Victim", dob: String = "1990-01-01",
                         date: String = "2026-11-10") throws -> [UInt8] {
        let note = "Disclosed at a home visit; corroborated by the health visitor's notes and a call log."
        var answers: [String: Any] = [:]
        for question in 1...24 { answers[String(question)] = ["answer": question % 3 == 0 ? "no" : "yes", "comment": note, "source": "Home visit"] }
        var form: [String: Any] = [
            "form": "referral", "formVersion": 1, "referringAgency": "police", "date": date,
            "contacts": [["name": "DC Sample Officer", "phone": "01296 000000", "email": "sample.officer@agency.example"],
                         ["name": "PC Second Officer", "phone": "01296 000001"]],
            "victim": ["name": victim, "dob": dob, "address": "1 Example Street, Sampletown", "phone": "07700 900000",
                       "safeToCall": false, "contactNotes": "Text first; never leave a voicemail.", "aliases": ["S. Victim"],
                       "diversity": ["bme": false, "disabled": false, "lgbtq": false, "gender": "female"]],
            "perpetrators": [["name": "Sample Perpetrator", "dob": "1985-05-05", "address": "2 Example Road, Sampletown",
                              "relationshipToVictim": "ex-partner"]],
            "children": (1...3).map { ["name": "Sample Child \($0)", "dob": "201\($0)-0\($0)-1\($0)", "school": "Example Primary",
                                       "relationshipToVictim": "child", "relationshipToPerpetrator": "child"] },
            "reasons": ["professionalJudgement": false, "visibleHighRisk": true, "potentialEscalation": false, "repeat": false],
            "victimAwareOfReferral": true, "consentGiven": true,
            "afraidOf": "The ex-partner and his brother.", "safeToTalkTo": "Sister; GP.", "notSafeToTalkTo": "The ex-partner's family.",
            "previousMarac": ["referred": false],
            "dash": ["answers": answers, "q14ThreatenedToKill": ["victim", "children"], "q21Problems": ["alcohol"],
                     "otherRelevantInformation": "", "willingToEngage": "Yes, by phone.", "abuserOccupationAccessToWeapons": "Security guard.",
                     "victimPriorities": "Safety of the children.", "reasonableGroundsForReferral": true, "referralMade": true,
                     "risksToChildren": true, "childrenReferralMade": true, "childrenReferralDate": date,
                     "signedBy": "PC Sample", "signedDate": date] as [String: Any],
        ]
        let size = try JSONSerialization.data(withJSONObject: form).count
        var dash = form["dash"] as! [String: Any]
        dash["otherRelevantInformation"] = String(repeating: "Further detail of the history. ", count: max(0, (target - size) / 31))
        form["dash"] = dash
        return [UInt8](try JSONSerialization.data(withJSONObject: form, options: [.sortedKeys]))
    }
}
