/// The vault's migrations, described column by column in `docs/vault-format.md`.
/// Append only: never edit a released entry.
extension Migrator {
    static let vault = Migrator(migrations: [
        Migration(name: "initial", sql: """
            CREATE TABLE vault_meta (
                singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                format_version INTEGER NOT NULL,
                vault_id BLOB NOT NULL,
                key_check BLOB NOT NULL,
                root_generation INTEGER NOT NULL,
                created_at INTEGER NOT NULL);

            CREATE TABLE agency_key (
                agency TEXT NOT NULL,
                version INTEGER NOT NULL CHECK (version >= 1),
                state TEXT NOT NULL CHECK (state IN ('active', 'decrypt-only', 'destroyed')),
                wrapped BLOB,
                created_at INTEGER NOT NULL,
                destroyed_at INTEGER,
                PRIMARY KEY (agency, version),
                CHECK ((state = 'destroyed') = (wrapped IS NULL))) WITHOUT ROWID;
            CREATE UNIQUE INDEX agency_key_one_active ON agency_key(agency) WHERE state = 'active';

            CREATE TABLE document (
                seq INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                agency TEXT NOT NULL,
                kind TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                erased_at INTEGER);
            CREATE INDEX document_by_agency_kind ON document(agency, kind);

            CREATE TABLE data_key (
                document INTEGER PRIMARY KEY REFERENCES document(seq),
                agency TEXT NOT NULL,
                kek_version INTEGER NOT NULL,
                wrapped BLOB NOT NULL,
                FOREIGN KEY (agency, kek_version) REFERENCES agency_key(agency, version));
            CREATE INDEX data_key_by_version ON data_key(agency, kek_version);

            CREATE TABLE payload (
                document INTEGER PRIMARY KEY REFERENCES document(seq),
                sealed BLOB NOT NULL);

            CREATE TABLE document_meta (
                document INTEGER NOT NULL REFERENCES document(seq),
                key TEXT NOT NULL,
                value TEXT NOT NULL,
                PRIMARY KEY (document, key)) WITHOUT ROWID;
            CREATE INDEX document_meta_by_value ON document_meta(key, value);

            CREATE TABLE subject_index (
                document INTEGER NOT NULL REFERENCES document(seq),
                token BLOB NOT NULL,
                PRIMARY KEY (document, token)) WITHOUT ROWID;
            CREATE INDEX subject_index_by_token ON subject_index(token);

            CREATE TABLE vault_secret (
                name TEXT PRIMARY KEY,
                wrapped BLOB NOT NULL);

            CREATE TABLE signing_key (
                version INTEGER PRIMARY KEY,
                state TEXT NOT NULL CHECK (state IN ('active', 'retired')),
                certificate BLOB NOT NULL,
                wrapped_key BLOB,
                created_at INTEGER NOT NULL,
                retired_at INTEGER,
                CHECK ((state = 'retired') = (wrapped_key IS NULL)));

            CREATE TABLE rotation (
                id INTEGER PRIMARY KEY,
                agency TEXT NOT NULL,
                target_version INTEGER NOT NULL,
                started_at INTEGER NOT NULL,
                completed_at INTEGER,
                rewrapped INTEGER NOT NULL DEFAULT 0);

            CREATE TABLE log_entry (
                seq INTEGER PRIMARY KEY,
                entry BLOB NOT NULL);
            CREATE TRIGGER log_entry_no_update BEFORE UPDATE ON log_entry
                BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
            CREATE TRIGGER log_entry_no_delete BEFORE DELETE ON log_entry
                BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;

            CREATE TABLE log_node (
                level INTEGER NOT NULL,
                idx INTEGER NOT NULL,
                hash BLOB NOT NULL,
                PRIMARY KEY (level, idx)) WITHOUT ROWID;

            CREATE TABLE log_checkpoint (
                size INTEGER PRIMARY KEY,
                note TEXT NOT NULL,
                created_at INTEGER NOT NULL);
            """),
        // Issue 10: checkpoints are append-only like entries; every signing certificate
        // carries a MAC under a root-derived key (filled for existing rows at open).
        Migration(name: "log-integrity", sql: """
            CREATE TRIGGER log_checkpoint_no_update BEFORE UPDATE ON log_checkpoint
                BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
            CREATE TRIGGER log_checkpoint_no_delete BEFORE DELETE ON log_checkpoint
                BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
            ALTER TABLE signing_key ADD COLUMN certificate_mac BLOB;
            CREATE TRIGGER signing_key_certificate_fixed BEFORE UPDATE OF certificate ON signing_key
                BEGIN SELECT RAISE(ABORT, 'a signing certificate never changes'); END;
            """),
        // Issue 10: a MAC over each document's links (time, metadata, subject tokens).
        Migration(name: "document-binding", sql: """
            ALTER TABLE document ADD COLUMN binding BLOB;
            """),
        // Issue 21: the digest of every authenticated application fact, bound to the log's
        // size (docs/vault-format.md, "Authenticated facts").
        Migration(name: "facts", sql: """
            CREATE TABLE vault_fact_state (
                singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                log_size INTEGER NOT NULL,
                digest BLOB NOT NULL,
                mac BLOB NOT NULL);
            """),
    ])
}
