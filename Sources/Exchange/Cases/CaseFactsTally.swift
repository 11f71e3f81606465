import Foundation
import Vault

/// The running counts over cases that the statistics and the data return share: each case
/// counted by its row (referring agency's kind, repeat) and its sealed facts, opened here
/// and never kept (`docs/data-return.md`).
struct CaseFactsTally {
    var cases = 0, repeats = 0, bme = 0, lgbtq = 0, disabled = 0, male = 0, aged16to17 = 0, children = 0
    var youngPerpetrators = 0, erased = 0, noPerpetratorAge = 0
    var byKind: [String: Int] = [:]

    /// Counts case `number` (referred by an agency of `kind`; a repeat or not) with its
    /// `sealed` facts, empty once erased with its last document.
    mutating func add(_ tx: VaultTransaction, _ number: CaseNumber, kind: String, repeated: Bool, sealed: [UInt8]) throws {
        cases += 1
        byKind[kind, default: 0] += 1
        if repeated { repeats += 1 }
        guard !sealed.isEmpty else {
            erased += 1
            return
        }
        let facts = try ReferralFacts.open(tx, sealed, for: number)
        if facts.bme { bme += 1 }
        if facts.lgbtq { lgbtq += 1 }
        if facts.disabled { disabled += 1 }
        if facts.male { male += 1 }
        if facts.aged16to17 { aged16to17 += 1 }
        children += facts.children
        switch facts.youngPerpetrator {
        case true?: youngPerpetrators += 1
        case false?: break
        case nil: noPerpetratorAge += 1
        }
    }

    /// Counts case `number` as its `x_case` row stands.
    mutating func add(_ tx: VaultTransaction, _ number: CaseNumber) throws {
        guard let row = try tx.rows("SELECT agency_kind, repeat_of, facts FROM x_case WHERE number = ?", [.text(number.description)]).first,
              let sealed = row[2].blob else { throw ExchangeError.corruptRow("x_case/\(number)") }
        try add(tx, number, kind: try row.text(0, "x_case/\(number).agency_kind"), repeated: row[1].text != nil, sealed: sealed)
    }
}
