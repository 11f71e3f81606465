import Foundation

/// The encrypted document store: one SQLite file under a state directory, keys wrapped
/// under a root key kept outside it, and the Merkle log. Format: `docs/vault-format.md`.
///
/// Every operation takes one lock, so the vault is this process's single serialised
/// writer; writes are transactions that roll back on throw.
public final class Vault: @unchecked Sendable {
    /// The database's file name inside the state directory.
    public static let databaseName = "vault.db"
    /// The format this build writes and reads.
    public static let formatVersion = 1

    /// The state directory.
    public let stateDirectory: String
    /// The root key file in use.
    public let rootKeyPath: String

    let lock = NSLock()
    let db: Database
    let vaultID: [UInt8]
    var derived: RootDerivedKeys
    let policy: any DocumentAccessPolicy
    let clock: @Sendable () -> Date
    var agencyKeys = KeyRing()
    var log = LogState()
    var signer: Signer?
    var blindIndexKey: HMACSHA256?
    /// The application-record cipher, once derived (reset with the caches).
    var recordKey: AESGCM?
    /// The content-digest HMAC, once derived (reset with the caches).
    var contentDigestKey: HMACSHA256?
    /// The document-binding HMAC, once derived (reset with the caches).
    var bindingKey: HMACSHA256?
    /// `PRAGMA data_version` when the caches were loaded.
    var loadedDataVersion = 0
    /// The daemon lock, while this vault holds it (`holdDaemonLock()`).
    var daemonLock: DaemonLock?
    /// Set inside a write that destroys key material or ciphertext.
    var shredding = false
    /// A post-shredding WAL truncation that has not succeeded yet.
    var shredCheckpointPending = false
    /// One context for every per-document key, re-keyed per document (see `AESGCM.rekey`).
    let documentCipher: AESGCM
    /// The application tables whose rows are authenticated facts (`authenticateFacts`).
    var factTables: [FactTable] = []
    /// The fact digest and the log size it is bound to, as this transaction leaves them.
    var facts = FactDigest()
    /// Changed facts no log entry in this transaction records yet.
    var pendingFacts: [FactChange] = []
    /// Why the facts failed their check at the last load, refused to every transaction
    /// until the database is put right; nil while they verify.
    var factProblem: VaultError?
    /// The fact HMAC, once derived (reset with the caches).
    var factKey: HMACSHA256?

    private init(stateDirectory: String, rootKeyPath: String, db: Database, vaultID: [UInt8],
                 derived: RootDerivedKeys, policy: any DocumentAccessPolicy, clock: @escaping @Sendable () -> Date) throws {
        self.stateDirectory = stateDirectory
        self.rootKeyPath = rootKeyPath
        self.db = db
        self.vaultID = vaultID
        self.derived = derived
        self.policy = policy
        self.clock = clock
        documentCipher = try AESGCM(key: SecretBytes(randomByteCount: 32))
    }

    /// A last try at a pending post-shredding WAL truncation before the connection closes.
    deinit {
        if shredCheckpointPending { try? db.checkpointTruncate() }
    }

    // MARK: - Create and open

    /// Creates a vault in `stateDirectory` (made 0700 if missing): a new database, the
    /// root key (generated and written to `rootKeyPath`, or loaded if that file exists),
    /// the blind-index secret, and a signing identity (P-256 key and self-signed
    /// certificate for `signingName`). Refuses if a database is already there.
    public static func create(stateDirectory: String, rootKeyPath: String? = nil, signingName: String,
                              organization: String? = nil, policy: any DocumentAccessPolicy = DenyAllPolicy(),
                              clock: @escaping @Sendable () -> Date = Date.init) throws -> Vault {
        try FileSecurity.makeDirectory(stateDirectory)
        let dbPath = stateDirectory + "/" + databaseName
        if FileManager.default.fileExists(atPath: dbPath) { throw VaultError.alreadyInitialised(path: dbPath) }
        let keyPath = RootKey.defaultPath(explicit: rootKeyPath, stateDirectory: stateDirectory)
        let root: RootKey
        if FileManager.default.fileExists(atPath: keyPath) {
            root = try RootKey.load(contentsOf: keyPath)
        } else {
            root = try RootKey.generate()
            try root.write(to: keyPath)
        }
        // The database is made whole under a temporary name and renamed into place: a
        // create killed half-way (SIGKILL, a power cut) leaves no `vault.db` that would
        // refuse the next attempt, only a temporary the next attempt removes.
        let creating = dbPath + ".creating"
        for suffix in ["", "-wal", "-shm"] { unlink(creating + suffix) }
        try FileSecurity.createExclusive(creating)
        do {
            try build(at: creating, stateDirectory: stateDirectory, keyPath: keyPath, root: root, signingName: signingName,
                      organization: organization, clock: clock)
            for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: creating + suffix) {
                throw VaultError.io(path: creating + suffix, errno: EBUSY)  // still open: the rename would strand it
            }
            guard rename(creating, dbPath) == 0 else { throw VaultError.io(path: dbPath, errno: errno) }
            try FileSecurity.syncDirectory(stateDirectory)
        } catch {
            for suffix in ["", "-wal", "-shm"] { unlink(creating + suffix) }
            throw error
        }
        return try open(stateDirectory: stateDirectory, rootKeyPath: keyPath, policy: policy, clock: clock)
    }

    /// Writes a new vault's contents into the empty database at `path`, then closes it.
    private static func build(at path: String, stateDirectory: String, keyPath: String, root: RootKey, signingName: String,
                              organization: String?, clock: @escaping @Sendable () -> Date) throws {
        let db = try Database(path: path, create: false)
        try Migrator.vault.migrate(db)
        let vaultID = try SecureRandom.bytes(16)
        let derived = try RootDerivedKeys(root: root, vaultID: vaultID)
        let vault = try Vault(stateDirectory: stateDirectory, rootKeyPath: keyPath, db: db, vaultID: vaultID,
                              derived: derived, policy: DenyAllPolicy(), clock: clock)
        try vault.write {
            try db.run("""
                INSERT INTO vault_meta (singleton, format_version, vault_id, key_check, root_generation, created_at)
                VALUES (1, ?, ?, ?, 1, ?)
                """, [.integer(Int64(formatVersion)), .blob(vaultID), .blob(derived.keyCheck.nonSecretCopy), vault.now])
            try vault.createSecret(name: BlindIndex.secretName)
            try vault.createSigningKey(version: 1, name: signingName, organization: organization)
        }
        try db.checkpointTruncate()
    }

    /// Opens the vault in `stateDirectory` with the root key at `rootKeyPath` (default:
    /// `$CREDENTIALS_DIRECTORY/master.key`, else `<state>/master.key`). Checks modes and
    /// owners, the key file and the key-check value before anything is written.
    public static func open(stateDirectory: String, rootKeyPath: String? = nil,
                            policy: any DocumentAccessPolicy = DenyAllPolicy(),
                            clock: @escaping @Sendable () -> Date = Date.init) throws -> Vault {
        try FileSecurity.check(stateDirectory, is: .directory)
        let dbPath = stateDirectory + "/" + databaseName
        try FileSecurity.check(dbPath, is: .regularFile)
        try FileSecurity.checkIfPresent(dbPath + "-wal", is: .regularFile)
        try FileSecurity.checkIfPresent(dbPath + "-shm", is: .regularFile)
        let keyPath = RootKey.defaultPath(explicit: rootKeyPath, stateDirectory: stateDirectory)
        let candidate = try RootKey.load(contentsOf: keyPath)

        let db = try Database(path: dbPath, create: false)
        guard let meta = try db.statement(
            "SELECT format_version, vault_id, key_check FROM vault_meta WHERE singleton = 1"
        ).first([], { ($0.int(0), $0.blob(1), $0.blob(2)) }) else {
            throw DatabaseError.unknownSchema("no vault_meta row")
        }
        guard meta.0 == formatVersion else { throw VaultError.unsupportedFormat(meta.0) }
        guard meta.1.count == 16, meta.2.count == 32 else { throw DatabaseError.corruptRow(table: "vault_meta", column: "key_check") }

        let derived = try RootKeyFile.resolve(path: keyPath, loaded: candidate) { key -> RootDerivedKeys? in
            let keys = try RootDerivedKeys(root: key, vaultID: meta.1)
            return constantTimeEquals(keys.keyCheck, meta.2) ? keys : nil
        }
        let upgraded = try Migrator.vault.migrate(db)
        let vault = try Vault(stateDirectory: stateDirectory, rootKeyPath: keyPath, db: db, vaultID: meta.1,
                              derived: derived, policy: policy, clock: clock)
        if upgraded.contains("facts") {
            // The fact digest starts (first: every later write checks it) from the log as it is.
            try vault.locked { try vault.write(checkingFacts: false) { try vault.startFactDigest() } }
        }
        if upgraded.contains("log-integrity") {
            // A vault made before certificates carried MACs: its existing certificates are
            // certified now, once, by the open that applies the migration (never later).
            try vault.locked { try vault.write { try vault.certifySigningCertificates(onlyMissing: true) } }
        }
        if upgraded.contains("document-binding") {
            try vault.locked { try vault.write { try vault.bindUnboundDocuments() } }  // the same, for documents
        }
        try vault.loadState()
        return vault
    }

    // MARK: - Serialised access

    /// Runs `body` under the vault's lock.
    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Runs `body` in a write transaction (callers hold the lock).
    ///
    /// - The caches (key ring, log frontier, signer) are first reloaded if another
    ///   connection (`maracctl` offline, say) committed since they were loaded, so a put
    ///   never wraps under a KEK version another process has retired, and an append
    ///   never extends a stale frontier.
    /// - If `body` throws, the caches are reloaded to match what was rolled back.
    /// - If `body` destroyed key material or ciphertext (`shredding = true`), the WAL is
    ///   checkpointed and truncated after the commit, so no earlier page image survives in
    ///   `-wal`. If that cannot happen now (another process is reading), it is retried
    ///   after every later commit and when the vault closes.
    ///
    /// - Unless `checkingFacts` is false (the vault's own upgrade steps), it throws the
    ///   facts' failed check instead of running `body`; before the commit, every changed
    ///   fact must be recorded by a log entry, and the fact digest is bound to the log's new
    ///   size (`docs/vault-format.md`, "Authenticated facts").
    func write<T>(checkingFacts: Bool = true, _ body: () throws -> T) throws -> T {
        let result: T
        do {
            result = try db.transaction {
                try refreshIfChangedElsewhere()
                if checkingFacts, let factProblem { throw factProblem }
                let result = try body()
                try commitFacts()
                return result
            }
        } catch {
            shredding = false
            try? loadState()
            throw error
        }
        if shredding { shredCheckpointPending = true }
        shredding = false
        if shredCheckpointPending { shredCheckpointPending = (try? db.checkpointTruncate()) == nil }
        return result
    }

    /// Runs `body` in a read transaction on caches as fresh as the database (callers hold the lock).
    /// Refuses, like `write`, while the facts fail their check.
    func snapshot<T>(checkingFacts: Bool = true, _ body: () throws -> T) throws -> T {
        try db.transaction(immediate: false) {
            try refreshIfChangedElsewhere()
            if checkingFacts, let factProblem { throw factProblem }
            return try body()
        }
    }

    /// Reloads the caches if another connection has committed since they were loaded.
    private func refreshIfChangedElsewhere() throws {
        if try db.scalarInt("PRAGMA data_version") != loadedDataVersion { try loadState() }
    }

    /// Loads the caches from the database.
    func loadState() throws {
        agencyKeys = KeyRing()
        log = try LogState.load(db)
        signer = try loadSigner()
        recordKey = nil
        contentDigestKey = nil
        bindingKey = nil
        factKey = nil
        pendingFacts = []
        // A check that fails is kept (and refused to every transaction), not thrown: the
        // verifier must still open the vault to name what was changed. The data version is
        // taken first, so a write that lands during the check is checked at the next load.
        loadedDataVersion = try db.scalarInt("PRAGMA data_version")
        factProblem = nil
        do { try loadFacts() } catch let error as VaultError { factProblem = error }
    }

    /// The vault's clock (injected in tests), for callers that date what they store.
    public var currentTime: Date { clock() }

    /// The current time as stored (Unix seconds).
    var now: SQLValue { .integer(Int64(clock().timeIntervalSince1970)) }
}

extension SecretBytes {
    /// A copy of the bytes, for values that are safe to store (a key-check value, a
    /// wrapped key), never for key material.
    var nonSecretCopy: [UInt8] { withUnsafeBytes { Array($0) } }
}
