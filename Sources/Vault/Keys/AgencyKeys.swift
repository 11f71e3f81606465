import Foundation

/// Unwrapped agency KEKs, cached per (agency, version) for the life of the vault object,
/// with the active version per agency. Reset whenever a transaction rolls back.
struct KeyRing {
    var keys: [String: [Int: AESGCM]] = [:]
    var active: [String: Int] = [:]
}

extension Vault {
    // MARK: - Agency KEKs (callers hold the lock)

    /// The KEK `version` of `agency`, unwrapped and cached.
    func agencyKey(_ agency: String, version: Int) throws -> AESGCM {
        if let cached = agencyKeys.keys[agency]?[version] { return cached }
        guard let row = try db.statement("SELECT state, wrapped FROM agency_key WHERE agency = ? AND version = ?")
            .first([.text(agency), .integer(Int64(version))], { ($0.text(0), $0.optionalBlob(1)) }) else {
            throw VaultError.keyDestroyed(agency: agency, version: version)
        }
        guard row.0 != "destroyed", let wrapped = row.1 else { throw VaultError.keyDestroyed(agency: agency, version: version) }
        let secret = try RootDerivedKeys.unwrap(wrapped, with: derived.agencyKeys,
                                                aad: .agencyKey(agency: agency, version: version),
                                                subject: agency, part: .agencyKey)
        let key = try AESGCM(key: secret)
        agencyKeys.keys[agency, default: [:]][version] = key
        return key
    }

    /// The active KEK version of `agency`, creating version 1 if the agency has none.
    func activeAgencyKey(_ agency: String) throws -> (version: Int, key: AESGCM) {
        if let version = agencyKeys.active[agency] { return (version, try agencyKey(agency, version: version)) }
        let version: Int
        if let existing = try db.statement("SELECT version FROM agency_key WHERE agency = ? AND state = 'active'")
            .first([.text(agency)], { $0.int(0) }) {
            version = existing
        } else {
            precondition(db.inTransaction, "creating a KEK outside a transaction")
            version = 1
            try insertAgencyKey(agency, version: version)
        }
        agencyKeys.active[agency] = version
        return (version, try agencyKey(agency, version: version))
    }

    /// Creates KEK `version` of `agency` as the active one.
    func insertAgencyKey(_ agency: String, version: Int) throws {
        let kek = try SecretBytes(randomByteCount: 32)
        let wrapped = try derived.agencyKeys.seal(kek, authenticating: AAD.agencyKey(agency: agency, version: version))
        try db.run("INSERT INTO agency_key (agency, version, state, wrapped, created_at) VALUES (?, ?, 'active', ?, ?)",
                   [.text(agency), .integer(Int64(version)), .blob(wrapped), now])
    }

    // MARK: - Vault secrets

    /// Creates the 32-byte secret `name`, wrapped under the root.
    func createSecret(name: String) throws {
        let secret = try SecretBytes(randomByteCount: 32)
        let wrapped = try derived.secrets.seal(secret, authenticating: AAD.secret(name: name))
        try db.run("INSERT INTO vault_secret (name, wrapped) VALUES (?, ?)", [.text(name), .blob(wrapped)])
    }

    /// The unwrapped secret `name`.
    func secret(name: String) throws -> SecretBytes {
        guard let wrapped = try db.statement("SELECT wrapped FROM vault_secret WHERE name = ?")
            .first([.text(name)], { $0.blob(0) }) else { throw VaultError.tampered(subject: name, part: .missingRow) }
        return try RootDerivedKeys.unwrap(wrapped, with: derived.secrets, aad: .secret(name: name),
                                          subject: name, part: .vaultKey)
    }
}
