import Foundation
internal import CryptoShim

/// The public-key algorithms this product handles.
public enum KeyAlgorithm: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// ECDSA/ECDH on NIST P-256 (prime256v1).
    case p256
    /// RSA with a modulus of `bits` bits.
    case rsa(bits: Int)
    /// Anything else, by OpenSSL's name for it (refused wherever a key is used).
    case unsupported(String)

    /// A short label, e.g. `EC P-256` or `RSA 3072`.
    public var description: String {
        switch self {
        case .p256: return "EC P-256"
        case .rsa(let bits): return "RSA \(bits)"
        case .unsupported(let name): return "unsupported (\(name))"
        }
    }
}

/// Owns one `EVP_PKEY` reference. Keys are immutable once made, and libcrypto allows
/// concurrent operations on one key through separate operation contexts.
final class EVPKey: @unchecked Sendable {
    let pointer: OpaquePointer

    init(owning pointer: OpaquePointer) { self.pointer = pointer }

    /// Takes a new reference to a key someone else owns.
    init(retaining pointer: OpaquePointer) {
        precondition(EVP_PKEY_up_ref(pointer) == 1, "EVP_PKEY_up_ref failed")
        self.pointer = pointer
    }

    deinit { EVP_PKEY_free(pointer) }

    var algorithm: KeyAlgorithm {
        switch EVP_PKEY_get_base_id(pointer) {
        case EVP_PKEY_EC:
            // RFC 5480: only the named-curve form. Explicit parameters can smuggle a curve
            // that merely resembles P-256 (a wrong cofactor, a different generator).
            guard let curve = stringParameter("group"), stringParameter("encoding") == "named_curve" else {
                return .unsupported("EC with explicit or unknown parameters")
            }
            return curve == "prime256v1" || curve == "P-256" ? .p256 : .unsupported("EC \(curve)")
        case EVP_PKEY_RSA:
            return .rsa(bits: Int(EVP_PKEY_get_bits(pointer)))
        default:
            let name = EVP_PKEY_get0_type_name(pointer).map { String(cString: $0) } ?? "unknown"
            return .unsupported(name)
        }
    }

    private func stringParameter(_ name: String) -> String? {
        var value = [CChar](repeating: 0, count: 64)
        var length = 0
        guard EVP_PKEY_get_utf8_string_param(pointer, name, &value, value.count, &length) == 1 else {
            OpenSSLErrors.clear()
            return nil
        }
        return String(decoding: value.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A new operation context over this key.
    func operationContext() throws -> OpaquePointer {
        try OpenSSLErrors.nonNull(EVP_PKEY_CTX_new_from_pkey(nil, pointer, nil), "EVP_PKEY_CTX_new_from_pkey")
    }
}

/// A passphrase callback that refuses: an encrypted PEM key fails to load instead of
/// libcrypto prompting on the daemon's terminal.
private let refusePassphrase: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 = { _, _, _, _ in 0 }

// MARK: - Private keys

/// A private key: EC P-256 (signing, key agreement) or RSA (OAEP decryption).
public final class PrivateKey: @unchecked Sendable {
    let key: EVPKey

    init(_ key: EVPKey) { self.key = key }

    /// A fresh P-256 key from the CSPRNG.
    public static func generateP256() throws -> PrivateKey {
        OpenSSLErrors.clear()
        return PrivateKey(EVPKey(owning: try OpenSSLErrors.nonNull(CryptoShim_keygen_ec("P-256"), "EVP_PKEY_Q_keygen")))
    }

    /// A fresh RSA key (2048 bits at least).
    public static func generateRSA(bits: Int = 3072) throws -> PrivateKey {
        guard bits >= 2048 else { throw CryptoError.policyViolation("RSA keys below 2048 bits") }
        OpenSSLErrors.clear()
        return PrivateKey(EVPKey(owning: try OpenSSLErrors.nonNull(CryptoShim_keygen_rsa(bits), "EVP_PKEY_Q_keygen")))
    }

    /// Loads a PEM private key (PKCS#8 or the traditional form). Encrypted PEM is refused.
    public convenience init<D: ContiguousBytes>(pemRepresentation pem: D) throws {
        let bio = try MemoryBIO(copying: pem)
        OpenSSLErrors.clear()
        guard let pointer = PEM_read_bio_PrivateKey(bio.pointer, nil, refusePassphrase, nil) else {
            throw CryptoError.decodingFailure(structure: "PEM private key", openSSL: OpenSSLErrors.drain())
        }
        self.init(EVPKey(owning: pointer))
    }

    /// Loads a DER private key (PKCS#8 or the traditional form), with no trailing bytes.
    public convenience init<D: ContiguousBytes>(derRepresentation der: D) throws {
        let pointer = try der.withUnsafeBytes { bytes in
            try DER.decode(bytes, structure: "DER private key", { d2i_AutoPrivateKey(nil, $0, $1) }, free: { EVP_PKEY_free($0) })
        }
        self.init(EVPKey(owning: pointer))
    }

    /// Loads a private key from a file in PEM or DER.
    public convenience init(contentsOfFile path: String) throws {
        let data = try SecretBytes(contentsOfFile: path)
        if data.withUnsafeBytes(looksLikePEM) { try self.init(pemRepresentation: data) } else { try self.init(derRepresentation: data) }
    }

    /// The key's algorithm.
    public var algorithm: KeyAlgorithm { key.algorithm }

    /// The matching public key.
    public var publicKey: PublicKey {
        // Encoding a valid key's public half cannot fail; re-decode gives an independent object.
        guard let der = try? DER.encode("i2d_PUBKEY", { i2d_PUBKEY(key.pointer, $0) }),
              let pub = try? PublicKey(derRepresentation: der) else {
            preconditionFailure("cannot encode the public half of a private key")
        }
        return pub
    }

    /// PKCS#8 DER, in a zeroising buffer.
    public func pkcs8DER() throws -> SecretBytes {
        let bio = try MemoryBIO()
        OpenSSLErrors.clear()
        try OpenSSLErrors.check(i2d_PKCS8PrivateKey_bio(bio.pointer, key.pointer, nil, nil, 0, nil, nil), "i2d_PKCS8PrivateKey_bio")
        return bio.secretBytes
    }

    /// Unencrypted PKCS#8 PEM, in a zeroising buffer.
    public func pkcs8PEM() throws -> SecretBytes {
        let bio = try MemoryBIO()
        OpenSSLErrors.clear()
        try OpenSSLErrors.check(PEM_write_bio_PKCS8PrivateKey(bio.pointer, key.pointer, nil, nil, 0, nil, nil), "PEM_write_bio_PKCS8PrivateKey")
        return bio.secretBytes
    }

    func require(_ expected: KeyAlgorithm, for use: String) throws {
        let actual = algorithm
        guard actual == expected else { throw CryptoError.policyViolation("\(use) needs \(expected), not \(actual)") }
    }
}

// MARK: - Public keys

/// A public key (SubjectPublicKeyInfo).
public final class PublicKey: @unchecked Sendable {
    let key: EVPKey

    init(_ key: EVPKey) { self.key = key }

    /// Decodes a DER SubjectPublicKeyInfo, with no trailing bytes. Points not on their curve
    /// are rejected here by libcrypto's decoder.
    public convenience init<D: ContiguousBytes>(derRepresentation der: D) throws {
        let pointer = try der.withUnsafeBytes { bytes in
            try DER.decode(bytes, structure: "SubjectPublicKeyInfo", { d2i_PUBKEY(nil, $0, $1) }, free: { EVP_PKEY_free($0) })
        }
        self.init(EVPKey(owning: pointer))
    }

    /// Decodes a PEM `PUBLIC KEY`.
    public convenience init<D: ContiguousBytes>(pemRepresentation pem: D) throws {
        let bio = try MemoryBIO(copying: pem)
        OpenSSLErrors.clear()
        guard let pointer = PEM_read_bio_PUBKEY(bio.pointer, nil, refusePassphrase, nil) else {
            throw CryptoError.decodingFailure(structure: "PEM public key", openSSL: OpenSSLErrors.drain())
        }
        self.init(EVPKey(owning: pointer))
    }

    /// The key's algorithm.
    public var algorithm: KeyAlgorithm { key.algorithm }

    /// DER SubjectPublicKeyInfo.
    public var derRepresentation: [UInt8] {
        guard let der = try? DER.encode("i2d_PUBKEY", { i2d_PUBKEY(key.pointer, $0) }) else {
            preconditionFailure("cannot encode a decoded public key")
        }
        return der
    }

    /// PEM `PUBLIC KEY`.
    public var pemRepresentation: String {
        guard let bio = try? MemoryBIO(), PEM_write_bio_PUBKEY(bio.pointer, key.pointer) == 1 else {
            preconditionFailure("cannot PEM-encode a decoded public key")
        }
        return bio.string
    }
}

extension PublicKey: Equatable {
    /// Keys are equal when their encodings are.
    public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool {
        EVP_PKEY_eq(lhs.key.pointer, rhs.key.pointer) == 1
    }
}
