import Foundation

extension Vault {
    // MARK: - Put

    /// Encrypts and stores one document; returns its new id.
    public func put(_ document: NewDocument) throws -> String {
        try put([document])[0]
    }

    /// Encrypts and stores `documents` in one transaction (group commit): all are stored
    /// with their log entries, or none is.
    public func put(_ documents: [NewDocument]) throws -> [String] {
        for document in documents { try document.validateLabels() }
        return try locked {
            try write {
                try documents.map { try insert($0) }
            }
        }
    }

    func insert(_ document: NewDocument) throws -> String {
        let id = try Self.newDocumentID(now: clock())
        let (version, kek) = try activeAgencyKey(document.agency)
        let dek = try SecretBytes(randomByteCount: 32)
        try documentCipher.rekey(dek)
        let sealed = try documentCipher.seal(document.content, authenticating:
            AAD.payload(id: id, agency: document.agency, kind: document.kind))
        let wrapped = try kek.seal(dek, authenticating:
            AAD.dataKey(id: id, agency: document.agency, kind: document.kind, kekVersion: version))
        // The binding MAC over the links being written (`DocumentBinding.swift`), computed
        // here rather than read back after the inserts.
        guard case let .integer(created) = now else { preconditionFailure("the vault's time is an integer") }
        let binding = try bindingMAC(creating: true).authenticationCode(for: AAD.documentBinding(
            id: id, agency: document.agency, kind: document.kind, createdAt: Int(created), erased: false,
            metadata: document.metadata, tokens: Set(document.subjects).map(\.bytes)))
        try db.run("INSERT INTO document (id, agency, kind, created_at, binding) VALUES (?, ?, ?, ?, ?)",
                   [.text(id), .text(document.agency), .text(document.kind), .integer(created), .blob(binding)])
        let rowID = db.lastInsertRowID
        let seq = SQLValue.integer(rowID)
        try db.run("INSERT INTO data_key (document, agency, kek_version, wrapped) VALUES (?, ?, ?, ?)",
                   [seq, .text(document.agency), .integer(Int64(version)), .blob(wrapped)])
        try db.run("INSERT INTO payload (document, sealed) VALUES (?, ?)", [seq, .blob(sealed)])
        for (key, value) in document.metadata {
            try db.run("INSERT INTO document_meta (document, key, value) VALUES (?, ?, ?)", [seq, .text(key), .text(value)])
        }
        for token in Set(document.subjects) {
            try db.run("INSERT INTO subject_index (document, token) VALUES (?, ?)", [seq, .blob(token.bytes)])
        }
        if let entry = document.logEntry { try appendLeaf(entry) }
        return id
    }

    /// `doc_` + 32 hex digits: 48 bits of Unix milliseconds then 80 random bits (the
    /// UUIDv7 layout), so new ids sort after old ones and inserts append to the indexes
    /// instead of landing on random B-tree pages.
    static func newDocumentID(now: Date) throws -> String {
        let millis = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        let time = (0..<6).map { UInt8(truncatingIfNeeded: millis >> (8 * (5 - $0))) }
        return "doc_" + Hex.encode(time + (try SecureRandom.bytes(10)))
    }

    // MARK: - Read

    /// The plaintext of document `id`, if the installed access policy allows `request`.
    /// The policy's log entry (allow or deny) is committed first; if it cannot be,
    /// nothing is decrypted. Integrity failures throw `tampered`, never wrong plaintext.
    public func read(_ id: String, as request: AccessRequest) throws -> SecretBytes {
        try readLogged(id, as: request).content
    }

    /// As `read`, also returning the log entry committed for the read (so a caller can
    /// report what was logged without deciding again).
    public func readLogged(_ id: String, as request: AccessRequest) throws -> (content: SecretBytes, logEntry: Data) {
        guard let only = try readLogged([(id, request)]).first else { preconditionFailure("one read in, one result out") }
        return try only.get()
    }

    /// Reads many documents at once (group commit): each is decided by the installed
    /// policy, every decision's log entry (allow or deny) is committed in one transaction,
    /// and only then is anything decrypted. Returns one result per request, in order: the
    /// plaintext and its entry, or why not (`accessDenied` after its refusal is logged;
    /// `notFound`, `erased` or `tampered` with nothing logged, as `readLogged` alone).
    /// Throws, decrypting nothing, if the entries cannot be committed (fail closed).
    public func readLogged(_ requests: [(id: String, request: AccessRequest)]) throws
        -> [Result<(content: SecretBytes, logEntry: Data), any Error>] {
        try readLogged(requests, combining: nil)
    }

    /// As `readLogged(_:)` for a listing (the coordinator's case list): every request is
    /// decided by the installed policy as it would be alone, but the entries of the reads
    /// it allows are committed as the one entry `combine` makes of them, in order (a
    /// refusal is still its own entry). `combine` may only summarise: it receives exactly
    /// the entries the policy made, and nothing is decrypted unless its entry commits.
    public func readListing(_ requests: [(id: String, request: AccessRequest)], combine: ([Data]) throws -> Data) throws
        -> [Result<(content: SecretBytes, logEntry: Data), any Error>] {
        try withoutActuallyEscaping(combine) { try readLogged(requests, combining: $0) }
    }

    private func readLogged(_ requests: [(id: String, request: AccessRequest)], combining combine: (([Data]) throws -> Data)?) throws
        -> [Result<(content: SecretBytes, logEntry: Data), any Error>] {
        try locked {
            // Decided in one snapshot and committed before the lock is released: nothing
            // the policy read can change in between.
            let decisions = try readingLocked { tx in
                requests.map { id, request in
                    Result { () throws -> (DocumentRecord, AccessDecision) in
                        let document = try liveRecord(id)
                        return (document, try policy.decide(request, for: document, reading: tx))
                    }
                }
            }
            var entries = decisions.compactMap { decision -> Data? in
                switch decision {
                case let .success((_, .allow(entry))), let .success((_, .deny(_, entry))): return entry
                case .failure: return nil
                }
            }
            // A listing: the allowed reads' entries become one.
            var combined: Data?
            if let combine {
                let allowed = decisions.compactMap { decision -> Data? in
                    if case let .success((_, .allow(entry))) = decision { return entry }
                    return nil
                }
                if !allowed.isEmpty {
                    combined = try combine(allowed)
                    entries = decisions.compactMap { decision -> Data? in
                        if case let .success((_, .deny(_, entry))) = decision { return entry }
                        return nil
                    } + [combined!]
                }
            }
            if !entries.isEmpty { try write { for entry in entries { try appendLeaf(entry) } } }
            // A document asked for more than once (a pack to each of 30 agencies) is
            // decrypted once; every allowed request shares the one wiping buffer.
            var opened: [String: Result<SecretBytes, any Error>] = [:]
            return decisions.map { decision in
                decision.flatMap { document, verdict in
                    switch verdict {
                    case let .deny(reason, _): return .failure(VaultError.accessDenied(document: document.id, reason: reason))
                    case let .allow(entry):
                        let content = opened[document.id] ?? Result { try decrypt(document) }
                        opened[document.id] = content
                        return content.map { ($0, combined ?? entry) }
                    }
                }
            }
        }
    }

    /// Decrypts a live document, applying every MUST-reject rule of the format.
    private func decrypt(_ document: DocumentRecord) throws -> SecretBytes {
        let id = document.id
        guard let row = try db.statement("""
            SELECT k.agency, k.kek_version, k.wrapped, p.sealed FROM document d
            LEFT JOIN data_key k ON k.document = d.seq LEFT JOIN payload p ON p.document = d.seq WHERE d.id = ?
            """).first([.text(id)], { ($0.optionalText(0), $0.int(1), $0.optionalBlob(2), $0.optionalBlob(3)) }),
            let agency = row.0, let wrapped = row.2, let sealed = row.3 else {
            throw VaultError.tampered(subject: id, part: .missingRow)
        }
        let key = (agency, row.1, wrapped)
        guard key.0 == document.agency, key.2.count == RootDerivedKeys.wrappedKeyByteCount else {
            throw VaultError.tampered(subject: id, part: .dataKey)
        }
        guard sealed.count >= AESGCM.overhead else { throw VaultError.tampered(subject: id, part: .payload) }
        let kek = try agencyKey(document.agency, version: key.1)
        let dek = try RootDerivedKeys.unwrap(key.2, with: kek, aad: .dataKey(id: id, agency: document.agency,
                                             kind: document.kind, kekVersion: key.1), subject: id, part: .dataKey)
        do {
            try documentCipher.rekey(dek)
            return try documentCipher.openSecret(sealed, authenticating:
                AAD.payload(id: id, agency: document.agency, kind: document.kind))
        } catch {
            throw VaultError.tampered(subject: id, part: .payload)
        }
    }

    // MARK: - Records and listing

    /// The record of document `id` (erased or not), without decrypting anything.
    public func record(_ id: String) throws -> DocumentRecord {
        try locked {
            guard let record = try records(where: "d.id = ?", [.text(id)]).first else { throw VaultError.notFound(id) }
            return record
        }
    }

    private func liveRecord(_ id: String) throws -> DocumentRecord {
        guard let record = try records(where: "d.id = ?", [.text(id)]).first else { throw VaultError.notFound(id) }
        guard record.erasedAt == nil else { throw VaultError.erased(id) }
        return record
    }

    /// Records matching every given filter, oldest first; erased ones only if asked.
    public func list(agency: String? = nil, kind: String? = nil, metadata: [String: String] = [:],
                     includeErased: Bool = false) throws -> [DocumentRecord] {
        var clauses: [String] = []
        var values: [SQLValue] = []
        if let agency { clauses.append("d.agency = ?"); values.append(.text(agency)) }
        if let kind { clauses.append("d.kind = ?"); values.append(.text(kind)) }
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            clauses.append("d.seq IN (SELECT document FROM document_meta WHERE key = ? AND value = ?)")
            values += [.text(key), .text(value)]
        }
        if !includeErased { clauses.append("d.erased_at IS NULL") }
        return try locked { try records(where: clauses.isEmpty ? "1" : clauses.joined(separator: " AND "), values) }
    }

    /// Live documents about the person with blind-index `token`, oldest first.
    public func documents(about token: BlindToken) throws -> [DocumentRecord] {
        try locked {
            try records(where: "d.erased_at IS NULL AND d.seq IN (SELECT document FROM subject_index WHERE token = ?)",
                        [.blob(token.bytes)])
        }
    }

    /// Documents matching `clause` with their metadata, each checked against its binding
    /// MAC (a re-linked one throws `tampered(id, .links)`): three queries, however many rows.
    func records(where clause: String, _ values: [SQLValue]) throws -> [DocumentRecord] {
        var rows: [(seq: Int, id: String, agency: String, kind: String, created: Int, erased: Int?, binding: [UInt8]?)] = []
        try db.statement("SELECT d.seq, d.id, d.agency, d.kind, d.created_at, d.erased_at, d.binding FROM document d WHERE \(clause) ORDER BY d.seq")
            .forEach(values) { rows.append(($0.int(0), $0.text(1), $0.text(2), $0.text(3), $0.int(4), $0.optionalInt(5), $0.optionalBlob(6))) }
        var metadata: [Int: [String: String]] = [:]
        var tokens: [Int: [[UInt8]]] = [:]
        if !rows.isEmpty {
            try db.statement("SELECT m.document, m.key, m.value FROM document_meta m WHERE m.document IN (SELECT d.seq FROM document d WHERE \(clause))")
                .forEach(values) { metadata[$0.int(0), default: [:]][$0.text(1)] = $0.text(2) }
            try db.statement("SELECT s.document, s.token FROM subject_index s WHERE s.document IN (SELECT d.seq FROM document d WHERE \(clause))")
                .forEach(values) { tokens[$0.int(0), default: []].append($0.blob(1)) }
        }
        return try rows.map { row in
            let record = DocumentRecord(id: row.id, agency: row.agency, kind: row.kind,
                                        createdAt: Date(timeIntervalSince1970: TimeInterval(row.created)),
                                        erasedAt: row.erased.map { Date(timeIntervalSince1970: TimeInterval($0)) },
                                        metadata: metadata[row.seq] ?? [:])
            try checkBinding(record, seq: Int64(row.seq), createdAt: row.created, binding: row.binding, tokens: tokens[row.seq] ?? [])
            return record
        }
    }

    // MARK: - Erasure

    /// Crypto-shreds document `id`: its DEK, ciphertext, subject tokens and metadata are
    /// deleted (zeroed on disk by `secure_delete`), `logEntry` is appended in the same
    /// transaction, and the WAL is then checkpointed and truncated so no earlier page
    /// image survives (see `write`). The id afterwards reports `erased`.
    public func erase(_ id: String, logEntry: Data) throws {
        try erase([(id, logEntry)])
    }

    /// Crypto-shreds several documents in one transaction, each with its own log entry,
    /// and truncates the WAL once for all of them (a retention sweep of a thousand
    /// documents costs one checkpoint, not a thousand). All are erased, or none.
    public func erase(_ documents: [(id: String, logEntry: Data)]) throws {
        guard !documents.isEmpty else { return }
        try locked { try write { try eraseInTransaction(documents) } }
    }

    /// The erasure itself, inside a write the caller holds (marks it a shredding write).
    func eraseInTransaction(_ documents: [(id: String, logEntry: Data)]) throws {
        precondition(db.inTransaction, "erase outside a transaction")
        guard !documents.isEmpty else { return }
        shredding = true
        for (id, logEntry) in documents {
            _ = try liveRecord(id)
            for table in ["data_key", "payload", "subject_index", "document_meta"] {
                try db.run("DELETE FROM \(table) WHERE document = (SELECT seq FROM document WHERE id = ?)", [.text(id)])
            }
            try db.run("UPDATE document SET erased_at = ? WHERE id = ?", [now, .text(id)])
            try bind(seq: Int64(try db.scalarInt("SELECT seq FROM document WHERE id = ?", [.text(id)])))
            try appendLeaf(logEntry)
        }
    }
}

extension NewDocument {
    /// Refuses an agency, kind or metadata key that is not a label.
    func validateLabels() throws {
        try Label.validate(agency, field: "agency")
        try Label.validate(kind, field: "kind")
        for key in metadata.keys { try Label.validate(key, field: "metadata key") }
    }
}
