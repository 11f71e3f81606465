import Foundation

/// Associated data for every sealed value in the vault, as `docs/vault-format.md` fixes
/// it: an ASCII label, then each field length-prefixed (`u32` big-endian), so no two
/// different field lists can encode to the same bytes.
struct AAD: ContiguousBytes {
    private(set) var bytes: [UInt8]

    init(_ label: String) { bytes = Array(label.utf8) }

    func string(_ value: String) -> AAD { data(Array(value.utf8)) }

    func data(_ value: [UInt8]) -> AAD {
        var copy = self
        copy.bytes += Self.u32(value.count)
        copy.bytes += value
        return copy
    }

    func u32(_ value: Int) -> AAD {
        var copy = self
        copy.bytes += Self.u32(value)
        return copy
    }

    /// `value` as 8 bytes big-endian.
    func u64(_ value: Int) -> AAD {
        precondition(value >= 0)
        var copy = self
        copy.bytes += Swift.withUnsafeBytes(of: UInt64(value).bigEndian) { Array($0) }
        return copy
    }

    /// One typed SQL value: `0x00` NULL, `0x01 ‖ i64` integer, `0x02 ‖ lp(text)`,
    /// `0x03 ‖ lp(bytes)` (`docs/vault-format.md`, "Authenticated facts").
    func value(_ value: SQLValue) -> AAD {
        var copy = self
        switch value {
        case .null: copy.bytes.append(0x00)
        case let .integer(v):
            copy.bytes.append(0x01)
            copy.bytes += Swift.withUnsafeBytes(of: v.bigEndian) { Array($0) }
        case let .text(v):
            copy.bytes.append(0x02)
            return copy.string(v)
        case let .blob(v):
            copy.bytes.append(0x03)
            return copy.data(v)
        }
        return copy
    }

    private static func u32(_ value: Int) -> [UInt8] {
        precondition(value >= 0 && value <= Int(UInt32.max))
        return Swift.withUnsafeBytes(of: UInt32(value).bigEndian) { Array($0) }
    }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes(body)
    }

    // MARK: - The vault's AADs

    static func agencyKey(agency: String, version: Int) -> AAD {
        AAD("maracd.v1 kek").string(agency).u32(version)
    }

    static func dataKey(id: String, agency: String, kind: String, kekVersion: Int) -> AAD {
        AAD("maracd.v1 dek").string(id).string(agency).string(kind).u32(kekVersion)
    }

    static func payload(id: String, agency: String, kind: String) -> AAD {
        AAD("maracd.v1 payload").string(id).string(agency).string(kind).u32(1)
    }

    static func secret(name: String) -> AAD {
        AAD("maracd.v1 secret").string(name)
    }

    static func record(context: String) -> AAD {
        AAD("maracd.v1 record").string(context)
    }

    static func signingKey(version: Int, certificate: [UInt8]) -> AAD {
        AAD("maracd.v1 signing-key").u32(version).data(SHA256.hash(certificate))
    }

    /// What a signing certificate's MAC covers: its version and the certificate itself.
    static func signingCertificate(version: Int, certificate: [UInt8]) -> AAD {
        AAD("maracd.v1 signing-certificate").u32(version).data(SHA256.hash(certificate))
    }
}

/// Agency ids, kinds and metadata keys: short lowercase labels, safe in paths and logs.
enum Label {
    static func validate(_ value: String, field: String) throws {
        let ok = !value.isEmpty && value.utf8.count <= 64 && value.utf8.allSatisfy {
            ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d
        }
        guard ok else { throw VaultError.invalidLabel(field: field) }
    }
}

/// The keys derived from a root key for one vault (`vault_id` as HKDF salt).
final class RootDerivedKeys {
    /// Length of every wrapped 32-byte key: nonce, key, tag.
    static let wrappedKeyByteCount = AESGCM.overhead + 32

    let keyCheck: SecretBytes
    let agencyKeys: AESGCM
    let secrets: AESGCM
    let signingKeys: AESGCM
    /// Authenticates every signing certificate row, retired ones included, so that the
    /// keys checkpoints are verified with take their trust from the root key and not
    /// from the database (`docs/vault-format.md`, "Signing certificates").
    let certificateMAC: HMACSHA256

    init(root: RootKey, vaultID: [UInt8]) throws {
        func derive(_ info: String) throws -> SecretBytes {
            try HKDF.deriveKey(inputKeyMaterial: root.secret, salt: vaultID, info: Array(info.utf8), outputByteCount: 32)
        }
        keyCheck = try derive("maracd.v1 key-check")
        agencyKeys = try AESGCM(key: derive("maracd.v1 wrap agency-kek"))
        secrets = try AESGCM(key: derive("maracd.v1 wrap vault-secret"))
        signingKeys = try AESGCM(key: derive("maracd.v1 wrap signing-key"))
        certificateMAC = try HMACSHA256(key: derive("maracd.v1 mac signing-certificate"))
    }

    /// Unwraps a 32-byte key sealed under `wrapper`, mapping any failure to `tampered`.
    static func unwrap(_ wrapped: [UInt8], with wrapper: AESGCM, aad: AAD, subject: String, part: TamperedPart) throws -> SecretBytes {
        guard wrapped.count == wrappedKeyByteCount else { throw VaultError.tampered(subject: subject, part: part) }
        do { return try wrapper.openSecret(wrapped, authenticating: aad) } catch {
            throw VaultError.tampered(subject: subject, part: part)
        }
    }
}
