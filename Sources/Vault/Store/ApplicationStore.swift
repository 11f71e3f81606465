import Foundation

// The vault's extension point for the layer above it (Exchange): its own tables in the
// same database, written in the same transactions as documents and log entries, so a
// referral, its case and its log entry commit together or not at all.
//
// Convention: an application's tables are prefixed with its namespace (`x_` for
// Exchange) and its SQL touches no vault table; the vault's tables are reached only
// through the methods below.

/// One named, append-only migration of an application's tables.
public struct ApplicationMigration: Sendable {
    /// The migration's name, recorded when applied; never changes once released.
    public let name: String
    /// The SQL it runs (one or more statements).
    public let sql: String

    /// A migration called `name` that runs `sql`.
    public init(name: String, sql: String) {
        self.name = name
        self.sql = sql
    }
}

extension Vault {
    // MARK: - Application schema and transactions

    /// Applies the application `namespace`'s migrations the database lacks, in order, each
    /// in its own transaction; refuses a database whose applied ones are not a prefix.
    /// Returns the names of the migrations it applied.
    @discardableResult
    public func migrate(namespace: String, _ migrations: [ApplicationMigration]) throws -> [String] {
        try Label.validate(namespace, field: "namespace")
        return try locked {
            let applied = try Migrator(migrations: migrations.map { .init(name: $0.name, sql: $0.sql) }, namespace: namespace).migrate(db)
            try loadState()
            return applied
        }
    }

    /// Runs `body` in one write transaction: everything it does through the transaction
    /// (application rows, documents, log entries) commits together, or rolls back if it throws.
    public func transaction<T>(_ body: (VaultTransaction) throws -> T) throws -> T {
        try locked { try write { try VaultTransaction.scoped(self, writable: true, body) } }
    }

    /// Runs `body` in one read transaction: a consistent snapshot; writes are refused.
    public func reading<T>(_ body: (VaultTransaction) throws -> T) throws -> T {
        try locked { try readingLocked(body) }
    }

    /// As `reading`, for a caller that already holds the vault's lock.
    func readingLocked<T>(_ body: (VaultTransaction) throws -> T) throws -> T {
        try snapshot { try VaultTransaction.scoped(self, writable: false, body) }
    }
}

/// The operations available inside `Vault.transaction` or `Vault.reading`. Valid only
/// inside the closure it is given to; using it afterwards is a programming error.
public final class VaultTransaction {
    private unowned let vault: Vault
    /// Whether this is a write transaction.
    public let isWritable: Bool
    private var isOpen = true

    private init(vault: Vault, writable: Bool) {
        self.vault = vault
        self.isWritable = writable
    }

    /// Runs `body` with a transaction object that is closed when it returns.
    fileprivate static func scoped<T>(_ vault: Vault, writable: Bool, _ body: (VaultTransaction) throws -> T) rethrows -> T {
        let transaction = VaultTransaction(vault: vault, writable: writable)
        defer { transaction.isOpen = false }
        return try body(transaction)
    }

    private func check(writing: Bool = false) {
        precondition(isOpen, "VaultTransaction used outside its closure")
        precondition(!writing || isWritable, "write through a read transaction")
    }

    /// The vault's clock.
    public var now: Date { vault.clock() }

    /// Values the application works out once per transaction (a fact every read in a
    /// snapshot asks for): gone with the transaction, so never stale.
    public var memo: [String: String] = [:]

    // MARK: - Application rows

    /// Runs one statement (cached) with `values`; for INSERT, UPDATE and DELETE on the
    /// application's tables.
    public func execute(_ sql: String, _ values: [SQLValue] = []) throws {
        check(writing: true)
        try vault.db.run(sql, values)
    }

    /// The rows `sql` (cached) returns for `values`, each as its column values.
    public func rows(_ sql: String, _ values: [SQLValue] = []) throws -> [[SQLValue]] {
        check()
        var result: [[SQLValue]] = []
        try vault.db.statement(sql).forEach(values) { row in
            result.append((0..<row.columnCount).map { row.value($0) })
        }
        return result
    }

    /// The rows changed by the last `execute`.
    public var changes: Int { check(); return vault.db.changes }

    // MARK: - Documents, tokens and the log

    /// Encrypts and stores `document` in this transaction; returns its id.
    public func put(_ document: NewDocument) throws -> String {
        check(writing: true)
        try document.validateLabels()
        return try vault.insert(document)
    }

    /// Appends `entry` to the Merkle log in this transaction; returns its index. Throws
    /// `unloggedFact` if a fact changed since the last entry: that entry must record it
    /// (`appendLog(_:recording:)`).
    @discardableResult
    public func appendLog(_ entry: Data) throws -> Int {
        check(writing: true)
        let index = vault.log.size
        try vault.appendLeaf(entry)
        return index
    }

    // MARK: - Authenticated facts

    /// Runs `body`, the statement that inserts, updates or deletes the row of fact table
    /// `table` with primary key `key`, then authenticates the row as it now is
    /// (`docs/vault-format.md`, "Authenticated facts"). The next entry appended in this
    /// transaction must record the change (`pendingFacts`, `appendLog(_:recording:)`).
    public func changeFact(_ table: FactTable, key: [SQLValue], _ body: () throws -> Void) throws {
        check(writing: true)
        try vault.changeFact(table, key: key, body)
    }

    /// The facts changed since the last entry, which the next entry must record.
    public var pendingFacts: [FactChange] { check(); return vault.pendingFacts }

    /// Appends `entry`, which records `facts` (exactly `pendingFacts`), as the log entry of
    /// those changes; returns its index.
    @discardableResult
    public func appendLog(_ entry: Data, recording facts: [FactChange]) throws -> Int {
        check(writing: true)
        precondition(facts == vault.pendingFacts, "an entry records exactly the pending facts")
        vault.pendingFacts = []
        return try appendLog(entry)
    }

    /// The record of document `id`, without decrypting anything.
    public func record(_ id: String) throws -> DocumentRecord {
        check()
        guard let record = try vault.records(where: "d.id = ?", [.text(id)]).first else { throw VaultError.notFound(id) }
        return record
    }

    /// Live documents about the person with blind-index `token`, oldest first.
    public func documents(about token: BlindToken) throws -> [DocumentRecord] {
        check()
        return try vault.records(where: "d.erased_at IS NULL AND d.seq IN (SELECT document FROM subject_index WHERE token = ?)",
                                 [.blob(token.bytes)])
    }

    /// The blind-index token for a person (see `Vault.blindToken(name:dateOfBirth:)`).
    public func blindToken(name: String, dateOfBirth: String) throws -> BlindToken {
        check()
        return try vault.blindToken(for: Vault.personMessage(name: name, dateOfBirth: dateOfBirth))
    }

    /// A keyed digest of content (HMAC-SHA256 under a key derived from the vault's
    /// `application-records` secret, which no root rotation changes): what an
    /// application keeps to recognise the same bytes again (idempotent intake), instead
    /// of a plain SHA-256 that would confirm a guess at a short form long after the form
    /// itself was erased.
    public func contentDigest(_ content: [UInt8]) throws -> [UInt8] {
        check()
        return try vault.contentDigestMAC(creating: isWritable).authenticationCode(for: content)
    }

    /// Crypto-shreds `documents` in this transaction, each with its log entry, so the
    /// application rows that point at them go in the same commit (see `Vault.erase`).
    public func erase(_ documents: [(id: String, logEntry: Data)]) throws {
        check(writing: true)
        try vault.eraseInTransaction(documents)
    }

    // MARK: - Sealed application values

    /// Encrypts a small application value (AES-256-GCM under the vault's record key, a
    /// wrapped secret that root rotation rewraps) bound to `context`, which names where it
    /// is stored (`table.column/row key`), so a sealed value moved elsewhere fails to open.
    public func seal(_ plaintext: SecretBytes, context: String) throws -> [UInt8] {
        check(writing: true)
        return try vault.recordCipher(creating: true).seal(plaintext, authenticating: AAD.record(context: context))
    }

    /// Decrypts a value sealed for `context`; throws `tampered` if it was altered or moved.
    public func open(_ sealed: [UInt8], context: String) throws -> SecretBytes {
        check()
        do {
            return try vault.recordCipher(creating: false).openSecret(sealed, authenticating: AAD.record(context: context))
        } catch is CryptoError {
            throw VaultError.tampered(subject: context, part: .payload)
        }
    }
}

extension Vault {
    static let recordSecretName = "application-records"

    /// The record cipher, made from the `application-records` secret (created on first
    /// use in a write transaction, so vaults made before it existed gain it).
    func recordCipher(creating: Bool) throws -> AESGCM {
        if let recordKey { return recordKey }
        let cipher = try AESGCM(key: applicationKey(info: "maracd.v1 application-record", creating: creating))
        recordKey = cipher
        return cipher
    }

    /// The content-digest HMAC, from the same secret with its own `info`.
    func contentDigestMAC(creating: Bool) throws -> HMACSHA256 {
        if let contentDigestKey { return contentDigestKey }
        let mac = try HMACSHA256(key: applicationKey(info: "maracd.v1 content-digest", creating: creating))
        contentDigestKey = mac
        return mac
    }

    /// `HKDF(application-records secret, "", info)`, creating the secret if asked.
    func applicationKey(info: String, creating: Bool) throws -> SecretBytes {
        let exists = try db.scalarInt("SELECT count(*) FROM vault_secret WHERE name = ?", [.text(Self.recordSecretName)]) == 1
        if !exists {
            guard creating else { throw VaultError.tampered(subject: Self.recordSecretName, part: .missingRow) }
            try createSecret(name: Self.recordSecretName)
        }
        return try HKDF.deriveKey(inputKeyMaterial: secret(name: Self.recordSecretName), salt: [UInt8](),
                                  info: Array(info.utf8), outputByteCount: 32)
    }
}
