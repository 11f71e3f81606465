import Foundation

// A document's links, bound under a MAC (`docs/vault-format.md`, "Document binding").
//
// The payload's AAD binds the ciphertext to its id, agency and kind. What an access
// policy decides on also includes the document's time, its clear-text metadata (the
// case it belongs to) and the people it is about (blind-index tokens). Those rows sit
// outside every AAD, so someone who can write the database could re-point a research
// form at another case, or a token at another document, and steer a policy. Each
// document row therefore carries `binding`, an HMAC over all of them, checked whenever a
// record is read: a re-linked document is `tampered(id, .links)` before any policy sees it.

extension AAD {
    /// What a document's binding MAC covers.
    static func documentBinding(id: String, agency: String, kind: String, createdAt: Int, erased: Bool,
                                metadata: [String: String], tokens: [[UInt8]]) -> AAD {
        var aad = AAD("maracd.v1 document-binding").string(id).string(agency).string(kind)
            .string(String(createdAt)).u32(erased ? 1 : 0).u32(metadata.count)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { aad = aad.string(key).string(value) }
        aad = aad.u32(tokens.count)
        for token in tokens.sorted(by: { $0.lexicographicallyPrecedes($1) }) { aad = aad.data(token) }
        return aad
    }
}

extension Vault {
    /// The binding HMAC, from the application-records secret (wrapped under the root, so a
    /// database writer cannot compute it; unchanged by a root rotation, so no document
    /// needs re-binding then).
    func bindingMAC(creating: Bool = false) throws -> HMACSHA256 {
        if let bindingKey { return bindingKey }
        let mac = try HMACSHA256(key: applicationKey(info: "maracd.v1 document-binding", creating: creating))
        bindingKey = mac
        return mac
    }

    /// Computes and stores the binding of the document at `seq` from its rows as they are
    /// now (callers are in a write transaction, after inserting or erasing it).
    func bind(seq: Int64) throws {
        guard let row = try db.statement("SELECT id, agency, kind, created_at, erased_at FROM document WHERE seq = ?")
            .first([.integer(seq)], { ($0.text(0), $0.text(1), $0.text(2), $0.int(3), $0.optionalInt(4)) }) else {
            throw VaultError.tampered(subject: "document \(seq)", part: .missingRow)
        }
        let mac = try bindingMAC(creating: true).authenticationCode(for: AAD.documentBinding(
            id: row.0, agency: row.1, kind: row.2, createdAt: row.3, erased: row.4 != nil,
            metadata: try metadata(seq: seq), tokens: try tokens(seq: seq)))
        try db.run("UPDATE document SET binding = ? WHERE seq = ?", [.blob(mac), .integer(seq)])
    }

    /// Binds every document that has no binding yet (the open that applies the
    /// `document-binding` migration: trust on first use, once).
    func bindUnboundDocuments() throws {
        var unbound: [Int64] = []
        try db.statement("SELECT seq FROM document WHERE binding IS NULL").forEach { unbound.append($0.int64(0)) }
        for seq in unbound { try bind(seq: seq) }
    }

    /// Throws `tampered(id, .links)` unless `binding` is the MAC of the record's rows.
    func checkBinding(_ record: DocumentRecord, seq: Int64, createdAt: Int, binding: [UInt8]?, tokens: [[UInt8]]) throws {
        guard let binding, try bindingMAC().isValidAuthenticationCode(binding, for: AAD.documentBinding(
            id: record.id, agency: record.agency, kind: record.kind, createdAt: createdAt, erased: record.erasedAt != nil,
            metadata: record.metadata, tokens: tokens)) else {
            throw VaultError.tampered(subject: record.id, part: .links)
        }
    }

    private func metadata(seq: Int64) throws -> [String: String] {
        var out: [String: String] = [:]
        try db.statement("SELECT key, value FROM document_meta WHERE document = ?").forEach([.integer(seq)]) { out[$0.text(0)] = $0.text(1) }
        return out
    }

    private func tokens(seq: Int64) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        try db.statement("SELECT token FROM subject_index WHERE document = ?").forEach([.integer(seq)]) { out.append($0.blob(0)) }
        return out
    }
}
