import Foundation

/// One agency's keys, for `maracctl key status`.
public struct AgencyKeyStatus: Equatable, Sendable {
    /// The agency.
    public let agency: String
    /// The version new documents use.
    public let activeVersion: Int
    /// The lowest version still able to decrypt (older ones are destroyed).
    public let minimumDecryptionVersion: Int
    /// Live DEKs per KEK version.
    public let dataKeysByVersion: [Int: Int]
    /// Whether a rotation is waiting for its rewrap to finish.
    public let rewrapPending: Bool
}

/// What became of the root key file in a rotation.
public enum RootKeyFileOutcome: Sendable, Equatable {
    /// The new key replaced the key file (through `<file>.next`).
    case replaced
    /// The key file is read-only (a credential): the new key must be installed in its place.
    case keyFileNotWritten
}

/// Progress of a rewrap run.
public struct RewrapProgress: Equatable, Sendable {
    /// DEKs rewrapped by this call.
    public var rewrapped = 0
    /// Whether every DEK is now under the target and the old versions are destroyed.
    public var completed = false
}

extension Vault {
    // MARK: - Agency KEK rotation

    /// Creates a new KEK version for `agency`, used at once for new documents; the old
    /// one becomes decrypt-only until `rewrap` moves its DEKs. Returns the new version.
    @discardableResult
    public func rotateAgencyKey(_ agency: String, recording record: KeyEventRecorder) throws -> Int {
        try Label.validate(agency, field: "agency")
        return try locked {
            try write {
                guard let current = try db.statement("SELECT version FROM agency_key WHERE agency = ? AND state = 'active'")
                    .first([.text(agency)], { $0.int(0) }) else {
                    throw VaultError.rotationRefused("agency \(agency) has no key yet")
                }
                try db.run("UPDATE agency_key SET state = 'decrypt-only' WHERE agency = ? AND version = ?",
                           [.text(agency), .integer(Int64(current))])
                try insertAgencyKey(agency, version: current + 1)
                try db.run("UPDATE rotation SET completed_at = ? WHERE agency = ? AND completed_at IS NULL", [now, .text(agency)])
                try db.run("INSERT INTO rotation (agency, target_version, started_at) VALUES (?, ?, ?)",
                           [.text(agency), .integer(Int64(current + 1)), now])
                try appendKeyEvent("key-rotate", ["agency": agency, "from": String(current), "to": String(current + 1)], record)
                agencyKeys.active[agency] = current + 1
                return current + 1
            }
        }
    }

    /// Moves `agency`'s DEKs to its active KEK in batches of `batchSize`, one transaction
    /// each (payloads untouched), sleeping `pause` between batches so an online vault
    /// keeps serving. When none is left, destroys the older versions in the same
    /// transaction as the last batch. Safe to interrupt at any point and call again.
    @discardableResult
    public func rewrap(agency: String, batchSize: Int = 2_000, pause: TimeInterval = 0,
                       progress report: (RewrapProgress) -> Void = { _ in }, recording record: KeyEventRecorder) throws -> RewrapProgress {
        precondition(batchSize > 0)
        var progress = RewrapProgress()
        while !progress.completed {
            let count = try locked { try write { try rewrapBatch(agency: agency, limit: batchSize, record) } }
            progress.rewrapped += count.rewrapped
            progress.completed = count.completed
            report(progress)
            if !progress.completed && pause > 0 { Thread.sleep(forTimeInterval: pause) }
        }
        return progress
    }

    private func rewrapBatch(agency: String, limit: Int, _ record: KeyEventRecorder) throws -> (rewrapped: Int, completed: Bool) {
        let (target, targetKey) = try activeAgencyKey(agency)
        var rows: [(seq: Int64, id: String, kind: String, version: Int, wrapped: [UInt8])] = []
        try db.statement("""
            SELECT k.document, d.id, d.kind, k.kek_version, k.wrapped FROM data_key k JOIN document d ON d.seq = k.document
            WHERE k.agency = ? AND k.kek_version < ? LIMIT ?
            """).forEach([.text(agency), .integer(Int64(target)), .integer(Int64(limit))]) {
            rows.append(($0.int64(0), $0.text(1), $0.text(2), $0.int(3), $0.blob(4)))
        }
        let update = try db.statement("UPDATE data_key SET kek_version = ?, wrapped = ? WHERE document = ?")
        for row in rows {
            let dek = try RootDerivedKeys.unwrap(row.wrapped, with: try agencyKey(agency, version: row.version),
                                                 aad: .dataKey(id: row.id, agency: agency, kind: row.kind, kekVersion: row.version),
                                                 subject: row.id, part: .dataKey)
            let wrapped = try targetKey.seal(dek, authenticating:
                AAD.dataKey(id: row.id, agency: agency, kind: row.kind, kekVersion: target))
            try update.run([.integer(Int64(target)), .blob(wrapped), .integer(row.seq)])
        }
        try db.run("UPDATE rotation SET rewrapped = rewrapped + ? WHERE agency = ? AND completed_at IS NULL",
                   [.integer(Int64(rows.count)), .text(agency)])
        guard rows.count < limit else { return (rows.count, false) }
        try destroyUnusedVersions(agency: agency, below: target, record)
        return (rows.count, true)
    }

    private func destroyUnusedVersions(agency: String, below target: Int, _ record: KeyEventRecorder) throws {
        var versions: [Int] = []
        try db.statement("""
            SELECT version FROM agency_key a WHERE agency = ? AND version < ? AND state = 'decrypt-only'
            AND NOT EXISTS (SELECT 1 FROM data_key k WHERE k.agency = a.agency AND k.kek_version = a.version)
            """).forEach([.text(agency), .integer(Int64(target))]) { versions.append($0.int(0)) }
        for version in versions {
            shredding = true
            try db.run("UPDATE agency_key SET state = 'destroyed', wrapped = NULL, destroyed_at = ? WHERE agency = ? AND version = ?",
                       [now, .text(agency), .integer(Int64(version))])
            agencyKeys.keys[agency]?[version] = nil
            try appendKeyEvent("key-destroy", ["agency": agency, "version": String(version)], record)
        }
        try db.run("UPDATE rotation SET completed_at = ? WHERE agency = ? AND completed_at IS NULL", [now, .text(agency)])
    }

    /// Finishes every rotation whose rewrap was interrupted; the daemon calls it at start.
    /// Returns the agencies it completed.
    @discardableResult
    public func resumeRotations(batchSize: Int = 2_000, pause: TimeInterval = 0, recording record: KeyEventRecorder) throws -> [String] {
        var agencies: [String] = []
        try locked {
            try db.statement("SELECT DISTINCT agency FROM rotation WHERE completed_at IS NULL ORDER BY agency").forEach {
                agencies.append($0.text(0))
            }
        }
        for agency in agencies { try rewrap(agency: agency, batchSize: batchSize, pause: pause, recording: record) }
        return agencies
    }

    /// Every agency's key versions and DEK counts.
    public func keyStatus() throws -> [AgencyKeyStatus] {
        try locked {
            var agencies: [String: (active: Int, minimum: Int)] = [:]
            try db.statement("SELECT agency, MAX(CASE WHEN state = 'active' THEN version END), MIN(CASE WHEN state != 'destroyed' THEN version END) FROM agency_key GROUP BY agency")
                .forEach { agencies[$0.text(0)] = ($0.int(1), $0.int(2)) }
            var counts: [String: [Int: Int]] = [:]
            try db.statement("SELECT agency, kek_version, COUNT(*) FROM data_key GROUP BY agency, kek_version")
                .forEach { counts[$0.text(0), default: [:]][$0.int(1)] = $0.int(2) }
            var pending = Set<String>()
            try db.statement("SELECT agency FROM rotation WHERE completed_at IS NULL").forEach { pending.insert($0.text(0)) }
            return agencies.keys.sorted().map { agency in
                AgencyKeyStatus(agency: agency, activeVersion: agencies[agency]!.active,
                                minimumDecryptionVersion: agencies[agency]!.minimum,
                                dataKeysByVersion: counts[agency] ?? [:], rewrapPending: pending.contains(agency))
            }
        }
    }

    // MARK: - Root key rotation

    /// Replaces the root key (`docs/vault-format.md`, "Rotation"): the new key is written
    /// to `<key file>.next`, every KEK, vault secret and the active signing key are
    /// re-sealed under it with the new key-check value in one transaction, then the file
    /// is renamed into place. An interruption at any step is finished by the next open.
    ///
    /// Refused with `busy` while another process (the daemon) holds the daemon lock: its
    /// keys derived from the old root would go stale, and every write it made afterwards
    /// would fail. The rotation holds the lock itself, so the daemon cannot start meanwhile.
    ///
    /// The daemon rotates online with `to`, the key its key custodian generated (and keeps,
    /// as the file to install and escrow). Where the daemon's key file cannot be written (a
    /// systemd credential, read-only), the vault is re-sealed all the same and the result is
    /// `.keyFileNotWritten`: the vault opens from then on with the new key only, which must
    /// be installed as the credential before the daemon next starts.
    @discardableResult
    public func rotateRootKey(to given: RootKey? = nil, recording record: KeyEventRecorder) throws -> RootKeyFileOutcome {
        try locked {
            let lock: DaemonLock?
            if daemonLock == nil {
                guard let taken = try DaemonLock(stateDirectory: stateDirectory) else {
                    throw VaultError.busy("the daemon holds \(stateDirectory): stop it (systemctl stop maracd) before rotating the root key")
                }
                lock = taken
            } else {
                lock = nil
            }
            defer { withExtendedLifetime(lock) {} }
            let newRoot = try given ?? RootKey.generate()
            let next = RootKeyFile.nextPath(rootKeyPath)
            unlink(next)
            var outcome = RootKeyFileOutcome.replaced
            do {
                try newRoot.write(to: next)
            } catch VaultError.io(_, let code) where given != nil && [EROFS, EACCES, EPERM].contains(code) {
                outcome = .keyFileNotWritten
            }
            let newKeys = try RootDerivedKeys(root: newRoot, vaultID: vaultID)
            try write {
                shredding = true  // the KEKs sealed under the old root
                try resealAll(under: newKeys)
                try db.run("UPDATE vault_meta SET key_check = ?, root_generation = root_generation + 1 WHERE singleton = 1",
                           [.blob(newKeys.keyCheck.nonSecretCopy)])
                let generation = try db.scalarInt("SELECT root_generation FROM vault_meta")
                try appendKeyEvent("root-rotate", ["generation": String(generation)], record)
            }
            derived = newKeys
            if outcome == .replaced { try RootKeyFile.commit(path: rootKeyPath) }
            return outcome
        }
    }

    private func resealAll(under newKeys: RootDerivedKeys) throws {
        var keks: [(String, Int, [UInt8])] = []
        try db.statement("SELECT agency, version, wrapped FROM agency_key WHERE state != 'destroyed'")
            .forEach { keks.append(($0.text(0), $0.int(1), $0.blob(2))) }
        for (agency, version, wrapped) in keks {
            let aad = AAD.agencyKey(agency: agency, version: version)
            let kek = try RootDerivedKeys.unwrap(wrapped, with: derived.agencyKeys, aad: aad, subject: agency, part: .agencyKey)
            try db.run("UPDATE agency_key SET wrapped = ? WHERE agency = ? AND version = ?",
                       [.blob(try newKeys.agencyKeys.seal(kek, authenticating: aad)), .text(agency), .integer(Int64(version))])
        }
        var names: [String] = []
        try db.statement("SELECT name FROM vault_secret").forEach { names.append($0.text(0)) }
        for name in names {
            let value = try secret(name: name)
            try db.run("UPDATE vault_secret SET wrapped = ? WHERE name = ?",
                       [.blob(try newKeys.secrets.seal(value, authenticating: AAD.secret(name: name))), .text(name)])
        }
        try certifySigningCertificates(under: newKeys)
        if let signer {
            let der = signer.certificate.derRepresentation
            try db.run("UPDATE signing_key SET wrapped_key = ? WHERE version = ?", [
                .blob(try newKeys.signingKeys.seal(try signer.key.pkcs8DER(),
                                                   authenticating: AAD.signingKey(version: signer.version, certificate: der))),
                .integer(Int64(signer.version))])
        }
    }
}
