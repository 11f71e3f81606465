import Foundation
import Vault

/// What an export request is for: the bases and reason the requester gave, and the
/// documents the export would hold when it was asked for.
struct ExportPurpose {
    let bases: [String]
    let reason: String
    let documents: [String]
}

/// An export request as the agencies it involves see it (`maracctl export list` and
/// `export show`): which case, which documents (ids, kinds, owners: never their content),
/// who asked, on what bases and why, and who has approved.
public struct ExportRequestView: Equatable, Sendable {
    /// One owning agency's approval, or its absence.
    public struct Approval: Equatable, Sendable {
        public let agency: String
        public let approvedBy: String?
        public let approvedAt: Date?
    }

    /// `exp_` and 16 hex digits.
    public let id: String
    public let caseNumber: String
    public let requester: String
    public let requesterAgency: String
    public let createdAt: Date
    /// When the approved export was made (a request is used once).
    public let usedAt: Date?
    /// The bases and reason given (empty for a request made before they were recorded).
    public let bases: [String]
    public let reason: String
    /// The documents the export would hold, as the vault records them (erased ones included).
    public let documents: [DocumentRecord]
    public let approvals: [Approval]

    /// The agencies still to approve.
    public var waitingFor: [String] { approvals.filter { $0.approvedAt == nil }.map(\.agency) }
}

extension Marac {
    /// The export requests `principal`'s agency made or is asked to approve, newest first.
    public func exportRequests(for principal: Principal) throws -> [ExportRequestView] {
        try vault.reading { tx in
            try tx.rows("""
                SELECT id FROM x_export_request WHERE requester_agency = ?1
                    OR id IN (SELECT request FROM x_export_approval WHERE agency = ?1)
                ORDER BY created_at DESC, id
                """, [.text(principal.agency)]).map { try exportRequest(tx, try $0.text(0, "x_export_request")) }
        }
    }

    /// Export request `id`, if `principal`'s agency made it or is asked to approve it;
    /// otherwise "no export request", as for one that does not exist.
    public func exportRequest(_ id: String, for principal: Principal) throws -> ExportRequestView {
        let view = try vault.reading { tx -> ExportRequestView? in
            guard try !tx.rows("SELECT 1 FROM x_export_request WHERE id = ?", [.text(id)]).isEmpty else { return nil }
            return try exportRequest(tx, id)
        }
        guard let view, view.requesterAgency == principal.agency || view.approvals.contains(where: { $0.agency == principal.agency }) else {
            throw ExchangeError.conflict("no export request \(id)")
        }
        return view
    }

    private func exportRequest(_ tx: VaultTransaction, _ id: String) throws -> ExportRequestView {
        guard let row = try tx.rows("""
            SELECT r.case_number, r.requester, r.requester_agency, r.created_at, r.used_at, p.bases, p.reason, p.documents
            FROM x_export_request r LEFT JOIN x_export_purpose p ON p.request = r.id WHERE r.id = ?
            """, [.text(id)]).first else { throw ExchangeError.conflict("no export request \(id)") }
        let approvals = try tx.rows("SELECT agency, approved_by, approved_at FROM x_export_approval WHERE request = ? ORDER BY agency", [.text(id)])
            .map { ExportRequestView.Approval(agency: try $0.text(0, "x_export_approval"), approvedBy: $0.optionalText(1),
                                              approvedAt: $0.optionalInt(2).map { Date(timeIntervalSince1970: TimeInterval($0)) }) }
        let documents = try (row.optionalText(7) ?? "").split(separator: " ").map { try tx.record(String($0)) }
        return ExportRequestView(id: id, caseNumber: try row.text(0, "x_export_request"), requester: try row.text(1, "x_export_request"),
                                 requesterAgency: try row.text(2, "x_export_request"),
                                 createdAt: Date(timeIntervalSince1970: TimeInterval(try row.int(3, "x_export_request"))),
                                 usedAt: row.optionalInt(4).map { Date(timeIntervalSince1970: TimeInterval($0)) },
                                 bases: (row.optionalText(5) ?? "").split(separator: ",").map(String.init), reason: row.optionalText(6) ?? "",
                                 documents: documents, approvals: approvals)
    }
}
