import Foundation

/// Named, append-only schema migrations. A migration, once released, is never edited or
/// removed: the schema changes by appending a new one.
struct Migrator {
    struct Migration {
        let name: String
        let sql: String
    }

    let migrations: [Migration]

    /// Applies every migration the database lacks, each in its own transaction followed by
    /// a foreign-key check; refuses a database whose applied names are not a prefix of ours.
    func migrate(_ db: Database) throws {
        try db.execute("""
            CREATE TABLE IF NOT EXISTS schema_migration (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)
            """)
        var applied: [String] = []
        try db.statement("SELECT name FROM schema_migration ORDER BY version").forEach { applied.append($0.text(0)) }
        guard applied.count <= migrations.count else {
            throw DatabaseError.unknownSchema("database has \(applied.count) migrations, this build knows \(migrations.count)")
        }
        for (index, name) in applied.enumerated() where migrations[index].name != name {
            throw DatabaseError.unknownSchema("migration \(index + 1) is \"\(name)\", expected \"\(migrations[index].name)\"")
        }
        for index in applied.count..<migrations.count {
            let migration = migrations[index]
            try db.transaction {
                try db.execute(migration.sql)
                try db.run("INSERT INTO schema_migration (version, name, applied_at) VALUES (?, ?, ?)",
                           [.integer(Int64(index + 1)), .text(migration.name), .integer(Int64(Date().timeIntervalSince1970))])
                var violations = 0
                try db.statement("PRAGMA foreign_key_check").forEach { _ in violations += 1 }
                guard violations == 0 else {
                    throw DatabaseError.unknownSchema("migration \(migration.name) leaves \(violations) foreign-key violations")
                }
            }
        }
    }
}
