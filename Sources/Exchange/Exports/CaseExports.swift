import Foundation
import Vault

/// What asking for a case export came to.
public enum CaseExportOutcome: Sendable {
    /// The export's content, ready to be signed (the reads and the export are logged).
    case ready(content: [UInt8], documents: Int)
    /// It holds other agencies' documents: request `request` waits for these agencies'
    /// approval (`export approve`), which nothing has been read for yet.
    case needsApproval(request: String, agencies: [String])
}

/// Case exports (`docs/packs.md`, "Signed export"). Information shared at a Marac is not
/// used elsewhere without reference to the agency that gave it: an export with another
/// agency's documents waits for that agency's approval, recorded by one of its principals
/// and logged as its `consent`; an approved request is used once.
extension Marac {
    /// Exports case `number` as `principal` may read it now: every document some rule
    /// admits them to, each read through the access policy with `bases` and `reason`,
    /// and the log entries about those documents; the export itself is logged (a
    /// `disclosure` to their agency if it holds another agency's documents, else a
    /// `consultation`) before the content is returned.
    public func exportCase(_ number: CaseNumber, by principal: Principal, bases: [String], reason: String) throws -> CaseExportOutcome {
        let documents = try caseView(number, to: principal).documents
        guard !documents.isEmpty else { throw ExchangeError.conflict("there is nothing in case \(number) you may read now") }
        let owners = Set(documents.map(\.agency)).subtracting([principal.agency]).sorted()
        var request: String?
        if !owners.isEmpty {
            let purpose = ExportPurpose(bases: bases, reason: reason, documents: documents.map(\.id))
            switch try approval(number, owners: owners, purpose: purpose, by: principal) {
            case let .approved(id): request = id
            case let .pending(id, agencies): return .needsApproval(request: id, agencies: agencies)
            }
        }
        var fields = JSONObject(["type": "export-case", "case": .string(number.description)])
        if let request { fields.set("request", .string(request)) }
        let (content, used) = try exportDocuments(documents, fields: fields, by: principal, bases: bases, reason: reason,
                                                  caseNumber: number.description, details: ["export": "case", "owners": owners.joined(separator: ","),
                                                                                            "request": request ?? ""]) { tx in
            if let request {
                try tx.changeFact("x_export_request", [.text(request)], "UPDATE x_export_request SET used_at = ? WHERE id = ?",
                                  [.integer(Int64(tx.now.timeIntervalSince1970)), .text(request)])
            }
        }
        return .ready(content: content, documents: used)
    }

    /// The export of `documents`: each read through the access policy with `bases` and
    /// `reason` (a refusal refuses the export, and is logged), the log entries naming
    /// them, and `fields` (`type` and its own) beside who, when, why. Logged (a
    /// `disclosure` to the caller's agency if another agency's documents are in it, else a
    /// `consultation`, with `details` and the content's SHA-256) in the transaction that
    /// also runs `record`, before the content is returned. Returns it and the count.
    func exportDocuments(_ documents: [DocumentRecord], fields: JSONObject, by principal: Principal, bases: [String], reason: String,
                         caseNumber: String?, details: [String: String],
                         record: (VaultTransaction) throws -> Void = { _ in }) throws -> (content: [UInt8], documents: Int) {
        let reads = try read(documents.map { ReadRequest(document: $0.id, principal: principal, bases: bases, reason: reason) })
        var files: [ExportDocument.File] = []
        for (document, read) in zip(documents, reads) {
            let content = try read.get().content
            files.append(ExportDocument.File(name: "documents/\(document.id).json", bytes: content.withUnsafeBytes { Array($0) }))
        }
        // The log entries about these documents, this export's reads among them.
        let ids = Set(documents.map(\.id))
        let needles = ids.map { Data($0.utf8) }
        var lines: [UInt8] = []
        for (_, data) in try vault.logEntries(0..<vault.treeHead().size) {
            // Only an entry whose bytes hold one of the ids is decoded (the log is long).
            guard needles.contains(where: { data.range(of: $0) != nil }), let entry = try? LogEntry(decoding: data),
                  !ids.isDisjoint(with: entry.records) else { continue }
            lines += Array(data) + [0x0A]
        }
        files.append(ExportDocument.File(name: "log/entries.jsonl", bytes: lines))
        let others = documents.contains { $0.agency != principal.agency }
        return try vault.transaction { tx in
            let time = LogEntry.timestamp(tx.now)
            var all = fields
            all.set("createdAt", .string(time))
            all.set("by", .object(JSONObject(["person": .string(principal.name), "agency": .string(principal.agency)])))
            all.set("bases", .array(bases.map(JSONValue.string)))
            all.set("reason", .string(reason))
            let content = ExportDocument.content(all, files: files)
            try record(tx)
            try tx.append(LogEntry(time: time, operation: others ? .disclosure : .consultation,
                                   actor: .init(person: principal.name, agency: principal.agency), records: documents.map(\.id),
                                   case: caseNumber, meeting: nil, recipients: others ? [principal.agency] : [], bases: bases,
                                   justification: AccessLog.justification(reason, rule: nil),
                                   details: details.merging(["sha256": Hex.encode(SHA256.hash(content))]) { a, _ in a }))
            return (content, documents.count)
        }
    }

    /// Records `principal`'s agency's approval of export request `id` (any principal of
    /// an agency whose approval the request waits for), logged as its `consent`.
    /// Returns the agencies still to approve.
    public func approveExport(_ id: String, by principal: Principal) throws -> [String] {
        try vault.transaction { tx in
            guard let row = try tx.rows("SELECT case_number, requester, requester_agency, used_at FROM x_export_request WHERE id = ?", [.text(id)]).first else {
                throw ExchangeError.conflict("no export request \(id)")
            }
            guard row[3].integer == nil else { throw ExchangeError.conflict("export request \(id) was used already") }
            let pending = try tx.rows("SELECT approved_at FROM x_export_approval WHERE request = ? AND agency = ?", [.text(id), .text(principal.agency)])
            var facts = FactRules.Facts(target: id, person: principal.name, agency: principal.agency)
            facts.requestWaitsForAgency = !pending.isEmpty
            _ = try FactRules.decide("export.approve", principal, facts)
            guard pending[0][0].integer == nil else { throw ExchangeError.conflict("agency \(principal.agency) approved export request \(id) already") }
            try tx.changeFact("x_export_approval", [.text(id), .text(principal.agency)],
                              "UPDATE x_export_approval SET approved_by = ?, approved_at = ? WHERE request = ? AND agency = ?",
                           [.text(principal.name), .integer(Int64(tx.now.timeIntervalSince1970)), .text(id), .text(principal.agency)])
            try tx.append(.consent(by: principal.actor, case: try row.text(0, "x_export_request"), recipients: [try row.text(2, "x_export_request")],
                                   at: tx.now, justification: "export of its documents approved",
                                   details: ["request": id, "requester": try row.text(1, "x_export_request")]))
            return try tx.rows("SELECT agency FROM x_export_approval WHERE request = ? AND approved_at IS NULL ORDER BY agency", [.text(id)])
                .map { try $0.text(0, "x_export_approval") }
        }
    }

    private enum Approval {
        case approved(String)
        case pending(String, [String])
    }

    /// The requester's unused request for this case and this purpose (the same bases and
    /// reason: an agency approves an export for what it was asked for, nothing else):
    /// approved by every one of `owners`, or still waiting (made now if there is none, with
    /// its purpose and documents, and logged).
    private func approval(_ number: CaseNumber, owners: [String], purpose: ExportPurpose, by principal: Principal) throws -> Approval {
        try vault.transaction { tx in
            let existing = try tx.rows("""
                SELECT r.id FROM x_export_request r JOIN x_export_purpose p ON p.request = r.id
                WHERE r.case_number = ? AND r.requester_uid = ? AND r.used_at IS NULL AND p.bases = ? AND p.reason = ?
                ORDER BY r.created_at DESC LIMIT 1
                """, [.text(number.description), .integer(Int64(principal.uid)), .text(purpose.bases.joined(separator: ",")), .text(purpose.reason)])
                .first.map { try $0.text(0, "x_export_request") }
            let id = try existing ?? "exp_" + Hex.encode(SecureRandom.bytes(8))
            if existing == nil {
                try tx.changeFact("x_export_request", [.text(id)],
                                  "INSERT INTO x_export_request (id, case_number, requester, requester_uid, requester_agency, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                                  [.text(id), .text(number.description), .text(principal.name), .integer(Int64(principal.uid)),
                                   .text(principal.agency), .integer(Int64(tx.now.timeIntervalSince1970))])
                try tx.changeFact("x_export_purpose", [.text(id)], "INSERT INTO x_export_purpose (request, bases, reason, documents) VALUES (?, ?, ?, ?)",
                                  [.text(id), .text(purpose.bases.joined(separator: ",")), .text(purpose.reason),
                                   .text(purpose.documents.joined(separator: " "))])
            }
            var asked = false  // an agency newly asked (every one, for a new request): logged below
            for owner in owners where try tx.rows("SELECT 1 FROM x_export_approval WHERE request = ? AND agency = ?", [.text(id), .text(owner)]).isEmpty {
                try tx.changeFact("x_export_approval", [.text(id), .text(owner)],
                                  "INSERT INTO x_export_approval (request, agency) VALUES (?, ?)", [.text(id), .text(owner)])
                asked = true
            }
            let waiting = try tx.rows("SELECT agency FROM x_export_approval WHERE request = ? AND approved_at IS NULL ORDER BY agency", [.text(id)])
                .map { try $0.text(0, "x_export_approval") }.filter(owners.contains)
            var facts = FactRules.Facts(target: id, person: principal.name, agency: principal.agency)
            facts.ownersWaiting = waiting
            guard case let .waitsFor(agencies) = try FactRules.decide("export.case", principal, facts) else { return .approved(id) }
            if existing == nil || asked {
                try tx.append(.consent(by: principal.actor, case: number.description, recipients: agencies, at: tx.now,
                                       justification: "export approval requested", details: ["request": id]))
            }
            return .pending(id, agencies)
        }
    }
}
