import Foundation

/// Named, append-only schema migrations. A migration, once released, is never edited or
/// removed: the schema changes by appending a new one.
///
/// The vault's own migrations are recorded in `schema_migration`; an application's (the
/// Exchange module's tables, say) in `application_migration` under its namespace, so the
/// two sequences never interleave.
struct Migrator {
    struct Migration {
        let name: String
        let sql: String
    }

    let migrations: [Migration]
    /// nil for the vault's own schema; otherwise the application's namespace.
    var namespace: String? = nil

    /// Applies every migration the database lacks, each in its own transaction followed by
    /// a foreign-key check; refuses a database whose applied names are not a prefix of ours.
    /// Returns the names of the migrations applied by this call.
    @discardableResult
    func migrate(_ db: Database) throws -> [String] {
        let table = namespace == nil ? "schema_migration" : "application_migration"
        let scope = namespace == nil ? "" : " WHERE namespace = ?"
        let scopeValues: [SQLValue] = namespace.map { [.text($0)] } ?? []
        try db.execute(namespace == nil ? """
            CREATE TABLE IF NOT EXISTS schema_migration (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)
            """ : """
            CREATE TABLE IF NOT EXISTS application_migration (
                namespace TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL,
                applied_at INTEGER NOT NULL, PRIMARY KEY (namespace, version)) WITHOUT ROWID
            """)
        var applied: [String] = []
        try db.statement("SELECT name FROM \(table)\(scope) ORDER BY version").forEach(scopeValues) { applied.append($0.text(0)) }
        let owner = namespace.map { "\($0) " } ?? ""
        guard applied.count <= migrations.count else {
            throw DatabaseError.unknownSchema("database has \(applied.count) \(owner)migrations, this build knows \(migrations.count)")
        }
        for (index, name) in applied.enumerated() where migrations[index].name != name {
            throw DatabaseError.unknownSchema("\(owner)migration \(index + 1) is \"\(name)\", expected \"\(migrations[index].name)\"")
        }
        var appliedNow: [String] = []
        for index in applied.count..<migrations.count {
            let migration = migrations[index]
            appliedNow.append(migration.name)
            try db.transaction {
                try db.execute(migration.sql)
                let now = SQLValue.integer(Int64(Date().timeIntervalSince1970))
                if let namespace {
                    try db.run("INSERT INTO application_migration (namespace, version, name, applied_at) VALUES (?, ?, ?, ?)",
                               [.text(namespace), .integer(Int64(index + 1)), .text(migration.name), now])
                } else {
                    try db.run("INSERT INTO schema_migration (version, name, applied_at) VALUES (?, ?, ?)",
                               [.integer(Int64(index + 1)), .text(migration.name), now])
                }
                var violations = 0
                try db.statement("PRAGMA foreign_key_check").forEach { _ in violations += 1 }
                guard violations == 0 else {
                    throw DatabaseError.unknownSchema("migration \(migration.name) leaves \(violations) foreign-key violations")
                }
            }
        }
        return appliedNow
    }
}
