import Foundation
import Vault

/// Rectification (`docs/subject-access.md`, "Rectification"): an agency corrects a form by
/// sending a new one that names it in `supersedes`. The new one takes its place (readers
/// see it; a case's referral link moves to it); the earlier one is kept, readable by its
/// own agency and IG officers only, for the audit trail until its retention ends.
enum Supersession {
    /// The one report for an id that cannot be superseded, whatever the reason, so no
    /// agency learns anything of another's documents.
    static let noSuchDocument = "no form of this agency and kind, on this case, to supersede"

    /// The form being corrected.
    struct Earlier {
        let document: String
        let kind: FormKind
        let caseNumber: CaseNumber?
    }

    /// Document `id` if `agency` may supersede it with a form of `kind`: its own, of that
    /// kind, live, and not superseded already.
    static func earlier(_ tx: VaultTransaction, _ id: String, kind: FormKind, agency: String) throws -> Earlier? {
        guard let record = try? tx.record(id), record.erasedAt == nil, record.agency == agency, record.kind == kind.rawValue,
              try tx.rows("SELECT 1 FROM x_supersession WHERE old = ?", [.text(id)]).isEmpty else { return nil }
        // A referral must still be its case's (a superseded one never is).
        if kind == .referral {
            guard let number = record.metadata["case"].flatMap(CaseNumber.init),
                  try tx.rows("SELECT 1 FROM x_case WHERE number = ? AND referral = ?", [.text(number.description), .text(id)]).count == 1 else {
                return nil
            }
        }
        return Earlier(document: id, kind: kind, caseNumber: record.metadata["case"].flatMap(CaseNumber.init))
    }

    /// Records that `new` supersedes `earlier`, with an `alteration` entry naming both.
    static func record(_ tx: VaultTransaction, _ earlier: Earlier, by new: String, agency: String) throws {
        try tx.changeFact("x_supersession", [.text(earlier.document)],
                          "INSERT INTO x_supersession (old, new, kind, agency, case_number, superseded_at) VALUES (?, ?, ?, ?, ?, ?)",
                       [.text(earlier.document), .text(new), .text(earlier.kind.rawValue), .text(agency),
                        earlier.caseNumber.map { .text($0.description) } ?? .null, .integer(Int64(tx.now.timeIntervalSince1970))])
        try tx.append(.alteration(by: .init(person: nil, agency: agency), records: [earlier.document, new], case: earlier.caseNumber?.description,
                                  at: tx.now, justification: "\(earlier.kind.rawValue) form corrected by its agency",
                                  details: ["supersedes": earlier.document, "kind": earlier.kind.rawValue]))
    }

    /// Whether document `id` has been superseded.
    static func isSuperseded(_ tx: VaultTransaction, _ id: String) throws -> Bool {
        !(try tx.rows("SELECT 1 FROM x_supersession WHERE old = ?", [.text(id)])).isEmpty
    }
}
