import Foundation
internal import CSQLite

/// One SQLite connection with the vault's durability settings, a prepared-statement
/// cache and explicit transactions. Not thread-safe: `Vault` serialises every use behind
/// one lock, which also makes it the single writer in this process.
final class Database {
    let handle: OpaquePointer
    let path: String
    private var cache: [String: Statement] = [:]
    private(set) var inTransaction = false
    /// Set by `checkpoint(with:)`; stopped before this connection closes.
    var backgroundCheckpointer: WALCheckpointer?

    /// Opens (creating if `create`) the database at `path` and applies the connection
    /// settings from `docs/vault-format.md`.
    init(path: String, create: Bool) throws {
        var db: OpaquePointer?
        var flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE
        if create { flags |= SQLITE_OPEN_CREATE }
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            throw DatabaseError.sqlite(code: rc, message: message, operation: "open")
        }
        handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
        // The busy timeout comes first: even the journal_mode pragma can meet another
        // process's lock (a checkpoint, a rotation), and must wait rather than fail.
        sqlite3_busy_timeout(db, 5000)
        do {
            try execute("""
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = FULL;
                PRAGMA foreign_keys = ON;
                PRAGMA secure_delete = ON;
                PRAGMA trusted_schema = OFF;
                """)
            let mode = try scalarText("PRAGMA journal_mode")
            guard mode == "wal" else {
                throw DatabaseError.sqlite(code: SQLITE_ERROR, message: "journal_mode is \(mode)", operation: "open")
            }
        } catch {
            cache.removeAll()
            sqlite3_close_v2(db)
            throw error
        }
    }

    deinit {
        cache.removeAll()
        if let backgroundCheckpointer {
            sqlite3_wal_hook(handle, nil, nil)
            backgroundCheckpointer.stop()
        }
        sqlite3_close_v2(handle)
    }

    // MARK: - Statements

    /// The cached prepared statement for `sql`.
    func statement(_ sql: String) throws -> Statement {
        if let cached = cache[sql] { return cached }
        let prepared = try Statement(database: self, sql: sql)
        cache[sql] = prepared
        return prepared
    }

    /// Runs one or more statements with no bound values (schema, pragmas).
    func execute(_ sql: String) throws {
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw error(rc, "exec") }
    }

    /// Runs a cached statement with `values`.
    func run(_ sql: String, _ values: [SQLValue] = []) throws {
        try statement(sql).run(values)
    }

    /// The rowid of the last row inserted on this connection.
    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// The rows changed by the last statement.
    var changes: Int { Int(sqlite3_changes64(handle)) }

    func scalarText(_ sql: String) throws -> String {
        try statement(sql).first { $0.text(0) } ?? ""
    }

    func scalarInt(_ sql: String, _ values: [SQLValue] = []) throws -> Int {
        try statement(sql).first(values) { $0.int(0) } ?? 0
    }

    // MARK: - Transactions

    /// Runs `body` in a transaction: committed if it returns, rolled back if it throws.
    /// `BEGIN IMMEDIATE` (the write lock at once) unless `immediate` is false, for reads.
    /// Transactions do not nest.
    func transaction<T>(immediate: Bool = true, _ body: () throws -> T) throws -> T {
        precondition(!inTransaction, "nested transaction")
        try run(immediate ? "BEGIN IMMEDIATE" : "BEGIN")
        inTransaction = true
        defer { inTransaction = false }
        do {
            let result = try body()
            try run("COMMIT")
            return result
        } catch {
            if sqlite3_get_autocommit(handle) == 0 { try? run("ROLLBACK") }
            throw error
        }
    }

    /// Copies the WAL into the database and truncates the WAL to zero bytes, so earlier
    /// page images (of shredded rows, say) do not survive in `-wal`.
    func checkpointTruncate() throws {
        var log: Int32 = 0, done: Int32 = 0
        let rc = sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_TRUNCATE, &log, &done)
        guard rc == SQLITE_OK else { throw error(rc, "wal_checkpoint") }
    }

    // MARK: - Errors

    func error(_ code: Int32, _ operation: String) -> DatabaseError {
        .sqlite(code: code, message: String(cString: sqlite3_errmsg(handle)), operation: operation)
    }
}
