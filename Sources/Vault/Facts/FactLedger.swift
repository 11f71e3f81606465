import Foundation

// How the vault keeps application facts honest (`docs/vault-format.md`, "Authenticated
// facts"): a MAC per row, the sum of them bound to the log's size, every change recorded
// by the log entry of its transaction, and every load of the caches checking it all.

extension AAD {
    /// What a fact row's MAC covers.
    static func fact(table: FactTable, values: [SQLValue], entry: Int) -> AAD {
        var aad = AAD("maracd.v1 fact").string(table.name).u32(table.columns.count)
        for (column, value) in zip(table.columns, values) { aad = aad.string(column).value(value) }
        return aad.u64(entry)
    }

    /// What `vault_fact_state.mac` covers.
    static func factState(logSize: Int, digest: [UInt8]) -> AAD {
        AAD("maracd.v1 fact-state").u64(logSize).data(digest)
    }
}

extension Vault {
    // MARK: - Declaring the tables

    /// Declares `tables` as authenticated facts. With `certifying` (the open that added
    /// their `entry` and `mac` columns, and only that open), every row without a MAC is
    /// certified as it is now, and the entry `certifying` makes of those changes is
    /// logged with them: trust on first use, once. Then every row is checked; a failure is
    /// refused to every later transaction (and named by it).
    public func authenticateFacts(_ tables: [FactTable], certifying: (([FactChange]) throws -> Data)? = nil) throws {
        try locked {
            factTables = tables
            if let certifying {
                try write(checkingFacts: false) {
                    for table in tables { try certifyUnauthenticatedRows(table) }
                    if !pendingFacts.isEmpty {
                        let entry = try certifying(pendingFacts)
                        pendingFacts = []
                        try appendLeaf(entry)
                    }
                }
            }
            try loadState()
        }
    }

    private func certifyUnauthenticatedRows(_ table: FactTable) throws {
        var keys: [[SQLValue]] = []
        let keyColumns = table.key.joined(separator: ", ")
        try db.statement("SELECT \(keyColumns) FROM \(table.name) WHERE mac IS NULL ORDER BY \(keyColumns)").forEach { row in
            keys.append((0..<table.key.count).map { row.value(Int32($0)) })
        }
        for key in keys { try changeFact(table, key: key) {} }
    }

    /// The open that applies the `facts` migration: the digest starts from the rows of
    /// the tables declared so far (none, at open) and the log as it is.
    func startFactDigest() throws {
        facts = FactDigest()
        for table in factTables {
            try db.statement("SELECT mac FROM \(table.name) WHERE mac IS NOT NULL").forEach { facts.add($0.blob(0)) }
        }
        facts.stored = nil
        factProblem = nil  // the state row was missing until now, which is what this open is for
    }

    // MARK: - Changing a fact (callers hold the lock and are in a write transaction)

    /// Runs `body` (the statement that inserts, updates or deletes the row of `table` with
    /// primary key `key`), then authenticates the row as it is now: its MAC, bound to the
    /// index of the next log entry, and the digest. The change is pending until that entry
    /// is appended with it (`VaultTransaction.appendLog(_:recording:)`).
    func changeFact(_ table: FactTable, key: [SQLValue], _ body: () throws -> Void) throws {
        precondition(factTables.contains(table), "\(table.name) is not a declared fact table")
        precondition(key.count == table.key.count, "a fact's key has one value per key column")
        let match = table.key.map { "\($0) = ?" }.joined(separator: " AND ")
        let old = try db.statement("SELECT mac FROM \(table.name) WHERE \(match)").first(key) { $0.optionalBlob(0) }
        try body()
        let columns = table.columns.joined(separator: ", ")
        let row = try db.statement("SELECT \(columns) FROM \(table.name) WHERE \(match)").first(key) { row in
            (0..<table.columns.count).map { row.value(Int32($0)) }
        }
        var mac: [UInt8]?
        if let row {
            let code = try factMAC(creating: true).authenticationCode(for: AAD.fact(table: table, values: row, entry: log.size))
            try db.run("UPDATE \(table.name) SET entry = ?, mac = ? WHERE \(match)", [.integer(Int64(log.size)), .blob(code)] + key)
            facts.add(code)
            mac = code
        }
        if let old = old ?? nil, old.count == 32 { facts.subtract(old) }
        pendingFacts.append(FactChange(table: table.name, key: try factKeyText(table, key), mac: mac))
    }

    /// Before a write commits: every changed fact is recorded by an entry, and the digest
    /// is bound to the log's new size.
    func commitFacts() throws {
        if let unlogged = pendingFacts.first { throw VaultError.unloggedFact("\(unlogged.table)/\(unlogged.key)") }
        if let stored = facts.stored, stored.logSize == log.size, stored.digest == facts.digest { return }
        let mac = try factMAC(creating: true).authenticationCode(for: AAD.factState(logSize: log.size, digest: facts.digest))
        try db.run("INSERT OR REPLACE INTO vault_fact_state (singleton, log_size, digest, mac) VALUES (1, ?, ?, ?)",
                   [.integer(Int64(log.size)), .blob(facts.digest), .blob(mac)])
        facts.stored = (log.size, facts.digest)
    }

    // MARK: - Checking

    /// Loads the digest and checks it, then (once tables are declared) every row; throws
    /// the first failure as `tampered(<table>/<key> | facts | vault_fact_state, .fact)`.
    func loadFacts() throws {
        facts = FactDigest()
        guard let state = try db.statement("SELECT log_size, digest, mac FROM vault_fact_state WHERE singleton = 1")
            .first([], { ($0.int(0), $0.blob(1), $0.blob(2)) }) else {
            // A vault being made has no log and no state yet; anywhere else it was removed.
            guard log.size == 0 else { throw VaultError.tampered(subject: "vault_fact_state", part: .missingRow) }
            return
        }
        guard state.1.count == 32, try factMAC().isValidAuthenticationCode(state.2, for: AAD.factState(logSize: state.0, digest: state.1)),
              state.0 == log.size else {
            throw VaultError.tampered(subject: "vault_fact_state", part: .fact)
        }
        facts = FactDigest(digest: state.1, stored: (state.0, state.1))
        guard !factTables.isEmpty else { return }
        var sum = FactDigest()
        for table in factTables {
            let columns = (table.columns + ["entry", "mac"]).joined(separator: ", ")
            try db.statement("SELECT \(columns) FROM \(table.name)").forEach { row in
                let values = (0..<table.columns.count).map { row.value(Int32($0)) }
                let n = Int32(table.columns.count)
                guard case let .integer(entry) = row.value(n), entry >= 0, entry < log.size, let mac = row.optionalBlob(n + 1),
                      try factMAC().isValidAuthenticationCode(mac, for: AAD.fact(table: table, values: values, entry: Int(entry))) else {
                    let key = try factKeyText(table, table.key.map { values[table.columns.firstIndex(of: $0)!] })
                    throw VaultError.tampered(subject: "\(table.name)/\(key)", part: .fact)
                }
                sum.add(mac)
            }
        }
        guard constantTimeEquals(sum.digest, facts.digest) else { throw VaultError.tampered(subject: "facts", part: .fact) }
    }

    /// How a row's key is written in the log, in errors and in the daemon's log: its values
    /// joined by `/`, a personal column (`FactTable.personal`) as `~` and 16 hex digits of
    /// an HMAC under the fact key: stable, so the log's replay still matches rows, and no
    /// name for anyone without the root key.
    func factKeyText(_ table: FactTable, _ values: [SQLValue]) throws -> String {
        try zip(table.key, values).map { column, value -> String in
            switch value {
            case let .text(text):
                guard table.personal.contains(column) else { return text }
                return "~" + Hex.encode(Array(try factMAC(creating: true).authenticationCode(for: AAD("maracd.v1 fact-key").string(text)).prefix(8)))
            case let .integer(number): return String(number)
            case let .blob(bytes): return Hex.encode(bytes)
            case .null: return "-"
            }
        }.joined(separator: "/")
    }

    /// The fact HMAC, from the application-records secret.
    func factMAC(creating: Bool = false) throws -> HMACSHA256 {
        if let factKey { return factKey }
        let mac = try HMACSHA256(key: applicationKey(info: "maracd.v1 fact", creating: creating))
        factKey = mac
        return mac
    }

    // MARK: - For the verifier

    /// Checks the facts again now; throws what a transaction would be refused with.
    public func checkFacts() throws {
        try locked {
            try snapshot(checkingFacts: false) { try loadFacts() }
        }
    }

    /// Every authenticated row as stored (its key, entry and MAC), unchecked: what the
    /// log's replay is compared with, row by row.
    public func factRows() throws -> [FactRow] {
        try locked {
            try snapshot(checkingFacts: false) {
                var rows: [FactRow] = []
                for table in factTables {
                    let columns = (table.key + ["entry", "mac"]).joined(separator: ", ")
                    try db.statement("SELECT \(columns) FROM \(table.name) ORDER BY \(table.key.joined(separator: ", "))").forEach { row in
                        let n = Int32(table.key.count)
                        rows.append(FactRow(table: table.name, key: try factKeyText(table, (0..<n).map { row.value($0) }),
                                            entry: row.value(n).integer.map(Int.init), mac: row.optionalBlob(n + 1)))
                    }
                }
                return rows
            }
        }
    }
}
