import Foundation
import Vault

// `x_case.referral` and `x_attachment` say which documents belong to which case. They are
// application rows, outside every AAD, so they are never trusted on their own: the
// vault binds each document's `case` metadata under a MAC (`docs/vault-format.md`,
// "Document binding"), and these rows must agree with it. Anything that decides who may
// read a document takes its case from the document's bound record.

/// What `Marac.verifyCaseLinks()` checked.
public struct CaseLinkVerification: Equatable, Sendable {
    /// Cases whose referral link was checked.
    public let cases: Int
    /// Attachments (research and iswc forms) checked.
    public let attachments: Int
}

extension Marac {
    /// Checks every case's referral link and every attachment against the documents'
    /// bound records (kind, agency, `case` metadata). Throws `tampered` naming the first
    /// row that was re-pointed, or the vault's `tampered(id, .links)` for a document whose
    /// own links were.
    public func verifyCaseLinks() throws -> CaseLinkVerification {
        try vault.reading { tx in
            var cases = 0, attachments = 0
            for row in try tx.rows("SELECT number, referral, referring_agency FROM x_case ORDER BY number") {
                let number = try row.text(0, "x_case"), referral = try row.text(1, "x_case/\(try row.text(0, "x_case"))")
                let record = try tx.record(referral)
                // An erased document's metadata went with it: its kind and agency still bind.
                guard record.kind == FormKind.referral.rawValue, record.erasedAt != nil || record.metadata["case"] == number,
                      record.agency == (try row.text(2, "x_case/\(number)")) else {
                    throw ExchangeError.tampered("x_case/\(number).referral")
                }
                cases += 1
            }
            for row in try tx.rows("SELECT document, case_number, kind, agency FROM x_attachment ORDER BY document") {
                try CaseBook.checkAttachment(row, tx)
                attachments += 1
            }
            return CaseLinkVerification(cases: cases, attachments: attachments)
        }
    }
}

extension CaseBook {
    /// Throws `tampered` unless the `x_attachment` row (document, case_number, kind,
    /// agency, ...) agrees with the document's bound record (for an erased document, whose
    /// metadata was shredded with it, its kind and agency).
    static func checkAttachment(_ row: [SQLValue], _ tx: VaultTransaction) throws {
        let document = try row.text(0, "x_attachment")
        let record = try tx.record(document)
        guard record.erasedAt != nil || record.metadata["case"] == row[1].text, record.kind == row[2].text, record.agency == row[3].text else {
            throw ExchangeError.tampered("x_attachment/\(document)")
        }
    }
}
