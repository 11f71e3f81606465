import Vault

/// Repeat referrals (SafeLives: a case referred again within 12 months of its last
/// referral). The victim is recognised by blind index (normalised name, or any alias,
/// with date of birth), never by a stored name, and whatever the referrer ticked.
enum RepeatDetection {
    /// Whether a referral received on `received` repeats one received on `last`: on or
    /// before the same calendar day 12 months later (29 February's anniversary is 28
    /// February). So day 365 after a referral is within the window, day 366 is not, and
    /// across a 29 February day 366 is the anniversary itself.
    static func isRepeat(last: CalendarDate, received: CalendarDate) -> Bool {
        last <= received && received <= last.adding(months: 12)
    }

    /// The blind-index tokens of a referral's victim: name and each alias, with the date
    /// of birth. Empty when there is no date of birth (detection cannot run).
    static func tokens(_ tx: VaultTransaction, name: String, aliases: [String], dob: CalendarDate?) throws -> [BlindToken] {
        guard let dob else { return [] }
        var tokens: [BlindToken] = []
        for candidate in [name] + aliases where !BlindIndex.normalise(name: candidate).isEmpty {
            let token = try tx.blindToken(name: candidate, dateOfBirth: dob.description)
            if !tokens.contains(token) { tokens.append(token) }
        }
        return tokens
    }

    /// The most recent earlier case whose referral shares one of `tokens`: the subject
    /// index gives the documents, one query picks the latest case among their referrals.
    static func lastCase(_ tx: VaultTransaction, tokens: [BlindToken]) throws -> CaseRecord? {
        var referrals = Set<String>()
        for token in tokens {
            for record in try tx.documents(about: token) where record.kind == FormKind.referral.rawValue {
                referrals.insert(record.id)
            }
        }
        guard !referrals.isEmpty else { return nil }
        let ids = referrals.sorted()
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        return try tx.rows("""
            SELECT \(CaseBook.columns) FROM x_case WHERE referral IN (\(placeholders))
            ORDER BY received_on DESC, year DESC, sequence DESC LIMIT 1
            """, ids.map { .text($0) }).first.map(CaseBook.record)
    }
}
