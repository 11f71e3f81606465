import Foundation
import Vault

/// A refused file kept encrypted in the vault, so nothing an agency sent is lost and no
/// plaintext lingers: retained for a configured period, then crypto-shredded.
public struct QuarantineRecord: Equatable, Sendable {
    /// The quarantine document's id (kind `quarantine`, owned by the submitting agency).
    public let document: String
    /// SHA-256 of the refused bytes (the vault keeps only a keyed digest).
    public let digest: [UInt8]
    /// When it was first refused.
    public let receivedAt: Date
    /// True when these bytes from this agency were quarantined before; nothing new was written.
    public let duplicate: Bool
}

extension Marac {
    /// The kind of quarantine documents.
    public static let quarantineKind = "quarantine"

    /// Keeps `bytes` refused from `agency` in quarantine with `problems` (the report's
    /// contents), in its own transaction. Idempotent by digest.
    public func quarantine(_ bytes: [UInt8], from agency: String, reason: String, problems: [FormProblem]) throws -> QuarantineRecord {
        try vault.transaction { tx in try quarantine(bytes, from: agency, reason: reason, problems: problems, tx) }
    }

    func quarantine(_ bytes: [UInt8], from agency: String, reason: String, problems: [FormProblem],
                    _ tx: VaultTransaction) throws -> QuarantineRecord {
        let digest = SHA256.hash(bytes)
        let keyed = try tx.contentDigest(bytes)
        if let row = try tx.rows("SELECT document, received_at FROM x_rejection WHERE agency = ? AND digest = ?",
                                 [.text(agency), .blob(keyed)]).first {
            return QuarantineRecord(document: try row.text(0, "x_rejection"), digest: digest,
                                    receivedAt: Date(timeIntervalSince1970: TimeInterval(try row.int(1, "x_rejection"))), duplicate: true)
        }
        let document = try tx.put(NewDocument(content: SecretBytes(copying: bytes), agency: agency, kind: Self.quarantineKind,
                                              metadata: ["reason": reason]))
        let now = tx.now
        let report = problems.map { "\($0.rule.rawValue) \($0.path)" }.joined(separator: "\n")
        try tx.execute("INSERT INTO x_rejection (agency, digest, document, reason, problems, received_at) VALUES (?, ?, ?, ?, ?, ?)",
                       [.text(agency), .blob(keyed), .text(document), .text(reason), .text(report), .integer(Int64(now.timeIntervalSince1970))])
        try tx.append(.collection(of: document, through: agency, case: nil, bases: ["ukgdpr-6-1-e"], at: now,
                                  justification: "refused file kept in quarantine for the retention period",
                                  details: ["kind": Self.quarantineKind, "reason": reason, "digest": Hex.encode(keyed)]))
        return QuarantineRecord(document: document, digest: digest, receivedAt: now, duplicate: false)
    }

    /// Crypto-shreds every quarantined file received more than `days` days ago, each with
    /// an erasure entry (basis `retention-policy`), in one transaction; returns how many.
    /// Its `x_rejection` row goes in the same transaction: the keyed digest is what made
    /// a resend a duplicate, and after the shred there is nothing left for it to be a
    /// duplicate of, so the same bytes sent again are quarantined (and reported) afresh.
    @discardableResult
    public func shredQuarantine(olderThan days: Int) throws -> Int {
        let now = vault.currentTime
        let cutoff = now.addingTimeInterval(-Double(days) * 86_400)
        let expired = try vault.list(kind: Self.quarantineKind).filter { $0.createdAt < cutoff }.map { record in
            (id: record.id, logEntry: LogEntry.erasure(of: [record.id], by: .init(person: nil, agency: record.agency), bases: ["retention-policy"],
                                                       at: now, justification: "quarantine retention of \(days) days ended",
                                                       details: ["kind": Self.quarantineKind]).encoded())
        }
        try vault.transaction { tx in
            try tx.erase(expired)
            for item in expired { try tx.execute("DELETE FROM x_rejection WHERE document = ?", [.text(item.id)]) }
        }
        return expired.count
    }
}
