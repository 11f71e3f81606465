import Foundation
import Vault

/// The figures a Marac's coordinator sends SafeLives each quarter (principles 7, 8 and 9
/// of an effective Marac), each defined in `docs/data-return.md`: counts only, computed
/// from the meetings held in the quarter, their agendas, the case rows and each case's
/// sealed facts, without decrypting a form.
public struct DataReturn: Equatable, Sendable {
    /// A meeting held in the quarter and how many cases it heard.
    public struct MeetingHeld: Equatable, Sendable {
        /// Its id.
        public let id: String
        /// The day it sat.
        public let date: CalendarDate
        /// The cases on its agenda.
        public let cases: Int
    }

    /// SafeLives' recommended yearly cases per 10,000 women aged 16 and over.
    public static let recommendedPer10000 = 40

    /// The quarter.
    public let quarter: Quarter
    /// The meetings held (in session or closed, dated in the quarter), by date.
    public let meetings: [MeetingHeld]
    /// Cases heard: one for each case on each meeting held.
    public let casesHeard: Int
    /// Of which the case is a repeat (the daemon found an earlier case within 12 months).
    public let repeatCases: Int
    /// Cases heard by the referring agency's kind.
    public let referralsByAgencyKind: [String: Int]
    /// Cases heard referred by the police, and by the partner agencies (every other kind).
    public let policeReferrals: Int
    public let partnerReferrals: Int
    /// Cases heard whose victim is recorded as Black, Asian or racially minoritised.
    public let victimsRaciallyMinoritised: Int
    /// ... as LGBT+.
    public let victimsLGBT: Int
    /// ... as disabled.
    public let victimsDisabled: Int
    /// ... as male.
    public let victimsMale: Int
    /// ... aged 16 or 17 when referred.
    public let victimsAged16to17: Int
    /// Children in the households of the cases heard.
    public let childrenInHouseholds: Int
    /// Cases heard with a perpetrator aged 17 or under when referred.
    public let perpetratorsAged17OrUnder: Int
    /// Cases heard whose sealed facts were erased with their last document: counted in
    /// the case, repeat and agency figures, not in the equality ones.
    public let casesWithoutEqualityFacts: Int
    /// Cases heard whose sealed facts predate the perpetrator's age (stored before it was
    /// recorded): not in `perpetratorsAged17OrUnder`.
    public let casesWithoutPerpetratorAge: Int
    /// The area's female population aged 16 and over, from the configuration.
    public let adultFemalePopulation: Int?

    /// The quarter's cases heard, times four (a year at this rate), per 10,000 women aged
    /// 16 and over, to one decimal place; nil without the population.
    public var casesPer10000AdultWomen: Double? {
        guard let population = adultFemalePopulation, population > 0 else { return nil }
        return (Double(casesHeard * 4) * 10_000 / Double(population) * 10).rounded() / 10
    }
}

extension Marac {
    /// The data return for `quarter` (the coordinator or an IG officer: `ControlPolicy`,
    /// row `data.return`). Opening the sealed per-case facts is logged, in the same
    /// transaction, as one `consultation` naming the principal, the quarter and the counts
    /// of meetings and cases heard (never one person's facts), under the bases
    /// `docs/access.md` gives for the statistics.
    public func dataReturn(_ quarter: Quarter, adultFemalePopulation: Int?, by principal: Principal) throws -> DataReturn {
        try ControlPolicy.require("data.return", principal)
        return try vault.transaction { tx in
            var held: [DataReturn.MeetingHeld] = []
            var tally = CaseFactsTally()
            for row in try tx.rows("""
                SELECT id FROM x_meeting WHERE date >= ? AND date <= ? AND state IN ('in-session', 'closed') ORDER BY date, id
                """, [.text(quarter.first.description), .text(quarter.last.description)]) {
                let meeting = try MeetingBook.get(tx, try row.text(0, "x_meeting"))
                held.append(.init(id: meeting.id, date: meeting.date, cases: meeting.agenda.count))
                for number in meeting.agenda { try tally.add(tx, number) }
            }
            try tx.append(LogEntry(time: LogEntry.timestamp(tx.now), operation: .consultation, actor: principal.actor, records: [],
                                   case: nil, meeting: nil, recipients: [], bases: ControlPolicy.statisticsBases,
                                   justification: "sealed case facts opened for the quarterly data return (counts only)",
                                   details: ["what": "data-return", "quarter": quarter.description, "meetings": String(held.count),
                                             "cases": String(tally.cases)]))
            return DataReturn(quarter: quarter, meetings: held, casesHeard: tally.cases, repeatCases: tally.repeats,
                              referralsByAgencyKind: tally.byKind, policeReferrals: tally.byKind[AgencyKind.police.rawValue] ?? 0,
                              partnerReferrals: tally.cases - (tally.byKind[AgencyKind.police.rawValue] ?? 0),
                              victimsRaciallyMinoritised: tally.bme, victimsLGBT: tally.lgbtq, victimsDisabled: tally.disabled,
                              victimsMale: tally.male, victimsAged16to17: tally.aged16to17, childrenInHouseholds: tally.children,
                              perpetratorsAged17OrUnder: tally.youngPerpetrators, casesWithoutEqualityFacts: tally.erased,
                              casesWithoutPerpetratorAge: tally.noPerpetratorAge, adultFemalePopulation: adultFemalePopulation)
        }
    }
}
