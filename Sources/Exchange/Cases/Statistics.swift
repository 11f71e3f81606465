import Foundation
import Vault

/// The equality and volume figures a coordinator reports each quarter (SafeLives'
/// principles 7 and 8): computed over a date range from the case rows and each case's
/// sealed equality facts, without decrypting a single form.
public struct MaracStatistics: Codable, Equatable, Sendable {
    /// First day of the range (received on or after).
    public let from: CalendarDate
    /// Last day of the range (received on or before).
    public let to: CalendarDate
    /// Cases opened (referrals received).
    public let cases: Int
    /// Of which repeats.
    public let repeats: Int
    /// Referrals by the referring agency's kind.
    public let referralsByAgencyKind: [String: Int]
    /// Referrals from agencies other than the police.
    public let nonPoliceReferrals: Int
    /// Victims recorded as black or minority ethnic.
    public let bme: Int
    /// Victims recorded as LGBTQ+.
    public let lgbtq: Int
    /// Victims recorded as disabled.
    public let disabled: Int
    /// Victims recorded as male.
    public let male: Int
    /// Victims aged 16 or 17 when referred.
    public let aged16to17: Int
    /// Children in the referred households.
    public let children: Int
    /// Cases counted above whose equality facts were erased with their last document
    /// (`docs/retention.md`): in `cases`, `repeats` and the agency counts, not in the
    /// equality counts.
    public let withoutEqualityFacts: Int

    /// Repeats as a share of cases (SafeLives recommends 28–40%); nil with no cases.
    public var repeatRate: Double? { cases == 0 ? nil : Double(repeats) / Double(cases) }
    /// Non-police referrals as a share of cases; nil with no cases.
    public var nonPoliceShare: Double? { cases == 0 ? nil : Double(nonPoliceReferrals) / Double(cases) }
}

/// What a referral contributes to the statistics, sealed in its case row (context
/// `x_case.facts/<number>`): the fewest facts the figures need, and no identity.
struct ReferralFacts: Codable, Equatable {
    var bme: Bool
    var lgbtq: Bool
    var disabled: Bool
    var male: Bool
    var aged16to17: Bool
    var children: Int
    /// Whether a perpetrator was 17 or under on the day of receipt; nil in facts sealed
    /// before this was recorded (`docs/data-return.md`).
    var youngPerpetrator: Bool?

    init(_ referral: Referral, received: CalendarDate) {
        let diversity = referral.victim.diversity
        bme = diversity?.bme ?? false
        lgbtq = diversity?.lgbtq ?? false
        disabled = diversity?.disabled ?? false
        male = diversity?.gender == .male
        aged16to17 = referral.victim.dob.map { (16...17).contains($0.age(on: received)) } ?? false
        children = referral.children.count
        youngPerpetrator = referral.perpetrators.contains { $0.dob.map { $0.age(on: received) <= 17 } ?? false }
    }

    static func context(_ number: CaseNumber) -> String { "x_case.facts/\(number)" }

    /// Sealed as JSON written by `JSONValue` (one per stored referral: Foundation's
    /// `JSONEncoder` cost more than the sealing); `open` reads it with `JSONDecoder`.
    func sealed(_ tx: VaultTransaction, for number: CaseNumber) throws -> [UInt8] {
        var object = JSONObject()
        object.set("bme", .bool(bme))
        object.set("lgbtq", .bool(lgbtq))
        object.set("disabled", .bool(disabled))
        object.set("male", .bool(male))
        object.set("aged16to17", .bool(aged16to17))
        object.set("children", .number(Double(children)))
        if let youngPerpetrator { object.set("youngPerpetrator", .bool(youngPerpetrator)) }
        return try tx.seal(SecretBytes(copying: JSONValue.object(object).canonicalBytes), context: Self.context(number))
    }

    static func open(_ tx: VaultTransaction, _ sealed: [UInt8], for number: CaseNumber) throws -> ReferralFacts {
        let plain = try tx.open(sealed, context: context(number))
        do {
            return try plain.withUnsafeBytes { try JSONDecoder().decode(ReferralFacts.self, from: Data($0)) }
        } catch {
            throw ExchangeError.corruptRow("x_case/\(number).facts")
        }
    }
}

extension CaseBook {
    /// The statistics for cases received from `from` to `to` inclusive, for `principal`
    /// (the coordinator or an IG officer: `ControlPolicy`, row `statistics`). The sealed
    /// equality facts are personal data: opening them is logged, in the same transaction,
    /// as a `consultation` naming the principal, the period and how many cases (never one
    /// person's facts), under the bases `docs/access.md` gives.
    public func statistics(from: CalendarDate, to: CalendarDate, by principal: Principal) throws -> MaracStatistics {
        try ControlPolicy.require("statistics", principal)
        return try vault.transaction { tx in
            var tally = CaseFactsTally()
            for row in try tx.rows("SELECT number, agency_kind, repeat_of, facts FROM x_case WHERE received_on >= ? AND received_on <= ?",
                                   [.text(from.description), .text(to.description)]) {
                guard let number = CaseNumber(try row.text(0, "x_case")), let sealed = row[3].blob else {
                    throw ExchangeError.corruptRow("x_case/" + (row[0].text ?? "?"))
                }
                try tally.add(tx, number, kind: try row.text(1, "x_case/\(number).agency_kind"), repeated: row[2].text != nil, sealed: sealed)
            }
            let cases = tally.cases
            try tx.append(LogEntry(time: LogEntry.timestamp(tx.now), operation: .consultation, actor: principal.actor, records: [],
                                   case: nil, meeting: nil, recipients: [], bases: ControlPolicy.statisticsBases,
                                   justification: "sealed equality facts opened for the Marac's statistics (counts only)",
                                   details: ["what": "statistics", "from": from.description, "to": to.description, "cases": String(cases)]))
            return MaracStatistics(from: from, to: to, cases: cases, repeats: tally.repeats, referralsByAgencyKind: tally.byKind,
                                   nonPoliceReferrals: cases - (tally.byKind[AgencyKind.police.rawValue] ?? 0), bme: tally.bme,
                                   lgbtq: tally.lgbtq, disabled: tally.disabled, male: tally.male, aged16to17: tally.aged16to17,
                                   children: tally.children, withoutEqualityFacts: tally.erased)
        }
    }
}
