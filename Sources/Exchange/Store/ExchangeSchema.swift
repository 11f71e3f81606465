import Vault

/// Exchange's tables in the vault database (namespace `exchange`, prefix `x_`),
/// described column by column in `docs/exchange-format.md`. Append only.
enum ExchangeSchema {
    static let namespace = "exchange"

    static let migrations = [
        ApplicationMigration(name: "agencies-cases", sql: """
            CREATE TABLE x_agency (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN ('police', 'probation', 'health', 'childrens-services', 'housing', 'idva',
                    'mental-health', 'substance-misuse', 'education', 'adult-social-care', 'other')),
                certificate BLOB,
                active INTEGER NOT NULL CHECK (active IN (0, 1)),
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL) WITHOUT ROWID;
            CREATE UNIQUE INDEX x_agency_one_active_idva ON x_agency(kind) WHERE kind = 'idva' AND active = 1;

            CREATE TABLE x_case_sequence (
                prefix TEXT NOT NULL,
                year INTEGER NOT NULL,
                last INTEGER NOT NULL,
                PRIMARY KEY (prefix, year)) WITHOUT ROWID;

            CREATE TABLE x_case (
                number TEXT PRIMARY KEY,
                prefix TEXT NOT NULL,
                year INTEGER NOT NULL,
                sequence INTEGER NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
                received_on TEXT NOT NULL,
                referral TEXT NOT NULL UNIQUE,
                referring_agency TEXT NOT NULL REFERENCES x_agency(id),
                agency_kind TEXT NOT NULL,
                repeat_of TEXT REFERENCES x_case(number),
                repeat_ticked INTEGER NOT NULL CHECK (repeat_ticked IN (0, 1)),
                repeat_checked INTEGER NOT NULL CHECK (repeat_checked IN (0, 1)),
                dash_yes INTEGER,
                latest_meeting TEXT,
                flag_until TEXT,
                facts BLOB NOT NULL,
                closed_at INTEGER,
                UNIQUE (prefix, year, sequence)) WITHOUT ROWID;
            CREATE INDEX x_case_by_received ON x_case(received_on);

            CREATE TABLE x_attachment (
                document TEXT PRIMARY KEY,
                case_number TEXT REFERENCES x_case(number),
                kind TEXT NOT NULL CHECK (kind IN ('research', 'iswc')),
                agency TEXT NOT NULL REFERENCES x_agency(id),
                received_on TEXT NOT NULL) WITHOUT ROWID;
            CREATE INDEX x_attachment_by_case ON x_attachment(case_number);

            CREATE TABLE x_submission (
                agency TEXT NOT NULL,
                digest BLOB NOT NULL,
                document TEXT NOT NULL UNIQUE,
                received_at INTEGER NOT NULL,
                PRIMARY KEY (agency, digest)) WITHOUT ROWID;
            """),
        ApplicationMigration(name: "quarantine", sql: """
            CREATE TABLE x_rejection (
                agency TEXT NOT NULL,
                digest BLOB NOT NULL,
                document TEXT NOT NULL UNIQUE,
                reason TEXT NOT NULL,
                problems TEXT NOT NULL,
                received_at INTEGER NOT NULL,
                PRIMARY KEY (agency, digest)) WITHOUT ROWID;
            """),
        ApplicationMigration(name: "meetings", sql: """
            CREATE TABLE x_meeting (
                id TEXT PRIMARY KEY,
                date TEXT NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('scheduled', 'agenda-issued', 'in-session', 'closed')),
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL) WITHOUT ROWID;

            CREATE TABLE x_invitation (
                meeting TEXT NOT NULL REFERENCES x_meeting(id),
                agency TEXT NOT NULL REFERENCES x_agency(id),
                invited_at INTEGER NOT NULL,
                PRIMARY KEY (meeting, agency)) WITHOUT ROWID;

            CREATE TABLE x_agenda (
                meeting TEXT NOT NULL REFERENCES x_meeting(id),
                case_number TEXT NOT NULL REFERENCES x_case(number),
                added_at INTEGER NOT NULL,
                PRIMARY KEY (meeting, case_number)) WITHOUT ROWID;
            CREATE INDEX x_agenda_by_case ON x_agenda(case_number);

            CREATE TABLE x_declaration (
                meeting TEXT NOT NULL REFERENCES x_meeting(id),
                agency TEXT NOT NULL REFERENCES x_agency(id),
                person TEXT NOT NULL,
                recorded_by TEXT NOT NULL,
                statement_sha256 BLOB NOT NULL,
                declared_at INTEGER NOT NULL,
                PRIMARY KEY (meeting, agency, person)) WITHOUT ROWID;
            """),
        // Agenda and meeting packs (docs/packs.md): recorded before their documents are
        // read; the SHA-256 of the file once it is written; when a meeting pack's
        // revocation notice was issued.
        ApplicationMigration(name: "packs", sql: """
            CREATE TABLE x_pack (
                meeting TEXT NOT NULL REFERENCES x_meeting(id),
                kind TEXT NOT NULL CHECK (kind IN ('agenda', 'meeting')),
                agency TEXT NOT NULL REFERENCES x_agency(id),
                version INTEGER NOT NULL CHECK (version >= 1),
                issued_at INTEGER NOT NULL,
                issued_by TEXT NOT NULL,
                sha256 BLOB,
                revoked_at INTEGER,
                PRIMARY KEY (meeting, kind, agency, version)) WITHOUT ROWID;
            """),
        // Case exports waiting for, or given, the approval of the agencies whose documents
        // they hold (docs/packs.md, "Signed export"); a request is used once.
        ApplicationMigration(name: "exports", sql: """
            CREATE TABLE x_export_request (
                id TEXT PRIMARY KEY,
                case_number TEXT NOT NULL REFERENCES x_case(number),
                requester TEXT NOT NULL,
                requester_uid INTEGER NOT NULL,
                requester_agency TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                used_at INTEGER) WITHOUT ROWID;
            CREATE TABLE x_export_approval (
                request TEXT NOT NULL REFERENCES x_export_request(id),
                agency TEXT NOT NULL REFERENCES x_agency(id),
                approved_by TEXT,
                approved_at INTEGER,
                PRIMARY KEY (request, agency)) WITHOUT ROWID;
            """),
        // Legal holds: a held case's documents are kept past their retention (docs/retention.md).
        ApplicationMigration(name: "holds", sql: """
            CREATE TABLE x_hold (
                case_number TEXT PRIMARY KEY REFERENCES x_case(number),
                held_by TEXT NOT NULL,
                held_at INTEGER NOT NULL) WITHOUT ROWID;
            """),
        // Rectification: a corrected form supersedes an earlier one of the same agency, kind
        // and case; the earlier is kept for the audit trail until its retention ends.
        ApplicationMigration(name: "supersession", sql: """
            CREATE TABLE x_supersession (
                old TEXT PRIMARY KEY,
                new TEXT NOT NULL UNIQUE,
                kind TEXT NOT NULL CHECK (kind IN ('referral', 'research', 'iswc')),
                agency TEXT NOT NULL REFERENCES x_agency(id),
                case_number TEXT,
                superseded_at INTEGER NOT NULL) WITHOUT ROWID;
            """),
        // Authenticated facts (issue 21; docs/vault-format.md and docs/exchange-format.md,
        // "Authenticated facts"): each row carries the log entry that recorded it and a MAC.
        ApplicationMigration(name: "fact-macs", sql: """
            ALTER TABLE x_agency ADD COLUMN entry INTEGER;
            ALTER TABLE x_agency ADD COLUMN mac BLOB;
            ALTER TABLE x_meeting ADD COLUMN entry INTEGER;
            ALTER TABLE x_meeting ADD COLUMN mac BLOB;
            ALTER TABLE x_invitation ADD COLUMN entry INTEGER;
            ALTER TABLE x_invitation ADD COLUMN mac BLOB;
            ALTER TABLE x_agenda ADD COLUMN entry INTEGER;
            ALTER TABLE x_agenda ADD COLUMN mac BLOB;
            ALTER TABLE x_declaration ADD COLUMN entry INTEGER;
            ALTER TABLE x_declaration ADD COLUMN mac BLOB;
            ALTER TABLE x_pack ADD COLUMN entry INTEGER;
            ALTER TABLE x_pack ADD COLUMN mac BLOB;
            ALTER TABLE x_export_request ADD COLUMN entry INTEGER;
            ALTER TABLE x_export_request ADD COLUMN mac BLOB;
            ALTER TABLE x_export_approval ADD COLUMN entry INTEGER;
            ALTER TABLE x_export_approval ADD COLUMN mac BLOB;
            ALTER TABLE x_hold ADD COLUMN entry INTEGER;
            ALTER TABLE x_hold ADD COLUMN mac BLOB;
            ALTER TABLE x_supersession ADD COLUMN entry INTEGER;
            ALTER TABLE x_supersession ADD COLUMN mac BLOB;

            """),
        // What closing a meeting still has to do in each invited agency's outbox (issue 22;
        // docs/packs.md, "Revocation notice"): made in the transaction that closes the meeting,
        // each column set once its file work is done and synced.
        ApplicationMigration(name: "closing", sql: """
            CREATE TABLE x_closing (
                meeting TEXT NOT NULL REFERENCES x_meeting(id),
                agency TEXT NOT NULL REFERENCES x_agency(id),
                notice_due INTEGER NOT NULL CHECK (notice_due IN (0, 1)),
                notice_written_at INTEGER,
                packs_removed_at INTEGER,
                entry INTEGER,
                mac BLOB,
                PRIMARY KEY (meeting, agency)) WITHOUT ROWID;
            """),
        // After the meeting (issue 23; docs/actions.md, docs/packs.md): each action with its
        // owner, due date and status; the chair, observers and apologies; every document the
        // minutes are made of; and x_pack rebuilt to take minutes packs (SQLite cannot alter
        // a CHECK; the rows, their MACs and entries are copied as they are).
        ApplicationMigration(name: "actions", sql: """
            CREATE TABLE x_action (
                id TEXT PRIMARY KEY,
                meeting TEXT NOT NULL REFERENCES x_meeting(id),
                case_number TEXT NOT NULL REFERENCES x_case(number),
                owner TEXT NOT NULL REFERENCES x_agency(id),
                due TEXT NOT NULL,
                risk TEXT NOT NULL CHECK (risk IN ('victim', 'children', 'perpetrator', 'staff')),
                status TEXT NOT NULL CHECK (status IN ('open', 'in-progress', 'done', 'not-possible', 'blocked-by-changed-circumstances')),
                status_on TEXT NOT NULL,
                document TEXT NOT NULL,
                recorded_by TEXT NOT NULL,
                recorded_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                entry INTEGER,
                mac BLOB) WITHOUT ROWID;
            CREATE INDEX x_action_by_case ON x_action(case_number);
            CREATE INDEX x_action_by_meeting ON x_action(meeting);

            CREATE TABLE x_attendance (
                meeting TEXT NOT NULL REFERENCES x_meeting(id),
                agency TEXT NOT NULL REFERENCES x_agency(id),
                person TEXT NOT NULL,
                role TEXT NOT NULL CHECK (role IN ('chair', 'observer', 'apology')),
                declared INTEGER NOT NULL CHECK (declared IN (0, 1)),
                research_sent INTEGER NOT NULL CHECK (research_sent IN (0, 1)),
                recorded_by TEXT NOT NULL,
                recorded_at INTEGER NOT NULL,
                entry INTEGER,
                mac BLOB,
                PRIMARY KEY (meeting, agency, person)) WITHOUT ROWID;

            CREATE TABLE x_minute (
                document TEXT PRIMARY KEY,
                meeting TEXT NOT NULL REFERENCES x_meeting(id),
                case_number TEXT NOT NULL REFERENCES x_case(number),
                kind TEXT NOT NULL CHECK (kind IN ('action', 'plan', 'action-update')),
                part TEXT NOT NULL,
                agency TEXT NOT NULL REFERENCES x_agency(id),
                recorded_at INTEGER NOT NULL,
                entry INTEGER,
                mac BLOB) WITHOUT ROWID;
            CREATE INDEX x_minute_by_case ON x_minute(case_number);
            CREATE INDEX x_minute_by_meeting ON x_minute(meeting, case_number);

            CREATE TABLE x_pack_minutes (
                meeting TEXT NOT NULL REFERENCES x_meeting(id),
                kind TEXT NOT NULL CHECK (kind IN ('agenda', 'meeting', 'minutes')),
                agency TEXT NOT NULL REFERENCES x_agency(id),
                version INTEGER NOT NULL CHECK (version >= 1),
                issued_at INTEGER NOT NULL,
                issued_by TEXT NOT NULL,
                sha256 BLOB,
                revoked_at INTEGER,
                entry INTEGER,
                mac BLOB,
                PRIMARY KEY (meeting, kind, agency, version)) WITHOUT ROWID;
            CREATE TABLE x_overdue_notice (
                agency TEXT NOT NULL REFERENCES x_agency(id),
                day TEXT NOT NULL,
                actions INTEGER NOT NULL,
                recorded_at INTEGER NOT NULL,
                written_at INTEGER,
                PRIMARY KEY (agency, day)) WITHOUT ROWID;

            INSERT INTO x_pack_minutes (meeting, kind, agency, version, issued_at, issued_by, sha256, revoked_at, entry, mac)
                SELECT meeting, kind, agency, version, issued_at, issued_by, sha256, revoked_at, entry, mac FROM x_pack;
            DROP TABLE x_pack;
            ALTER TABLE x_pack_minutes RENAME TO x_pack;
            """),
        // Cancelled meetings (issue 24; docs/access.md, "Corrections"): a meeting cancelled
        // or rescheduled while scheduled leaves x_meeting, and its id, date and reason stay
        // here, so no other meeting is given its id.
        ApplicationMigration(name: "cancellations", sql: """
            CREATE TABLE x_cancellation (
                meeting TEXT PRIMARY KEY,
                date TEXT NOT NULL,
                reason TEXT NOT NULL,
                replaced_by TEXT,
                cancelled_by TEXT NOT NULL,
                cancelled_at INTEGER NOT NULL,
                entry INTEGER,
                mac BLOB) WITHOUT ROWID;
            """),
        // What an export request is for (issue 24; docs/packs.md, "Signed export"): its
        // bases, reason and documents, shown to the agencies asked to approve it. A request
        // made before this has none, and is never matched again: asking anew makes one.
        ApplicationMigration(name: "export-purposes", sql: """
            CREATE TABLE x_export_purpose (
                request TEXT PRIMARY KEY REFERENCES x_export_request(id),
                bases TEXT NOT NULL,
                reason TEXT NOT NULL,
                documents TEXT NOT NULL,
                entry INTEGER,
                mac BLOB) WITHOUT ROWID;
            """),
    ]

    /// The tables whose rows decide who may read what and who receives a pack: each row
    /// authenticated by the vault, every change recorded by a log entry, every column
    /// covered, in the order given.
    static let facts = [
        FactTable("x_agency", key: ["id"], columns: ["id", "name", "kind", "certificate", "active", "created_at", "updated_at"]),
        FactTable("x_meeting", key: ["id"], columns: ["id", "date", "state", "created_at", "updated_at"]),
        FactTable("x_invitation", key: ["meeting", "agency"], columns: ["meeting", "agency", "invited_at"]),
        FactTable("x_agenda", key: ["meeting", "case_number"], columns: ["meeting", "case_number", "added_at"]),
        FactTable("x_declaration", key: ["meeting", "agency", "person"],
                  columns: ["meeting", "agency", "person", "recorded_by", "statement_sha256", "declared_at"], personal: ["person"]),
        FactTable("x_pack", key: ["meeting", "kind", "agency", "version"],
                  columns: ["meeting", "kind", "agency", "version", "issued_at", "issued_by", "sha256", "revoked_at"]),
        FactTable("x_export_request", key: ["id"],
                  columns: ["id", "case_number", "requester", "requester_uid", "requester_agency", "created_at", "used_at"]),
        FactTable("x_export_approval", key: ["request", "agency"], columns: ["request", "agency", "approved_by", "approved_at"]),
        FactTable("x_hold", key: ["case_number"], columns: ["case_number", "held_by", "held_at"]),
        FactTable("x_supersession", key: ["old"], columns: ["old", "new", "kind", "agency", "case_number", "superseded_at"]),
        FactTable("x_closing", key: ["meeting", "agency"],
                  columns: ["meeting", "agency", "notice_due", "notice_written_at", "packs_removed_at"]),
        FactTable("x_action", key: ["id"], columns: ["id", "meeting", "case_number", "owner", "due", "risk", "status", "status_on",
                                                     "document", "recorded_by", "recorded_at", "updated_at"]),
        FactTable("x_attendance", key: ["meeting", "agency", "person"],
                  columns: ["meeting", "agency", "person", "role", "declared", "research_sent", "recorded_by", "recorded_at"],
                  personal: ["person"]),
        FactTable("x_minute", key: ["document"], columns: ["document", "meeting", "case_number", "kind", "part", "agency", "recorded_at"]),
        FactTable("x_export_purpose", key: ["request"], columns: ["request", "bases", "reason", "documents"]),
        FactTable("x_cancellation", key: ["meeting"], columns: ["meeting", "date", "reason", "replaced_by", "cancelled_by", "cancelled_at"]),
    ]

    /// The fact table called `name` (a programming error if there is none).
    static func fact(_ name: String) -> FactTable {
        guard let table = facts.first(where: { $0.name == name }) else { preconditionFailure("no fact table \(name)") }
        return table
    }
}

// MARK: - Writing facts

extension VaultTransaction {
    /// Runs `sql` with `values`, a change to the row of fact table `table` with primary key
    /// `key`, and authenticates the row as it then is; the next entry appended records it.
    func changeFact(_ table: String, _ key: [SQLValue], _ sql: String, _ values: [SQLValue]) throws {
        try changeFact(ExchangeSchema.fact(table), key: key) { try execute(sql, values) }
    }
}

// MARK: - Reading rows

extension Array where Element == SQLValue {
    func text(_ i: Int, _ what: String) throws -> String {
        guard let v = self[i].text else { throw ExchangeError.corruptRow(what) }
        return v
    }

    func optionalText(_ i: Int) -> String? { self[i].text }

    func int(_ i: Int, _ what: String) throws -> Int {
        guard let v = self[i].integer else { throw ExchangeError.corruptRow(what) }
        return Int(v)
    }

    func optionalInt(_ i: Int) -> Int? { self[i].integer.map(Int.init) }
}
