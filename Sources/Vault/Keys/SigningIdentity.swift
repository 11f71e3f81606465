import Foundation

/// The active signing key, unwrapped, with its certificate.
struct Signer {
    let version: Int
    let key: PrivateKey
    let certificate: Certificate
}

extension Vault {
    // MARK: - Internals (callers hold the lock)

    /// Generates signing key `version` with a self-signed certificate and stores it active.
    func createSigningKey(version: Int, name: String, organization: String?) throws {
        let key = try PrivateKey.generateP256()
        let certificate = try Certificate.selfSigned(commonName: name, organization: organization, key: key,
                                                     validityDays: 3 * 365 + 1, notBefore: clock())
        let der = certificate.derRepresentation
        let wrapped = try derived.signingKeys.seal(try key.pkcs8DER(), authenticating:
            AAD.signingKey(version: version, certificate: der))
        try db.run("""
            INSERT INTO signing_key (version, state, certificate, wrapped_key, created_at, certificate_mac)
            VALUES (?, 'active', ?, ?, ?, ?)
            """, [.integer(Int64(version)), .blob(der), .blob(wrapped), now,
                  .blob(derived.certificateMAC.authenticationCode(for: AAD.signingCertificate(version: version, certificate: der)))])
    }

    /// Sets every signing certificate's MAC under `keys` (a root rotation), or only the
    /// missing ones (the open that applies the `log-integrity` migration).
    func certifySigningCertificates(under keys: RootDerivedKeys? = nil, onlyMissing: Bool = false) throws {
        let keys = keys ?? derived
        if !onlyMissing { _ = try signingCertificatesLocked() }  // never certify a row the current key does not
        var rows: [(Int, [UInt8])] = []
        try db.statement("SELECT version, certificate FROM signing_key\(onlyMissing ? " WHERE certificate_mac IS NULL" : "")")
            .forEach { rows.append(($0.int(0), $0.blob(1))) }
        let update = try db.statement("UPDATE signing_key SET certificate_mac = ? WHERE version = ?")
        for (version, der) in rows {
            let mac = keys.certificateMAC.authenticationCode(for: AAD.signingCertificate(version: version, certificate: der))
            try update.run([.blob(mac), .integer(Int64(version))])
        }
    }

    /// The active signer, unwrapped and checked against its certificate.
    func loadSigner() throws -> Signer? {
        guard let row = try db.statement("SELECT version, certificate, wrapped_key FROM signing_key WHERE state = 'active'")
            .first([], { ($0.int(0), $0.blob(1), $0.optionalBlob(2)) }) else { return nil }
        let subject = "signing key \(row.0)"
        guard let wrapped = row.2, let certificate = try? Certificate(derRepresentation: row.1) else {
            throw VaultError.tampered(subject: subject, part: .vaultKey)
        }
        let pkcs8: SecretBytes
        do {
            pkcs8 = try derived.signingKeys.openSecret(wrapped, authenticating: AAD.signingKey(version: row.0, certificate: row.1))
        } catch {
            throw VaultError.tampered(subject: subject, part: .vaultKey)
        }
        let key = try PrivateKey(derRepresentation: pkcs8)
        guard key.algorithm == .p256, certificate.matches(key) else { throw VaultError.tampered(subject: subject, part: .vaultKey) }
        return Signer(version: row.0, key: key, certificate: certificate)
    }

    /// Every signing certificate, oldest first, each checked against its MAC under the
    /// root-derived key: a row added or altered by whoever can write the database, but
    /// does not hold the root key, is `tampered("signing certificate N", .vaultKey)`.
    func signingCertificatesLocked() throws -> [Certificate] {
        var out: [Certificate] = []
        try db.statement("SELECT version, certificate, certificate_mac FROM signing_key ORDER BY version").forEach { row in
            let version = row.int(0), der = row.blob(1)
            guard let mac = row.optionalBlob(2),
                  derived.certificateMAC.isValidAuthenticationCode(mac, for: AAD.signingCertificate(version: version, certificate: der)),
                  let certificate = try? Certificate(derRepresentation: der) else {
                throw VaultError.tampered(subject: "signing certificate \(version)", part: .vaultKey)
            }
            out.append(certificate)
        }
        return out
    }

    // MARK: - Public signing API

    /// The active signing certificate.
    public var signingCertificate: Certificate {
        get throws {
            try locked {
                guard let signer else { throw VaultError.noSigningKey }
                return signer.certificate
            }
        }
    }

    /// Every signing certificate the vault has had, oldest first (for verifying old artefacts).
    public func signingCertificates() throws -> [Certificate] {
        try locked { try signingCertificatesLocked() }
    }

    /// A DER ECDSA P-256/SHA-256 signature over `data` with the active signing key.
    public func sign<D: ContiguousBytes>(_ data: D) throws -> [UInt8] {
        try locked {
            guard let signer else { throw VaultError.noSigningKey }
            return try signer.key.signature(for: data)
        }
    }

    /// CMS SignedData over `content` with the active signing key and certificate.
    public func signCMS<D: ContiguousBytes>(_ content: D, detached: Bool = false) throws -> [UInt8] {
        try cmsSigner().sign(content, detached: detached)
    }

    /// The active signing key and certificate as they are now, to sign with outside the
    /// vault's lock: the daemon's receipt stage signs one batch's receipts while the next
    /// batch is stored. It keeps the key it was made with: take a new one for each batch,
    /// so a rotation applies from the next.
    public func cmsSigner() throws -> CMSSigner {
        try locked {
            guard let signer else { throw VaultError.noSigningKey }
            return try CMSSigner(key: signer.key, certificate: signer.certificate)
        }
    }

    /// Replaces the signing key: a new P-256 key and self-signed certificate for `name`
    /// become active; the old private key is destroyed and its certificate kept. Logged.
    @discardableResult
    public func rotateSigningKey(name: String, organization: String? = nil, recording record: KeyEventRecorder) throws -> Certificate {
        try locked {
            try write {
                shredding = true  // the retired private key
                let current = try db.scalarInt("SELECT COALESCE(MAX(version), 0) FROM signing_key")
                try db.run("UPDATE signing_key SET state = 'retired', wrapped_key = NULL, retired_at = ? WHERE state = 'active'", [now])
                try createSigningKey(version: current + 1, name: name, organization: organization)
                signer = try loadSigner()
                try appendKeyEvent("signing-rotate", ["from": String(current), "to": String(current + 1),
                                                      "fingerprintSHA256": signer!.certificate.fingerprintText], record)
            }
            return signer!.certificate
        }
    }

}

/// A key operation, for the log entry its caller records it with (`docs/audit.md`, "The
/// log entry"): the vault knows no principals and writes no entry format of its own, so
/// every key operation takes a recorder that turns the event into the entry, naming who
/// did it, appended in the same transaction as the change.
public struct KeyEvent: Equatable, Sendable {
    /// `key-rotate`, `key-destroy`, `root-rotate` or `signing-rotate`.
    public let action: String
    /// Ids and numbers only: `agency`, `from`, `to`, `version`, `generation`, `fingerprintSHA256`.
    public let details: [String: String]
    /// When, by the vault's clock.
    public let time: Date
}

/// Makes the log entry for a key event (Exchange's `LogEntry.keyEvent`).
public typealias KeyEventRecorder = (KeyEvent) throws -> Data

extension Vault {
    /// Appends the entry `record` makes of `action` with `details`, in the open transaction.
    func appendKeyEvent(_ action: String, _ details: [String: String], _ record: KeyEventRecorder) throws {
        try appendLeaf(record(KeyEvent(action: action, details: details, time: clock())))
    }
}

/// A signing key and its certificate, for CMS SignedData (`Vault.cmsSigner()`). The key
/// is checked against the certificate once, here; one signer may sign on several threads
/// at once (each signature has its own OpenSSL context).
public struct CMSSigner: Sendable {
    let key: PrivateKey
    /// The certificate the signatures verify with.
    public let certificate: Certificate
    private let encoder: SignedDataEncoder

    /// Refuses a key that is not P-256 or does not match `certificate`.
    init(key: PrivateKey, certificate: Certificate) throws {
        try key.require(.p256, for: "CMS signing")
        guard certificate.matches(key) else { throw CryptoError.policyViolation("the key does not match the signer certificate") }
        self.key = key
        self.certificate = certificate
        encoder = try SignedDataEncoder(signer: certificate)
    }

    /// CMS SignedData over `content`, signed now (see `CMS.sign`).
    public func sign<D: ContiguousBytes>(_ content: D, detached: Bool = false, at signingTime: Date = Date()) throws -> [UInt8] {
        try content.withUnsafeBytes { bytes in
            try encoder.encode(bytes, detached: detached, signingTime: signingTime) { try key.signature(for: $0) }
        }
    }
}
